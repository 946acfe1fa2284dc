"""The person-facing export shows what a person understands; the JSON stays complete."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Contact
from tests.signup.helpers import form_data


def _person(client) -> Contact:
    assert client.post("/inscription", data=form_data(email="lea.lisible@example.org",
                                                       requests=["newsletter", "join"])).status_code == 303
    person = db.session.scalar(sa.select(Contact).where(Contact.email == "lea.lisible@example.org"))
    person.created_at = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)  # 10:05 in Paris (summer time)
    db.session.commit()
    return person


def test_the_readable_export_has_no_technical_columns_french_labels_and_paris_time(client, login) -> None:
    person = _person(client)
    login("viewer")
    page = html.unescape(client.get(f"/admin/rgpd/contacts/{person.id}/donnees").get_data(as_text=True))
    assert "lea.lisible@example.org" in page
    for technical in ("dedupe_key", "claim_token", "link_secret", "email_hash", "first_name_key", "message_id",
                      person.link_secret):
        assert technical not in page, technical
    cells = re.findall(r"<t[hd]>([^<]*)</t[hd]>", page)
    assert "Prénom" in cells and "Créé le" in cells
    codes = [c for c in cells if re.fullmatch(r"[a-z]+(_[a-z]+)+", c.strip())]
    assert not codes, codes  # no column name, no mail kind's code
    assert "01/07/2026 à 10:05" in page  # created_at in Paris time
    assert "2026-07-01T08:05" not in page
    assert "Français" in page and "Langue" in page


def test_the_json_export_stays_complete(client, login) -> None:
    person = _person(client)
    login("viewer")
    data = json.loads(client.get(f"/admin/rgpd/contacts/{person.id}/export.json").get_data(as_text=True))
    assert data["contact"]["link_secret"] == person.link_secret
    assert data["contact"]["created_at"].startswith("2026-07-01T08:05")
    assert data["contact"]["language"] == "fr"
    deliveries = data["tables"]["deliveries.contact_id"]
    assert deliveries and "dedupe_key" in deliveries[0] and "claim_token" in deliveries[0]


def test_the_contact_card_names_the_language(client, login) -> None:
    person = _person(client)
    person.language = "en"
    db.session.commit()
    login("viewer")
    page = client.get(f"/admin/contacts/{person.id}").get_data(as_text=True)
    assert "<dd>English</dd>" in page and "<dd>en</dd>" not in page


def test_a_checkbox_field_keeps_its_label_beside_it(app) -> None:
    with app.test_request_context():
        from flask import render_template_string
        from flask_wtf import FlaskForm
        from wtforms import BooleanField

        class Form(FlaskForm):
            agree = BooleanField("J'accepte")

        rendered = render_template_string('{% from "_macros.html" import field %}{{ field(form.agree) }}', form=Form())
    assert 'class="field check"' in rendered
    css = Path(app.static_folder, "app.css").read_text(encoding="utf-8")
    assert ".field.check { flex-direction: row;" in css
