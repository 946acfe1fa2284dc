"""Fictional demo data: the next technical committee."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from crm.events.services import EventInput, create_event
from crm.i18n import local_tz


def next_committee() -> EventInput:
    day = date.today() + timedelta(days=45)
    starts = datetime.combine(day, time(14, 0), local_tz()).astimezone(UTC)
    return EventInput(
        kind="comite_technique", title="Comité technique semestriel Territoires d'industrie",
        starts_at=starts, ends_at=starts + timedelta(hours=2, minutes=30),
        description="Suivi du plan d'actions, point sur le Club des Industriels et les projets collaboratifs.",
        place="Hôtel de Ville d'Alençon (salle fictive)", capacity=60,
        answer_deadline=starts - timedelta(days=7), is_public=True,
    )


def load() -> None:
    create_event(next_committee())
