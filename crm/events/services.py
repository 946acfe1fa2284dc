"""Events and their invitee lists. Functions flush; callers commit."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from crm.forms import normalize_email
from crm.consent.mail_kinds import left_out
from crm.db import utcnow
from crm.errors import ValidationError
from crm.events import answers, mailing, reminders
from crm.events.models import (
    DEFAULT_REMINDERS,
    SEAT_STATUSES,
    Event,
    EventKind,
    EventStatus,
    Invitation,
    InvitationStatus,
    ReminderRule,
)
from crm.extensions import db
from crm.i18n import local_tz, to_local
from crm.partners.models import Contact

NEXT_SEMESTER_MONTHS = 6


class EventValidationError(ValidationError):
    pass


@dataclass
class EventInput:
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    place: str = ""
    capacity: int | None = None
    answer_deadline: datetime | None = None
    is_public: bool = False
    reminder_minutes: list[int] | None = None  # None: the defaults of the kind


@dataclass
class InviteResult:
    added: list[Invitation] = field(default_factory=list)
    already: int = 0
    unreachable: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # why (in French) -> how many


def _validate(data: EventInput) -> None:
    errors: dict[str, str] = {}
    if data.kind not in {k.value for k in EventKind}:
        errors["kind"] = "Type d'événement inconnu."
    if not data.title.strip():
        errors["title"] = "Le titre est obligatoire."
    for name in ("starts_at", "ends_at", "answer_deadline"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime")
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = "La fin doit être après le début."
    if data.answer_deadline is not None and data.answer_deadline > data.starts_at:
        errors["answer_deadline"] = "La date limite de réponse doit précéder le début de l'événement."
    if data.capacity is not None and data.capacity < 1:
        errors["capacity"] = "La capacité doit être d'au moins une place (laisser vide : sans limite)."
    if data.reminder_minutes is not None and any(m <= 0 for m in data.reminder_minutes):
        errors["reminders"] = "Un rappel doit partir avant le début de l'événement."
    if errors:
        raise EventValidationError(errors)


def new_uid() -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "territoires-industrie.invalid"
    return f"evenement-{uuid.uuid4().hex}@{host}"


def default_reminder_minutes(kind: str) -> list[int]:
    units = {"days": 1440, "hours": 60}
    return [amount * units[unit] for amount, unit in DEFAULT_REMINDERS[EventKind(kind)]]


def _set_rules(event: Event, minutes: Iterable[int]) -> None:
    wanted = sorted(set(minutes), reverse=True)
    for rule in list(event.reminder_rules):
        if rule.minutes_before not in wanted:
            event.reminder_rules.remove(rule)
    have = {rule.minutes_before for rule in event.reminder_rules}
    for value in wanted:
        if value not in have:
            event.reminder_rules.append(ReminderRule(minutes_before=value))


def create_event(data: EventInput) -> Event:
    _validate(data)
    event = Event(uid=new_uid(), kind=data.kind, title=data.title.strip(), description=data.description.strip(),
                  starts_at=data.starts_at, ends_at=data.ends_at, place=data.place.strip(), capacity=data.capacity,
                  answer_deadline=data.answer_deadline, is_public=data.is_public,
                  status=EventStatus.PLANNED.value, sequence=0)
    db.session.add(event)
    minutes = data.reminder_minutes if data.reminder_minutes is not None else default_reminder_minutes(data.kind)
    _set_rules(event, minutes)
    db.session.flush()
    return event


CALENDAR_FIELDS = ("title", "description", "starts_at", "ends_at", "place")
SCHEDULE_FIELDS = ("starts_at", "ends_at", "place")  # a change here mails every invitee an update


def update_event(event: Event, data: EventInput, *, now: datetime | None = None) -> bool:
    """Saves the event; returns True when invitees were sent an update (date, time or place changed)."""
    if event.is_cancelled:
        raise EventValidationError({"status": "Un événement annulé ne peut plus être modifié."})
    _validate(data)
    now = now or utcnow()
    before = {name: getattr(event, name) for name in CALENDAR_FIELDS}
    old_capacity = event.capacity
    event.kind = data.kind
    event.title = data.title.strip()
    event.description = data.description.strip()
    event.starts_at, event.ends_at = data.starts_at, data.ends_at
    event.place = data.place.strip()
    event.capacity = data.capacity
    event.answer_deadline = data.answer_deadline
    event.is_public = data.is_public
    if data.reminder_minutes is not None:
        _set_rules(event, data.reminder_minutes)
    changed = {name for name in CALENDAR_FIELDS if getattr(event, name) != before[name]}
    if changed:
        event.sequence += 1
    db.session.flush()
    schedule_changed = bool(changed & set(SCHEDULE_FIELDS))
    if schedule_changed:
        mailing.queue_for_invitees(event, "event_update", f"update:{event.sequence}",
                                   statuses=(InvitationStatus.INVITED, InvitationStatus.ACCEPTED,
                                             InvitationStatus.WAITLISTED))
    reminders.sync_event(event, now=now)
    if old_capacity is not None and (event.capacity is None or event.capacity > old_capacity):
        answers.promote_waitlisted(event, now=now)
    db.session.flush()
    return schedule_changed


def cancel_event(event: Event, *, now: datetime | None = None) -> int:
    """Cancels the event: pending reminders and unsent invitations stop; invitees get a METHOD:CANCEL mail."""
    if event.is_cancelled:
        return 0
    event.status = EventStatus.CANCELLED.value
    event.sequence += 1
    db.session.flush()
    reminders.sync_event(event, now=now)
    mailing.cancel_queued(event, kinds=("invitation", "event_update", "rsvp_confirmation"))
    queued = mailing.queue_for_invitees(
        event, "event_cancel", f"cancel:{event.sequence}",
        statuses=(InvitationStatus.INVITED, InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED),
        only_already_mailed=True,
    )
    db.session.flush()
    return queued


def _add_months(value: datetime, months: int) -> datetime:
    """Same local wall-clock time, ``months`` later (the day clamped to the month's end)."""
    local = to_local(value).replace(tzinfo=None)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = local.day
    while True:
        try:
            moved = local.replace(year=year, month=month, day=day)
            break
        except ValueError:
            day -= 1
    return moved.replace(tzinfo=local_tz()).astimezone(value.tzinfo)


def duplicate_event(event: Event, months: int = NEXT_SEMESTER_MONTHS) -> Event:
    """The same event for the next semester: same kind, place, capacity, reminders; no invitee."""
    copy = Event(uid=new_uid(), kind=event.kind, title=event.title, description=event.description,
                 starts_at=_add_months(event.starts_at, months), ends_at=_add_months(event.ends_at, months),
                 place=event.place, capacity=event.capacity, is_public=event.is_public,
                 answer_deadline=_add_months(event.answer_deadline, months) if event.answer_deadline else None,
                 status=EventStatus.PLANNED.value, sequence=0)
    db.session.add(copy)
    _set_rules(copy, [rule.minutes_before for rule in event.reminder_rules])
    db.session.flush()
    return copy


def invite_contacts(event: Event, contact_ids: Iterable[int], *, send: bool = True) -> InviteResult:
    """Adds invitees (once each); with ``send`` their invitation mail is queued for the scheduler."""
    if event.is_cancelled:
        raise EventValidationError({"event": "Cet événement est annulé : on ne peut plus y inviter."})
    result = InviteResult()
    ids = sorted(set(contact_ids))
    if not ids:
        return result
    existing = set(db.session.scalars(sa.select(Invitation.contact_id).where(
        Invitation.event_id == event.id, Invitation.contact_id.in_(ids))))
    result.already = len(existing)
    new_ids = sorted(db.session.scalars(sa.select(Contact.id).where(Contact.id.in_(set(ids) - existing))))
    refused = left_out("invitation", new_ids)  # the recipient rule, for the whole list in one query
    for contact_id in new_ids:
        reason = refused.get(contact_id)
        if reason is not None:
            result.unreachable += 1
            result.left_out[reason] = result.left_out.get(reason, 0) + 1
            continue
        invitation = Invitation(event_id=event.id, contact_id=contact_id, status=InvitationStatus.INVITED.value,
                                token=secrets.token_urlsafe(32))
        db.session.add(invitation)
        result.added.append(invitation)
    db.session.flush()
    if send:
        for invitation in result.added:
            mailing.queue_invitation(invitation)
    db.session.flush()
    return result


def contact_ids_for_emails(text: str) -> tuple[list[int], list[str]]:
    """Addresses typed by hand -> known contacts, and the addresses no contact has."""
    wanted: dict[str, str] = {}
    for raw in text.replace(";", "\n").replace(",", "\n").split():
        try:
            wanted[normalize_email(raw)] = raw
        except Exception:  # a malformed address is reported as unknown
            wanted[raw.strip().lower()] = raw
    if not wanted:
        return [], []
    found = dict(db.session.execute(sa.select(Contact.email, Contact.id).where(Contact.email.in_(wanted))).all())
    unknown = [raw for key, raw in wanted.items() if key not in found]
    return sorted(found.values()), unknown


def send_pending_invitations(event: Event) -> int:
    """Queues the invitation mail of every invitee who has none yet."""
    pending = db.session.scalars(sa.select(Invitation).where(
        Invitation.event_id == event.id, Invitation.status == InvitationStatus.INVITED.value,
        Invitation.mail_queued_at.is_(None)))
    return sum(1 for invitation in pending if mailing.queue_invitation(invitation))


def resend_to_unanswered(event: Event, *, now: datetime | None = None) -> int:
    """A new copy of the invitation to every invitee who has not answered yet."""
    if event.is_cancelled or not event.answers_open(now):
        raise EventValidationError({"event": "Les réponses sont closes : pas de relance possible."})
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%S")
    return mailing.queue_for_invitees(event, "invitation", f"resend:{stamp}",
                                      statuses=(InvitationStatus.INVITED,))


def counts(event: Event) -> dict[str, int]:
    rows = dict(db.session.execute(sa.select(Invitation.status, sa.func.count()).where(
        Invitation.event_id == event.id).group_by(Invitation.status)).all())
    came = rows.get(InvitationStatus.ATTENDED.value, 0)
    return {
        "invited": sum(n for status, n in rows.items() if status != InvitationStatus.CANCELLED.value),
        "yes": rows.get(InvitationStatus.ACCEPTED.value, 0) + came + rows.get(InvitationStatus.NO_SHOW.value, 0),
        "no": rows.get(InvitationStatus.DECLINED.value, 0),
        "waiting": rows.get(InvitationStatus.WAITLISTED.value, 0),
        "no_answer": rows.get(InvitationStatus.INVITED.value, 0),
        "came": came,
    }


def upcoming_public_events(now: datetime | None = None) -> list[Event]:
    stmt = sa.select(Event).where(Event.is_public.is_(True), Event.status == EventStatus.PLANNED.value,
                                  Event.ends_at >= (now or utcnow())).order_by(Event.starts_at)
    return list(db.session.scalars(stmt))


def mark_attendance(invitation: Invitation, came: bool, *, now: datetime | None = None) -> None:
    if invitation.status == InvitationStatus.CANCELLED.value:
        raise EventValidationError({"status": "Cette invitation a été retirée."})
    invitation.status = (InvitationStatus.ATTENDED if came else InvitationStatus.NO_SHOW).value
    invitation.attendance_marked_at = now or utcnow()
    db.session.flush()


def count_unsent(event: Event) -> int:
    """Invitees whose invitation mail has not been queued yet."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.event_id == event.id, Invitation.status == InvitationStatus.INVITED.value,
        Invitation.mail_queued_at.is_(None))) or 0


def withdraw_invitation(invitation: Invitation, *, now: datetime | None = None) -> None:
    """The team takes an invitation back: its link stops working, its pending mails stop, a seat frees up."""
    answers.lock_event(invitation.event_id)
    held_seat = invitation.status in SEAT_STATUSES
    invitation.status = InvitationStatus.CANCELLED.value
    invitation.token = secrets.token_urlsafe(32)
    db.session.flush()
    mailing.cancel_queued_for(invitation)
    if held_seat:
        answers.promote_waitlisted(invitation.event, now=now)
    db.session.flush()
