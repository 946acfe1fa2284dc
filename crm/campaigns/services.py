"""Campaign writes and state changes (draft -> scheduled -> sending -> sent, paused, cancelled), counts and
progress. Functions flush; callers commit. Nothing here sends mail: the scheduler does (``jobs.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask_babel import format_datetime

from flask import url_for

from crm.campaigns import audience, blocks, content
from crm.campaigns.models import NOT_YET_SENT, Campaign, CampaignStatus, LetterTemplate
from crm.consent.mail_kinds import may_receive
from crm.consent.models import ConsentAction, ConsentRecord, Topic
from crm.db import utcnow
from crm.extensions import db
from crm.i18n import local_to_utc
from crm.mail.models import Delivery, DeliveryStatus
from crm.mail.outgoing import send_after_commit
from crm.errors import ValidationError
from crm.forms import untranslated
from crm.segments.models import Segment

CampaignError = ValidationError  # field -> French message; nothing written when raised


@dataclass
class CampaignInput:
    subject: str
    body_markdown: str
    topic: str = "lettre"
    preheader: str = ""
    segment_id: int | None = None
    public: bool = True


def _require(campaign: Campaign, *statuses: CampaignStatus, action: str) -> None:
    if campaign.status not in {s.value for s in statuses}:
        label = untranslated(campaign.status_label).lower()
        raise CampaignError({"status": f"Impossible de {action} une lettre « {label} »."})


def save_campaign(data: CampaignInput, campaign: Campaign | None = None, *, author_id: int | None = None) -> Campaign:
    errors: dict[str, str] = {}
    subject, body = data.subject.strip(), data.body_markdown.replace("\r\n", "\n").strip()
    if not subject:
        errors["subject"] = "L'objet est obligatoire."
    if not body:
        errors["body_markdown"] = "Le texte de la lettre est vide."
    topic = db.session.scalar(sa.select(Topic).where(Topic.code == data.topic))
    if topic is None:
        errors["topic"] = "Liste de diffusion inconnue."
    segment = db.session.get(Segment, data.segment_id) if data.segment_id else None
    if data.segment_id and segment is None:
        errors["segment_id"] = "Ce segment n'existe pas."
    if campaign is not None and not campaign.is_editable:
        errors["status"] = "Une lettre en cours d'envoi ou envoyée ne se modifie plus."
    if errors:
        raise CampaignError(errors)
    if campaign is None:
        campaign = Campaign(status=CampaignStatus.DRAFT.value, created_by_id=author_id)
        db.session.add(campaign)
    campaign.subject, campaign.body_markdown, campaign.preheader = subject, body, data.preheader.strip()
    campaign.topic, campaign.segment, campaign.public = topic, segment, data.public  # type: ignore[assignment]
    db.session.flush()
    return campaign


def local_to_utc_or_error(day: date, at: time) -> datetime:
    """A wall-clock time in the configured zone (Europe/Paris) -> an aware UTC datetime."""
    try:
        return local_to_utc(datetime.combine(day, at))
    except ValueError as exc:
        raise CampaignError({"send_time": "Cette heure n'existe pas ce jour-là (passage à l'heure d'été)."}) from exc


def schedule(campaign: Campaign, when: datetime | None = None) -> Campaign:
    """``when`` None: as soon as the scheduler ticks."""
    _require(campaign, CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, action="programmer")
    now = utcnow()
    if when is not None and when <= now:
        raise CampaignError({"send_date": "La date d'envoi doit être dans le futur."})
    if audience.count(campaign) == 0:
        raise CampaignError({"status": "Personne ne recevrait cette lettre : aucun abonné confirmé ne correspond."})
    campaign.status = CampaignStatus.SCHEDULED.value
    campaign.scheduled_at = when or now
    db.session.flush()
    return campaign


def unschedule(campaign: Campaign) -> Campaign:
    _require(campaign, CampaignStatus.SCHEDULED, action="déprogrammer")
    campaign.status = CampaignStatus.DRAFT.value
    campaign.scheduled_at = None
    db.session.flush()
    return campaign


def pause(campaign: Campaign) -> Campaign:
    """Senders stop claiming its deliveries: sending stops within the batch in progress."""
    _require(campaign, CampaignStatus.SENDING, action="mettre en pause")
    campaign.status, campaign.paused_at = CampaignStatus.PAUSED.value, utcnow()
    db.session.flush()
    return campaign


def resume(campaign: Campaign) -> Campaign:
    _require(campaign, CampaignStatus.PAUSED, action="reprendre")
    campaign.status, campaign.paused_at = CampaignStatus.SENDING.value, None
    db.session.flush()
    return campaign


def cancel(campaign: Campaign) -> int:
    """Whatever is still queued is cancelled; returns how many deliveries that was."""
    _require(campaign, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED, action="annuler")
    campaign.status, campaign.cancelled_at = CampaignStatus.CANCELLED.value, utcnow()
    db.session.flush()
    return cancel_leftovers(campaign.id)


def cancel_leftovers(campaign_id: int | None = None) -> int:
    cancelled = sa.select(Campaign.id).where(Campaign.status == CampaignStatus.CANCELLED.value)
    stmt = sa.update(Delivery).where(Delivery.status == DeliveryStatus.QUEUED.value,
                                     Delivery.campaign_id.in_(cancelled))
    if campaign_id is not None:
        stmt = stmt.where(Delivery.campaign_id == campaign_id)
    result = db.session.execute(stmt.values(status=DeliveryStatus.CANCELLED.value)
                                .execution_options(synchronize_session=False))
    db.session.flush()
    return result.rowcount or 0  # type: ignore[attr-defined]


def start_due(now: datetime | None = None) -> list[int]:
    """Due scheduled campaigns -> materialised -> sending, each in its own transaction (COMMITS).

    The conditional UPDATE takes the campaign: a second scheduler waits on the row, then finds it no longer
    scheduled and leaves it."""
    now = now or utcnow()
    started = []
    due = db.session.scalars(sa.select(Campaign.id).where(Campaign.status == CampaignStatus.SCHEDULED.value,
                                                          Campaign.scheduled_at <= now)).all()
    for campaign_id in due:
        taken = db.session.execute(
            sa.update(Campaign).where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SCHEDULED.value)
            .values(status=CampaignStatus.SENDING.value, started_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            db.session.rollback()
            continue
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        audience.materialise(campaign)
        content.register_links(campaign)
        db.session.commit()
        started.append(campaign_id)
    return started


def _pending(statuses: tuple[str, ...]) -> sa.Exists:
    return sa.exists().where(Delivery.campaign_id == Campaign.id, Delivery.status.in_(statuses))


def work_due(now: datetime) -> sa.ColumnElement[bool]:
    """The ``mail.work_due`` hook: a letter whose time has come (to start), a sending letter with nothing left
    (to mark sent), or a cancelled letter with queued rows (to cancel). Part of the scheduler's one idle query."""
    return sa.exists().where(sa.or_(
        sa.and_(Campaign.status == CampaignStatus.SCHEDULED.value, Campaign.scheduled_at <= now),
        sa.and_(Campaign.status == CampaignStatus.SENDING.value,
                ~_pending((DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value))),
        sa.and_(Campaign.status == CampaignStatus.CANCELLED.value, _pending((DeliveryStatus.QUEUED.value,))),
    ))


