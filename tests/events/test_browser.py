"""A person answers from the link in the invitation mail, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crm.events import services
from crm.events.models import Invitation
from crm.extensions import db
from crm.mail.pipeline import send_due
from tests.events.helpers import RSVP_LINK

pytestmark = pytest.mark.browser


def test_answer_yes_then_no_from_the_mail_link(app: Any, live_server: Any, page: Any, outbox: Any,
                                                make_event: Any, contacts: Any) -> None:
    app.config["SEND_RATE_PER_SECOND"] = 1000
    event = make_event(place="Pôle Simone Veil, Alençon")
    invitation_id = services.invite_contacts(event, [contacts[0].id]).added[0].id
    db.session.commit()
    send_due()
    (message,) = outbox
    link = RSVP_LINK.search(message.body)
    assert link and link.group(0).startswith(live_server.url)

    page.goto(link.group(0))
    assert page.locator("#current-answer").inner_text() == "Sans réponse"
    page.get_by_role("button", name="Je viendrai").click()
    page.wait_for_selector("#rsvp-message")
    assert "votre participation est enregistrée" in page.locator("#rsvp-message").inner_text()
    assert page.locator("#current-answer").inner_text() == "Oui"

    page.get_by_role("button", name=re.compile("Je ne viendrai pas")).click()
    page.wait_for_selector("text=ne pourrez pas venir")
    assert page.locator("#current-answer").inner_text() == "Non"
    db.session.expire_all()
    assert db.session.get(Invitation, invitation_id).status == "declined"
