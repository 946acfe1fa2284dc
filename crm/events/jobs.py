"""Scheduler jobs for events. The sending itself is the mail pipeline's dispatch job."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from crm.db import utcnow
from crm.events import reminders
from crm.events.models import Event, EventStatus
from crm.extensions import db


def sync_reminders(app: Flask) -> int:
    """A safety net, safe to run any number of times: every upcoming event's reminders match its rules,
    its date and its answers (a reminder is queued once per dedupe key, never twice)."""
    with app.app_context():
        now = utcnow()
        events = list(db.session.scalars(sa.select(Event).where(Event.status == EventStatus.PLANNED.value,
                                                                Event.starts_at > now)))
        for event in events:
            reminders.sync_event(event, now=now)
        db.session.commit()
        return len(events)