def finish_done() -> int:
    """Sending campaigns with nothing left queued or in flight become sent. Flushes."""
    cancel_leftovers()
    pending = sa.exists().where(Delivery.campaign_id == Campaign.id,
                                Delivery.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value]))
    result = db.session.execute(
        sa.update(Campaign).where(Campaign.status == CampaignStatus.SENDING.value, ~pending)
        .values(status=CampaignStatus.SENT.value, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0  # type: ignore[attr-defined]


def send_test(campaign: Campaign, address: str) -> None:
    """A test of the letter to a team member's address, sent after the commit; refused for an address on the
    suppression list (a test must not reach someone who asked for nothing)."""
    if not may_receive(address, content.KIND):
        raise CampaignError({"email": "Cette adresse est sur la liste d'opposition (désinscription, rejet ou "
                                      "signalement) : aucun message de test ne lui est envoyé."})
    send_after_commit(content.test_message_for(campaign, address))


def campaigns_using(segment: Segment) -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.segment_id == segment.id,
                                                             Campaign.status.in_(NOT_YET_SENT))))


def segment_user(segment: Segment) -> str | None:
    """The ``segments.in_use`` hook: a letter not yet sent that uses the segment."""
    using = campaigns_using(segment)
    return f"la lettre « {using[0].subject} » qui n'est pas encore envoyée" if using else None


