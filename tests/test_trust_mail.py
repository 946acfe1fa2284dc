"""Trust (issue "Trust"): links people click are safe, archived letters read neutrally, every mail's Message-ID is
in the sender's domain."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.campaigns import content
from crm.extensions import db
from crm.partners import services as partners
from crm.partners.normalize import InvalidWebsite, normalize_website
from tests.factories import campaign, subscriber


# --- 14. Links that staff or subscribers click ----------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("www.exemple.fr", "https://www.exemple.fr"), ("exemple.fr/contact", "https://exemple.fr/contact"),
    ("http://exemple.fr", "http://exemple.fr"), ("https://sous.exemple.fr/a?b=c", "https://sous.exemple.fr/a?b=c"),
    ("", "")])
def test_a_website_without_scheme_becomes_https(typed: str, stored: str) -> None:
    assert normalize_website(typed) == stored


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "ftp://exemple.fr",
                                   "https://", "pas un site"])
def test_a_website_that_is_not_http_is_refused(typed: str) -> None:
    with pytest.raises(InvalidWebsite, match="n'est pas valide"):
        normalize_website(typed)


def test_the_organisation_form_refuses_a_script_link_and_keeps_nothing(client: FlaskClient, login: Any) -> None:
    login("editor")
    refused = client.post("/admin/structures/nouvelle", data={"name": "Fonderie Fictive", "website": "javascript:alert(1)"})
    assert refused.status_code == 200 and "n&#39;est pas valide" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(partners.Organisation)) == 0
    saved = client.post("/admin/structures/nouvelle", data={"name": "Fonderie Fictive", "website": "www.exemple.fr"})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'href="https://www.exemple.fr"' in page


def test_an_old_unsafe_website_is_shown_but_not_as_a_link(client: FlaskClient, login: Any) -> None:
    login("viewer")
    organisation = partners.save_organisation(partners.OrganisationInput(name="Ancienne Fiche"))
    organisation.website = "javascript:alert(1)"  # stored before the check existed
    db.session.commit()
    page = client.get(f"/admin/structures/{organisation.id}").get_data(as_text=True)
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page


def test_a_first_name_cannot_become_a_link_in_a_letter(app: Flask) -> None:
    person = subscriber("piege@example.org", "javascript:alert(1)//", "Piège")
    letter = campaign(body="Bonjour {{prenom}}, [votre espace]({{prenom}}) et [le site](https://exemple.fr).",
                      schedule=False)
    message = content.message_for(letter, person)
    hrefs = re.findall(r'href="([^"]*)"', message.html)
    assert "https://exemple.fr" in hrefs and not any("javascript" in href for href in hrefs)
    assert "Bonjour javascript:alert(1)//," in html.unescape(message.html)  # shown as text, harmless


# --- 17. The public archive reads neutrally ----------------------------------------------------------------

def test_the_archive_and_feed_of_a_personal_letter_use_neutral_forms(client: FlaskClient, app: Flask) -> None:
    letter = campaign(subject="{{prenom}}, la lettre de juin", body="Bonjour {{prenom}},\n\nDes nouvelles pour "
                      "{{structure}}.", schedule=False)
    letter.status, letter.public = "sent", True
    db.session.commit()
    page = html.unescape(client.get(f"/lettres/{letter.id}").get_data(as_text=True))
    assert "Bonjour," in page and "Bonjour ," not in page and "Des nouvelles pour votre structure." in page
    assert ", la lettre de juin" not in page and "La lettre de juin" in page
    feed = html.unescape(client.get("/lettres/flux.atom").get_data(as_text=True))
    assert "Bonjour ," not in feed and "%%crm" not in feed and "{{" not in feed


def test_every_personal_field_has_a_neutral_form_and_the_editor_warns_otherwise(monkeypatch: Any) -> None:
    assert all(field.neutral is not None for field in content.PERSONAL_FIELDS.values())
    assert content.fields_without_neutral_form("Bonjour {{prenom}}") == []
    monkeypatch.setitem(content.PERSONAL_FIELDS, "prenom", content.Field(lambda c: c.first_name, None))
    assert content.fields_without_neutral_form("Bonjour {{prenom}}", "") == ["prenom"]


# --- 18. Mail that reaches people right --------------------------------------------------------------------

def test_every_mail_has_a_message_id_in_the_senders_domain(client: FlaskClient, login: Any, outbox: list[Any],
                                                             app: Flask) -> None:
    login("editor")
    letter = campaign(schedule=False)
    assert client.post(f"/admin/lettres/{letter.id}/test", data={"email": "moi@example.net"}).status_code == 302
    test_send = outbox[-1]
    assert test_send.msgId.endswith("@example.org>")
    assert "/desinscription/" not in test_send.body and "List-Unsubscribe" not in (test_send.extra_headers or {})
    client.post("/inscription", data={
        "organisation_name": "Structure Fictive", "postal_code": "61000", "first_name": "Ana", "last_name": "Lys",
        "email": "ana.lys@example.net", "requests": ["newsletter"], "consent": "y"})
    assert outbox[-1].msgId.endswith("@example.org>")  # the confirmation, through the pipeline
