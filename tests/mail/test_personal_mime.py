"""A letter's bodies encoded once for all its recipients (crm.mail.mime.PersonalMime): each person's message
decodes to exactly the letter with that person's values, and keeps the quoted-printable line rules."""

from __future__ import annotations

import html
import random
import re
from email import message_from_bytes, policy
from functools import partial

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.campaigns import content
from crm.campaigns import services as campaigns
from crm.campaigns.models import Campaign
from crm.extensions import db
from crm.mail.mime import PersonalMime
from crm.mail.rendering import compose
from crm.partners.models import Contact, Organisation
from tests.factories import subscriber

SLOTS = re.compile(r"%%crm([a-z]+)%%")
ALPHABET = "abcé =.\t\n<>&\"xyz€" + "y" * 10


def _bodies(raw: bytes) -> tuple[str, str]:
    parsed = message_from_bytes(raw, policy=policy.default)
    return tuple(parsed.get_body((kind,)).get_content().replace("\r\n", "\n")  # type: ignore[return-value]
                 for kind in ("plain", "html"))


def _lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")


def test_any_letter_and_any_values_decode_to_the_letter_with_those_values(app: Flask) -> None:
    rng = random.Random(17)

    def text(longest: int) -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))

    with app.app_context():
        for _ in range(400):
            template = "".join(text(rng.choice([3, 90, 200])) + (f"%%crm{rng.choice(['prenom', 'lien'])}%%"
                                                                   if rng.random() < 0.8 else "")
                               for _ in range(rng.randint(0, 6)))
            values = {"prenom": text(rng.choice([2, 100])).replace("\n", " "),
                      "lien": "".join(rng.choice("abcXYZ09-_./:?&%") for _ in range(rng.randint(0, 400)))}
            mime = PersonalMime(template, f"<p>{template}</p>", SLOTS, html.escape)
            message = compose("x@example.org", "Sujet", None, None, message_factory=partial(mime.message, values))
            raw = message.as_bytes()

            expected_text = SLOTS.sub(lambda m: values[m.group(1)], template)
            expected_html = "<p>" + SLOTS.sub(lambda m: html.escape(values[m.group(1)]), template) + "</p>"
            decoded_text, decoded_html = _bodies(raw)
            assert decoded_text in (expected_text, expected_text + "\n")
            assert decoded_html in (expected_html, expected_html + "\n")
            assert (message.body, message.html) == (expected_text, expected_html)
            # A soft line break never makes a line longer than 76 characters (binascii itself lets a hard line
            # ending in an encoded space reach 78).
            assert all(len(line) <= 76 for line in _lines(raw) if line.endswith(b"="))
            assert max(len(line) for line in _lines(raw)) <= 78


def test_a_personal_message_keeps_the_body_of_its_letter(app: Flask) -> None:
    with app.app_context():
        mime = PersonalMime("Bonjour %%crmprenom%%", None, SLOTS, html.escape)
        message = compose("x@example.org", "Sujet", None, None,
                          message_factory=partial(mime.message, {"prenom": "Zoé"}))
        assert message.body == "Bonjour Zoé" and message.html is None
        with pytest.raises(AttributeError):
            message.body = "autre chose"
        parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
        assert parsed.get_content_type() == "text/plain" and parsed.get_content().rstrip("\n") == "Bonjour Zoé"


def test_each_recipient_of_a_letter_gets_the_letter_personalised_as_the_preview_shows_it(app: Flask) -> None:
    with app.app_context():
        organisation = Organisation(name="Fonderie « L'Étoile » & fils", name_key="fonderie l etoile et fils")
        db.session.add(organisation)
        db.session.flush()
        subscriber("p0@example.org", "Zoé", "Le Gall=Durand", organisation=organisation)
        subscriber("p1@example.org", "Jean-Eudes", "O'Neil <b>", organisation=organisation)
        campaign = campaigns.save_campaign(campaigns.CampaignInput(
            subject="Bonjour {{prenom}}", preheader="",
            body_markdown="Bonjour {{prenom}} {{nom}} de {{structure}},\n\n" + "Une ligne assez longue. " * 30))
        campaigns.schedule(campaign)
        campaigns.start_due()
        db.session.commit()
        campaign = db.session.scalar(sa.select(Campaign))
        for person in db.session.scalars(sa.select(Contact).where(Contact.email.like("p%@example.org"))):
            message = content.message_for(campaign, person)
            prepared = content.prepare(campaign, count_clicks=True)
            links = {"preferences_url": content.preferences_url(person),
                     "unsubscribe_url": message.extra_headers["List-Unsubscribe"][1:-1]}
            decoded_text, decoded_html = _bodies(message.as_bytes())
            # The links are signed anew each time: compare with the links of this message.
            expected_text = content.personalise(prepared.text, person, links, escape=False)
            expected_html = content.personalise(prepared.html, person, links, escape=True)
            assert _without_tokens(decoded_text) == _without_tokens(expected_text)
            assert _without_tokens(decoded_html.rstrip("\n")) == _without_tokens(expected_html.rstrip("\n"))
            assert person.last_name in decoded_text and html.escape(person.last_name) in decoded_html
            assert "Fonderie « L'Étoile » &amp; fils" in decoded_html.replace("&#x27;", "'")


def _without_tokens(text: str) -> str:
    """Signed tokens carry the second they were made in: compared without them."""
    return re.sub(r"/[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_.-]+", "/TOKEN", text)