def list_campaigns() -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())))


def archived() -> list[Campaign]:
    stmt = sa.select(Campaign).where(Campaign.status == CampaignStatus.SENT.value, Campaign.public.is_(True))
    return list(db.session.scalars(stmt.order_by(Campaign.finished_at.desc(), Campaign.id.desc())))


@dataclass
class Progress:
    status: str
    status_label: str
    counts: dict[str, int] = field(default_factory=dict)
    unsubscribed_since: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None
    now: datetime = field(default_factory=utcnow)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return (self.total - self.counts.get(DeliveryStatus.QUEUED.value, 0)
                - self.counts.get(DeliveryStatus.SENDING.value, 0))

    @property
    def percent(self) -> int:
        if self.status == CampaignStatus.SENT.value:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def rate_per_minute(self) -> int | None:
        """Messages handled per minute since the sending started (None before it, or too early to tell)."""
        if self.started_at is None or not self.done:
            return None
        started = self.started_at if self.started_at.tzinfo else self.started_at.replace(tzinfo=timezone.utc)
        seconds = (self.now - started).total_seconds()
        return max(1, round(self.done * 60 / seconds)) if seconds >= 1 else None

    @property
    def estimated_end(self) -> datetime | None:
        """While sending: now + what is left at the rate so far."""
        rate = self.rate_per_minute
        if self.status != CampaignStatus.SENDING.value or not rate:
            return None
        return self.now + timedelta(minutes=(self.total - self.done) / rate)

    def as_json(self) -> dict[str, Any]:
        # str(): in the reader's language, as plain text (jsonify would write a lazy label HTML-escaped).
        end = self.estimated_end
        return {"status": self.status, "status_label": str(self.status_label), "total": self.total, "done": self.done,
                "percent": self.percent, "counts": self.counts, "unsubscribed_since": self.unsubscribed_since,
                "errors": self.errors, "rate_per_minute": self.rate_per_minute,
                "estimated_end": end.isoformat() if end else None,
                "estimated_end_label": format_datetime(end, "short") if end else None}


def progress(campaign: Campaign, error_limit: int = 5) -> Progress:
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, number in db.session.execute(
        sa.select(Delivery.status, sa.func.count()).where(Delivery.campaign_id == campaign.id).group_by(Delivery.status)
    ):
        counts[status] = number
    result = Progress(campaign.status, campaign.status_label, counts, started_at=campaign.started_at)
    if campaign.started_at is not None:
        recipients = sa.select(Delivery.contact_id).where(Delivery.campaign_id == campaign.id,
                                                          Delivery.status == DeliveryStatus.SENT.value)
        result.unsubscribed_since = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(ConsentRecord.contact_id)))
            .where(ConsentRecord.action == ConsentAction.UNSUBSCRIBE.value, ConsentRecord.at >= campaign.started_at,
                   ConsentRecord.contact_id.in_(recipients))
        ) or 0
    errors = db.session.execute(
        sa.select(Delivery.id, Delivery.status, Delivery.last_error, Delivery.attempts)
        .where(Delivery.campaign_id == campaign.id, Delivery.last_error.is_not(None))
        .order_by(Delivery.id.desc()).limit(error_limit)
    )
    result.errors = [{"delivery": row.id, "status": row.status, "error": row.last_error, "attempts": row.attempts}
                     for row in errors]
    return result


