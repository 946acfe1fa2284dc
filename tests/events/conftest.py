"""Fixtures for the events tests: contacts, an event, a clock the sender and the renderers read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from crm.db import utcnow
from crm.events import services
from crm.events.models import Event
from crm.extensions import db
from crm.partners.models import Contact
from tests.events.helpers import Clock, make_contact


@pytest.fixture
def contacts(app: Any) -> list[Contact]:
    people = [make_contact("Camille", "Aubert", "camille.aubert@example.org"),
              make_contact("Dominique", "Bernier", "dominique.bernier@example.org"),
              make_contact("Élise", "Carpentier", "elise.carpentier@example.org")]
    db.session.commit()
    return people


@pytest.fixture
def make_event(app: Any) -> Callable[..., Event]:
    def factory(**overrides: Any) -> Event:
        starts = overrides.pop("starts_at", utcnow().replace(microsecond=0) + timedelta(days=30))
        data = services.EventInput(
            kind=overrides.pop("kind", "comite_technique"),
            title=overrides.pop("title", "Comité technique semestriel"),
            starts_at=starts, ends_at=overrides.pop("ends_at", starts + timedelta(hours=3)),
            place=overrides.pop("place", "Hôtel de ville, Alençon"), **overrides,
        )
        event = services.create_event(data)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    import crm.events.mailing
    import crm.mail.claims
    import crm.mail.jobs
    import crm.mail.pipeline

    fake = Clock()
    for module in (crm.mail.pipeline, crm.mail.claims, crm.mail.jobs, crm.events.mailing):
        monkeypatch.setattr(module, "utcnow", fake.now)
    yield fake
