"""Figures for the semi-annual technical committee, each computed by one aggregate query.

Campaigns, events and signups are read through the table metadata, so the dashboard renders (with empty
sections) on a database where those features have no rows, and never needs one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.consent.models import ConsentAction, ConsentRecord, OptInStatus, Subscription
from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.partners.models import (
    AMBASSADOR_LABELS,
    AmbassadorStatus,
    ClubMembership,
    Contact,
    Note,
    Organisation,
    OrganisationKind,
    Sector,
    organisation_sectors,
)
from crm.partners.territory import department_label

MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
ANSWER_SERIES = [("accepted", _l("Oui")), ("declined", _l("Non")), ("invited", _l("Sans réponse")),
                 ("other", _l("Autre"))]
REQUEST_LABELS = {"join": _l("Rejoindre la démarche"), "newsletter": _l("Recevoir la lettre"),
                  "project": _l("Échanger sur un projet"), "ambassador": _l("Devenir ambassadeur"),
                  "kit": _l("Recevoir le kit de communication")}


@dataclass
class CampaignFigures:
    subject: str
    date: datetime | None
    sent: int
    bounced: int
    unsubscribed: int


@dataclass
class EventFigures:
    title: str
    starts_at: datetime
    answers: dict[str, int]

    @property
    def invited(self) -> int:
        return sum(self.answers.values())


@dataclass
class Dashboard:
    today: date
    organisations: int
    contacts: int
    club_members: int
    subscribers: int
    open_tasks: int
    by_kind: list[tuple[str, int]]
    by_sector: list[tuple[str, int]]
    by_department: list[tuple[str, int]]
    ambassadors: list[tuple[str, int]]
    subscribers_by_month: list[tuple[str, int]]
    club_by_year: list[tuple[str, int]]
    campaigns: list[CampaignFigures] = field(default_factory=list)
    events: list[EventFigures] = field(default_factory=list)
    waiting: list[tuple[str, int]] = field(default_factory=list)

    @property
    def waiting_total(self) -> int:
        return sum(count for _, count in self.waiting)


def _count(stmt: Any) -> int:
    return db.session.scalar(stmt) or 0


def _club_members(today: date) -> int:
    return _count(sa.select(sa.func.count(sa.distinct(ClubMembership.organisation_id))).where(
        ClubMembership.joined_on <= today, sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today)))


def _by_kind() -> list[tuple[str, int]]:
    rows = db.session.execute(
        sa.select(OrganisationKind.label, sa.func.count(Organisation.id))
        .select_from(Organisation).outerjoin(OrganisationKind, OrganisationKind.id == Organisation.kind_id)
        .group_by(OrganisationKind.label, OrganisationKind.position).order_by(OrganisationKind.position))
    return [(label or "Non renseigné", count) for label, count in rows]


def _by_sector() -> list[tuple[str, int]]:
    rows = db.session.execute(
        sa.select(Sector.label, sa.func.count(organisation_sectors.c.organisation_id))
        .select_from(Sector).outerjoin(organisation_sectors, organisation_sectors.c.sector_id == Sector.id)
        .group_by(Sector.label, Sector.position).order_by(Sector.position))
    return [(label, count) for label, count in rows]


def _by_department() -> list[tuple[str, int]]:
    rows = db.session.execute(sa.select(Organisation.department, sa.func.count()).group_by(Organisation.department))
    items = sorted(((department_label(d) or "Non renseigné", n) for d, n in rows), key=lambda item: (-item[1], item[0]))
    return items


def _ambassadors() -> list[tuple[str, int]]:
    counts = dict(db.session.execute(sa.select(Contact.ambassador_status, sa.func.count())
                                     .where(Contact.ambassador_status != AmbassadorStatus.NONE.value)
                                     .group_by(Contact.ambassador_status)).all())
    return [(AMBASSADOR_LABELS[s], counts.get(s.value, 0)) for s in
            (AmbassadorStatus.CANDIDATE, AmbassadorStatus.ACTIVE, AmbassadorStatus.FORMER)]


def _month_ends(today: date, months: int) -> list[date]:
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        ends.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(ends))  # the first day of each month; the point is "at the start of next month"


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _subscribers_by_month(today: date, tz: ZoneInfo, months: int = 12) -> list[tuple[str, int]]:
    """Confirmed subscribers at the end of each of the last months (today for the current one)."""
    points = []
    columns = []
    for index, first in enumerate(_month_ends(today, months)):
        end = _next_month(first)
        moment = utcnow() if end > today else datetime.combine(end, time(), tz).astimezone(UTC)
        confirmed = sa.and_(Subscription.confirmed_at.is_not(None), Subscription.confirmed_at <= moment,
                            sa.or_(Subscription.unsubscribed_at.is_(None), Subscription.unsubscribed_at > moment,
                                   Subscription.unsubscribed_at < Subscription.confirmed_at))
        columns.append(sa.func.count().filter(confirmed).label(f"m{index}"))
        points.append(f"{MONTHS_FR[first.month - 1]} {first.year % 100:02d}")
    row = db.session.execute(sa.select(*columns).select_from(Subscription)).one()
    return list(zip(points, list(row), strict=True))


def _club_by_year(today: date) -> list[tuple[str, int]]:
    """Members at the end of each of the last five years."""
    items = []
    for year in range(today.year - 4, today.year + 1):
        day = min(date(year, 12, 31), today)
        items.append((str(year), _club_members(day)))
    return items


def _campaigns(limit: int = 8) -> list[CampaignFigures]:
    campaigns, deliveries = db.metadata.tables.get("campaigns"), db.metadata.tables.get("deliveries")
    if campaigns is None or deliveries is None or "started_at" not in campaigns.c:
        return []
    recent = db.session.execute(sa.select(campaigns.c.id, campaigns.c.subject, campaigns.c.started_at)
                                .where(campaigns.c.started_at.is_not(None))
                                .order_by(campaigns.c.started_at.desc()).limit(limit)).all()
    if not recent:
        return []
    ids = [row.id for row in recent]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    for campaign_id, status, number in db.session.execute(
            sa.select(deliveries.c.campaign_id, deliveries.c.status, sa.func.count())
            .where(deliveries.c.campaign_id.in_(ids)).group_by(deliveries.c.campaign_id, deliveries.c.status)):
        counts[campaign_id][status] = number
    result = []
    for row in recent:
        recipients = sa.select(deliveries.c.contact_id).where(deliveries.c.campaign_id == row.id,
                                                              deliveries.c.status.in_(["sent", "bounced"]))
        unsubscribed = _count(sa.select(sa.func.count(sa.distinct(ConsentRecord.contact_id))).where(
            ConsentRecord.action == ConsentAction.UNSUBSCRIBE.value, ConsentRecord.at >= row.started_at,
            ConsentRecord.contact_id.in_(recipients)))
        c = counts[row.id]
        result.append(CampaignFigures(row.subject, row.started_at, c.get("sent", 0) + c.get("bounced", 0),
                                      c.get("bounced", 0), unsubscribed))
    return result


def _events(limit: int = 6) -> list[EventFigures]:
    events, invitations = db.metadata.tables.get("events"), db.metadata.tables.get("invitations")
    if events is None or invitations is None:
        return []
    stmt = sa.select(events.c.id, events.c.title, events.c.starts_at).where(events.c.starts_at >= utcnow())
    if "status" in events.c:
        stmt = stmt.where(events.c.status != "cancelled")
    upcoming = db.session.execute(stmt.order_by(events.c.starts_at).limit(limit)).all()
    if not upcoming:
        return []
    answers: dict[int, dict[str, int]] = {row.id: {} for row in upcoming}
    for event_id, status, number in db.session.execute(
            sa.select(invitations.c.event_id, invitations.c.status, sa.func.count())
            .where(invitations.c.event_id.in_(list(answers))).group_by(invitations.c.event_id, invitations.c.status)):
        key = status if status in {"accepted", "declined", "invited"} else "other"
        if status == "cancelled":
            continue
        answers[event_id][key] = answers[event_id].get(key, 0) + number
    return [EventFigures(row.title, row.starts_at, answers[row.id]) for row in upcoming]


def _waiting() -> list[tuple[str, int]]:
    items = []
    requests = db.metadata.tables.get("signup_requests")
    if requests is not None and "status" in requests.c:
        for kind, number in db.session.execute(sa.select(requests.c.kind, sa.func.count())
                                               .where(requests.c.status == "open").group_by(requests.c.kind)):
            items.append((_l("Demande : %(request)s", request=REQUEST_LABELS.get(kind, kind)), number))
    pending = _count(sa.select(sa.func.count()).select_from(Subscription)
                     .where(Subscription.status == OptInStatus.PENDING.value))
    items.append((_l("Inscriptions en attente de confirmation de l'adresse"), pending))
    candidates = _count(sa.select(sa.func.count()).select_from(Contact)
                        .where(Contact.ambassador_status == AmbassadorStatus.CANDIDATE.value))
    items.append((_l("Candidatures d'ambassadeur à examiner"), candidates))
    return items


def scheduler_heartbeat(instance_path: str) -> datetime | None:
    """When the scheduler process last ticked (it writes this file every minute), or None if never."""
    from pathlib import Path

    from crm.jobs import HEARTBEAT_FILE

    try:
        return datetime.fromisoformat(Path(instance_path, HEARTBEAT_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def build(today: date | None = None, timezone: str = "Europe/Paris") -> Dashboard:
    tz = ZoneInfo(timezone)
    today = today or datetime.now(tz).date()
    return Dashboard(
        today=today,
        organisations=_count(sa.select(sa.func.count()).select_from(Organisation)),
        contacts=_count(sa.select(sa.func.count()).select_from(Contact).where(Contact.email.is_not(None))),
        club_members=_club_members(today),
        subscribers=_count(sa.select(sa.func.count()).select_from(Subscription)
                           .where(Subscription.status == OptInStatus.CONFIRMED.value)),
        open_tasks=_count(sa.select(sa.func.count()).select_from(Note)
                          .where(Note.kind == "task", Note.done_at.is_(None))),
        by_kind=_by_kind(), by_sector=_by_sector(), by_department=_by_department(), ambassadors=_ambassadors(),
        subscribers_by_month=_subscribers_by_month(today, tz), club_by_year=_club_by_year(today),
        campaigns=_campaigns(), events=_events(), waiting=_waiting(),
    )
