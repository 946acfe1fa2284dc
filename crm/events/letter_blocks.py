"""Events in the lettre d'information: the card of ``{{ evenement 12 }}`` (the ``campaigns.blocks`` hook) and its
answer link, personal to each recipient.

A letter goes to subscribers who may not be invited yet: the link names the event and the person (bound to the
person's ``link_secret``, crm.signup.links), and answering it invites the person first. A GET only shows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.db import utcnow
from crm.events import display
from crm.events.models import Event, EventStatus, Invitation
from crm.extensions import db
from crm.partners.models import Contact
from crm.security import TokenError, days, read_token, token_url

PURPOSE = "letter_rsvp"
MAX_AGE_SETTING = "RSVP_LINK_MAX_AGE_DAYS"


def answer_url(event_id: int, contact: Any) -> str:
    return token_url("rsvp.letter_answer_page", PURPOSE, [event_id, contact.id, contact.link_secret],
                     event_id=event_id)


def read(event_id: int, token: str) -> Contact | None:
    """The person a letter's answer link was made for, or None (forged, expired, another event or person)."""
    try:
        value = read_token(PURPOSE, token, days(MAX_AGE_SETTING))
    except TokenError:
        return None
    if not (isinstance(value, list) and len(value) == 3 and value[0] == event_id and isinstance(value[1], int)
            and isinstance(value[2], str)):
        return None
    contact = db.session.get(Contact, value[1])
    if contact is None or not contact.email or contact.link_secret != value[2]:
        return None
    return contact


def invitation_of(event_id: int, contact_id: int) -> Invitation | None:
    return db.session.scalar(sa.select(Invitation).where(Invitation.event_id == event_id,
                                                         Invitation.contact_id == contact_id))


class EventBlocks:
    label = "Événement"

    def choices(self) -> list[tuple[int, str]]:
        events = db.session.scalars(sa.select(Event).where(Event.status != EventStatus.CANCELLED.value,
                                                           Event.ends_at >= utcnow()).order_by(Event.starts_at))
        return [(event.id, f"{event.title} — {display.long_datetime(event.starts_at)}") for event in events]

    def card(self, event_id: int) -> dict[str, Any] | None:
        event = db.session.get(Event, event_id)
        if event is None:
            return None
        facts = [("Quand", display.when(event))]
        if event.place:
            facts.append(("Où", event.place))
        if event.is_cancelled:
            facts.append(("Attention", "cet événement est annulé"))
        return {"kicker": event.kind_label, "title": event.title, "facts": facts, "progress": None,
                "link_label": None if event.is_cancelled else "Je réponds à l'invitation",
                "public_note": "Les abonnés de la lettre ont reçu un lien personnel pour répondre."}

    def personal_url(self, event_id: int, contact: Any) -> str | None:
        if not getattr(contact, "link_secret", None):
            return None
        return answer_url(event_id, contact)


def blocks() -> dict[str, Any]:
    """The ``campaigns.blocks`` hook."""
    return {"evenement": EventBlocks()}