# --- Templates and housekeeping ------------------------------------------------------------------

def save_as_template(campaign: Campaign, name: str, *, author_id: int | None = None) -> LetterTemplate:
    name = name.strip()
    if not name:
        raise CampaignError({"name": "Donnez un nom au modèle."})
    if len(name) > 200:
        raise CampaignError({"name": "Ce nom est trop long (200 caractères au plus)."})
    template = LetterTemplate(name=name, subject=campaign.subject, preheader=campaign.preheader,
                              body_markdown=campaign.body_markdown, created_by_id=author_id)
    db.session.add(template)
    db.session.flush()
    return template


def list_templates() -> list[LetterTemplate]:
    return list(db.session.scalars(sa.select(LetterTemplate).order_by(LetterTemplate.name, LetterTemplate.id)))


def delete_template(template: LetterTemplate) -> None:
    db.session.delete(template)
    db.session.flush()


def starting_point(template_id: int | None = None, campaign_id: int | None = None) -> dict[str, Any] | None:
    """What a new letter starts from: a template's or a past letter's subject, preheader and body (and, for a
    letter, its list and segment). None: nothing by that number."""
    if template_id:
        template = db.session.get(LetterTemplate, template_id)
        if template is None:
            return None
        return {"subject": template.subject, "preheader": template.preheader, "body_markdown": template.body_markdown}
    if campaign_id:
        letter = db.session.get(Campaign, campaign_id)
        if letter is None:
            return None
        return {"subject": letter.subject, "preheader": letter.preheader, "body_markdown": letter.body_markdown,
                "topic": letter.topic.code, "segment_id": letter.segment_id or 0, "public": letter.public}
    return None


def delete_draft(campaign: Campaign) -> None:
    """Only a draft goes: a letter that left (or is about to) stays, for its deliveries and the archive."""
    if campaign.status != CampaignStatus.DRAFT.value:
        raise CampaignError({"status": "Seul un brouillon peut être supprimé : une lettre programmée, envoyée "
                                       "ou annulée reste ; retirez-la des archives si besoin."})
    if db.session.scalar(sa.select(sa.func.count()).where(Delivery.campaign_id == campaign.id)):
        raise CampaignError({"status": "Cette lettre a déjà des envois : elle ne peut pas être supprimée."})
    db.session.delete(campaign)
    db.session.flush()


def set_public(campaign: Campaign, public: bool) -> None:
    """A sent letter is never deleted; it can leave the public archive (and come back)."""
    campaign.public = public
    db.session.flush()


def autosave(campaign: Campaign, subject: str, preheader: str, body_markdown: str) -> Campaign:
    """The editor's periodic save of a draft: the text only, with the checks of a save."""
    data = CampaignInput(subject=subject, body_markdown=body_markdown, topic=campaign.topic.code,
                         preheader=preheader, segment_id=campaign.segment_id, public=campaign.public)
    if campaign.status != CampaignStatus.DRAFT.value:
        raise CampaignError({"status": "Seul un brouillon s'enregistre automatiquement."})
    return save_campaign(data, campaign)


def letters_mentioning(keyword: str, item_id: int) -> list[dict[str, Any]]:
    """The ``campaigns.mentioning`` hook: letters whose body shows the card ``{{ keyword item_id }}``."""
    candidates = db.session.scalars(sa.select(Campaign).where(Campaign.body_markdown.contains(keyword))
                                    .order_by(Campaign.created_at.desc(), Campaign.id.desc()))
    return [{"subject": letter.subject, "status_label": str(letter.status_label),
             "url": url_for("campaigns.admin.show", campaign_id=letter.id)}
            for letter in candidates if (keyword, item_id) in blocks.references(letter.body_markdown)]
