"""RSVP answers: yes, no, the waiting list, the deadline; correct when two answers arrive at once.

Every answer first takes a per-event write lock (PostgreSQL: ``SELECT ... FOR UPDATE`` on the event row;
SQLite: ``BEGIN IMMEDIATE``, one writer at a time), then re-reads the seats taken and the deadline, so the
capacity can never be exceeded and an answer after the deadline never lands.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from crm.db import utcnow
from crm.events import mailing, reminders
from crm.events.models import SEAT_STATUSES, Event, EventStatus, Invitation, InvitationStatus
from crm.extensions import db


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CLOSED = "closed"
    EVENT_CANCELLED = "event_cancelled"
    NOT_ANSWERABLE = "not_answerable"


def lock_event(event_id: int) -> None:
    """Serialises every answer to one event until the caller commits or rolls back."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    db.session.execute(sa.select(Event.id).where(Event.id == event_id).with_for_update())


def seats_taken(event_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.event_id == event_id, Invitation.status.in_(SEAT_STATUSES))) or 0


def _has_seat(event: Event) -> bool:
    return event.capacity is None or seats_taken(event.id) < event.capacity


def answer(invitation_id: int, yes: bool, *, now: datetime | None = None) -> Outcome:
    """Records one answer. GET never calls this; the caller commits."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return Outcome.NOT_ANSWERABLE
    lock_event(invitation.event_id)
    now = now or utcnow()
    # Re-read under the lock: another answer may have committed since this request loaded them.
    invitation = db.session.get(Invitation, invitation_id, populate_existing=True)
    event = db.session.get(Event, invitation.event_id, populate_existing=True)  # type: ignore[union-attr]
    assert invitation is not None and event is not None
    if event.status == EventStatus.CANCELLED:
        return Outcome.EVENT_CANCELLED
    if invitation.status not in (InvitationStatus.INVITED, InvitationStatus.ACCEPTED,
                                 InvitationStatus.WAITLISTED, InvitationStatus.DECLINED):
        return Outcome.NOT_ANSWERABLE
    if not event.answers_open(now):
        return Outcome.CLOSED
    current = InvitationStatus(invitation.status)
    if yes and current in (InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED):
        return Outcome(current.value)  # the same answer twice changes nothing and mails nothing
    if not yes and current is InvitationStatus.DECLINED:
        return Outcome.DECLINED
    if yes:
        outcome = Outcome.ACCEPTED if _has_seat(event) else Outcome.WAITLISTED
        invitation.status = outcome.value
        invitation.answered_at, invitation.answer_count = now, invitation.answer_count + 1
        db.session.flush()
        mailing.queue_confirmation(invitation)
        reminders.sync_invitation(invitation, now=now)
        return outcome
    invitation.status = InvitationStatus.DECLINED.value
    invitation.answered_at, invitation.answer_count = now, invitation.answer_count + 1
    db.session.flush()
    reminders.sync_invitation(invitation, now=now)
    if current is InvitationStatus.ACCEPTED:
        promote_waitlisted(event, now=now)
    return Outcome.DECLINED


def promote_waitlisted(event: Event, *, now: datetime | None = None) -> int:
    """Gives freed seats to the waiting list, first come first served; each gets a confirmation."""
    promoted = 0
    while _has_seat(event):
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.event_id == event.id,
                                        Invitation.status == InvitationStatus.WAITLISTED.value)
            .order_by(Invitation.answered_at, Invitation.id).limit(1))
        if invitation is None:
            break
        invitation.status = InvitationStatus.ACCEPTED.value
        invitation.answer_count += 1
        db.session.flush()
        mailing.queue_confirmation(invitation, promoted=True)
        reminders.sync_invitation(invitation, now=now)
        promoted += 1
    return promoted
