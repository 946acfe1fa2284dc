"""Helpers for the events tests: a contact, a clock the sender and the renderers read, links and attachments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.message import EmailMessage

from crm.db import utcnow
from crm.partners.models import Contact
from tests import factories

RSVP_LINK = re.compile(r"https?://[^\s\"'<>]+/evenements/\d+/reponse/[A-Za-z0-9_\-.]+")


def make_contact(first: str, last: str, email: str) -> Contact:
    return factories.contact(email, first, last)


class Clock:
    """What ``utcnow`` returns in the sender (and its idle check), the claims and the event renderers: time moves
    when told."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return utcnow() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment - utcnow()


def rsvp_links(message: EmailMessage) -> list[str]:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return RSVP_LINK.findall(body.get_content())


def ics_attachment(message: EmailMessage) -> bytes | None:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    return None
