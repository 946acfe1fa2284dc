"""Fixtures for the events tests: contacts, an event, a clock the sender and the renderers read."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from crm.db import utcnow
from crm.events import services
from crm.events.models import Event
from crm.extensions import db
from crm.partners.models import Contact

RSVP_LINK = re.compile(r"https?://[^\s\"'<>]+/evenements/\d+/reponse/[A-Za-z0-9_\-.]+")


def make_contact(first: str, last: str, email: str) -> Contact:
    contact = Contact(first_name=first, last_name=last, first_name_key=first.lower(), last_name_key=last.lower(),
                      email=email)
    db.session.add(contact)
    db.session.flush()
    return contact


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


class Clock:
    """What ``utcnow`` returns in the sender, the claims and the event renderers: time moves when told."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return utcnow() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment - utcnow()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    import crm.events.mailing
    import crm.mail.claims
    import crm.mail.pipeline

    fake = Clock()
    for module in (crm.mail.pipeline, crm.mail.claims, crm.events.mailing):
        monkeypatch.setattr(module, "utcnow", fake.now)
    yield fake


def rsvp_links(message: EmailMessage) -> list[str]:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return RSVP_LINK.findall(body.get_content())


def ics_attachment(message: EmailMessage) -> bytes | None:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    return None
