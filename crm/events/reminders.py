"""Reminders are queued deliveries due at (start − rule) for everyone who said yes.

One delivery per invitation, rule and event sequence ('invitation:<id>:reminder:<rule>:<sequence>'): moving the
event raises the sequence, so the old pending reminders are cancelled and new ones are queued at the new times,
while a reminder already sent for the old date never blocks the one for the new date.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.db import utcnow
from crm.events.models import Event, EventStatus, Invitation, InvitationStatus
from crm.extensions import db
from crm.mail.models import Delivery, DeliveryStatus
from crm.mail.pipeline import queue_delivery

KIND = "reminder"


def reminder_key(invitation_id: int, rule_id: int, sequence: int) -> str:
    return f"invitation:{invitation_id}:reminder:{rule_id}:{sequence}"


def _wanted(invitation: Invitation, event: Event, now: datetime) -> dict[str, datetime]:
    if event.status != EventStatus.PLANNED or invitation.status != InvitationStatus.ACCEPTED:
        return {}
    wanted = {}
    for rule in event.reminder_rules:
        due = event.starts_at - rule.offset
        if due > now:
            wanted[reminder_key(invitation.id, rule.id, event.sequence)] = due
    return wanted


def sync_invitation(invitation: Invitation, *, now: datetime | None = None) -> None:
    """Queues the reminders this invitation should get and cancels the pending ones it should not."""
    now = now or utcnow()
    event = invitation.event
    wanted = _wanted(invitation, event, now)
    existing = dict(db.session.execute(sa.select(Delivery.dedupe_key, Delivery.id).where(
        Delivery.kind == KIND, Delivery.source_id == invitation.id)).all())
    stale = [delivery_id for key, delivery_id in existing.items() if key not in wanted]
    if stale:  # conditional: a reminder the sender already claimed is left to it
        db.session.execute(sa.update(Delivery).where(Delivery.id.in_(stale),
                                                     Delivery.status == DeliveryStatus.QUEUED.value)
                           .values(status=DeliveryStatus.CANCELLED.value))
    for key, due in wanted.items():
        if key not in existing:
            queue_delivery(KIND, key, contact_id=invitation.contact_id, source_id=invitation.id, send_after=due)
        else:
            db.session.execute(sa.update(Delivery).where(Delivery.id == existing[key],
                                                         Delivery.status.in_((DeliveryStatus.QUEUED.value,
                                                                              DeliveryStatus.CANCELLED.value)))
                               .values(status=DeliveryStatus.QUEUED.value, next_attempt_at=due))
    db.session.flush()


def sync_event(event: Event, *, now: datetime | None = None) -> None:
    """After a move, a cancellation or a change of rules: every invitee's reminders follow the event."""
    invitations = db.session.scalars(sa.select(Invitation).where(Invitation.event_id == event.id))
    for invitation in invitations:
        sync_invitation(invitation, now=now)


def pending_for(invitation: Invitation) -> list[Delivery]:
    stmt = sa.select(Delivery).where(Delivery.kind == KIND, Delivery.source_id == invitation.id,
                                     Delivery.status == DeliveryStatus.QUEUED.value).order_by(Delivery.next_attempt_at)
    return list(db.session.scalars(stmt))
