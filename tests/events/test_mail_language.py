"""Mail speaks the recipient's language (French by default), not the language of the page that sent it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from crm.extensions import db
from crm.mail.pipeline import send_due
from crm.partners.models import Contact


def _invite_from_an_english_page(client: Any, login: Any, make_event: Any, contacts: Any,
                                  outbox: list[Any]) -> Any:
    login("editor")
    client.post("/langue/en")
    event = make_event(title="Réunion d'automne")
    client.post(f"/admin/evenements/{event.id}/inviter/adresses", data={"emails": contacts[0].email, "send": "y"})
    # Sent from within a request read in English (as mail delivered right after a commit is, in development).
    with current_app.test_request_context(), force_locale("en"):
        send_due()
    (message,) = outbox
    return message


def test_an_invitation_sent_from_an_english_page_stays_french(client: Any, login: Any, make_event: Any,
                                                               contacts: Any, outbox: list[Any]) -> None:
    message = _invite_from_an_english_page(client, login, make_event, contacts, outbox)
    assert "(comité technique semestriel)" in message.body  # the kind of event, in the contact's French
    assert "technical committee" not in message.body.lower()


def test_a_contact_who_reads_english_gets_the_translated_labels(client: Any, login: Any, make_event: Any,
                                                                contacts: Any, outbox: list[Any]) -> None:
    db.session.get(Contact, contacts[0].id).language = "en"
    db.session.commit()
    message = _invite_from_an_english_page(client, login, make_event, contacts, outbox)
    assert "(comité technique semestriel)" not in message.body
    assert db.session.scalar(sa.select(Contact.language).where(Contact.id == contacts[0].id)) == "en"
