"""The events' section of the dashboard: the coming events and their answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date

from crm.db import utcnow
from crm.events.models import Event, EventStatus, Invitation, InvitationStatus
from crm.extensions import db
from crm.forms import lazy_gettext as _l

ANSWER_SERIES = [("accepted", _l("Oui")), ("declined", _l("Non")), ("invited", _l("Sans réponse")),
                 ("other", _l("Autre"))]
SHOWN = {InvitationStatus.ACCEPTED.value, InvitationStatus.DECLINED.value, InvitationStatus.INVITED.value}


@dataclass
class EventFigures:
    title: str
    starts_at: datetime
    answers: dict[str, int]

    @property
    def invited(self) -> int:
        return sum(self.answers.values())


def upcoming(limit: int = 6) -> list[EventFigures]:
    coming = db.session.execute(sa.select(Event.id, Event.title, Event.starts_at).where(
        Event.starts_at >= utcnow(), Event.status != EventStatus.CANCELLED.value)
        .order_by(Event.starts_at).limit(limit)).all()
    if not coming:
        return []
    answers: dict[int, dict[str, int]] = {row.id: {} for row in coming}
    for event_id, status, number in db.session.execute(
            sa.select(Invitation.event_id, Invitation.status, sa.func.count())
            .where(Invitation.event_id.in_(list(answers))).group_by(Invitation.event_id, Invitation.status)):
        if status == InvitationStatus.CANCELLED.value:
            continue
        key = status if status in SHOWN else "other"
        answers[event_id][key] = answers[event_id].get(key, 0) + number
    return [EventFigures(row.title, row.starts_at, answers[row.id]) for row in coming]


def panel() -> dict[str, Any]:
    events = upcoming()
    return {"events": events, "answer_series": ANSWER_SERIES,
            "event_rows": [(f"{e.title} — {format_date(e.starts_at, 'short')}", e.answers) for e in events]}


def task_subjects(kind: str, ids: list[int]) -> dict[int, tuple[str, str, dict[str, Any]]] | None:
    """The ``tasks.subjects`` hook: an event a task is about, named by its title, on its page."""
    if kind != "event":
        return None
    rows = db.session.execute(sa.select(Event.id, Event.title).where(Event.id.in_(ids)))
    return {i: (title, "events.detail", {"event_id": i}) for i, title in rows}
