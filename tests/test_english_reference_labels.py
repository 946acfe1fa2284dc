"""English mode completeness: sectors, organisation kinds and topics shown in English, chart months and "Non
renseigné" too; the stored labels stay French; a mail to a French contact stays French whoever's page sent it."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from crm.extensions import db
from crm.partners.models import Organisation, OrganisationKind, Sector
from tests.signup.helpers import form_data


def _organisations() -> None:
    kind = db.session.scalar(sa.select(OrganisationKind).where(OrganisationKind.code == "entreprise"))
    sector = db.session.scalar(sa.select(Sector).where(Sector.code == "plasturgie"))
    db.session.add(Organisation(name="Moulages du Perche", name_key="moulages du perche", kind=kind,
                                sectors=[sector], department="61", region="Normandie"))
    db.session.add(Organisation(name="Sans Type", name_key="sans type"))
    db.session.commit()


def test_dashboard_in_english_shows_english_sectors_months_and_not_specified(client: FlaskClient,
                                                                             login: Any) -> None:
    login("viewer")
    _organisations()
    month_fr = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                "déc."][date.today().month - 1]
    month_en = date.today().strftime("%b")  # C locale: the English abbreviation
    french = client.get("/admin/").get_data(as_text=True)
    assert "Plasturgie et composites" in french and "Entreprise industrielle" in french
    assert "Non renseigné" in french and f"{month_fr} {date.today().year % 100:02d}" in french

    client.post("/langue/en")
    english = client.get("/admin/").get_data(as_text=True)
    assert "Plastics and composites" in english and "Manufacturing company" in english
    assert "Not specified" in english and "Non renseigné" not in english
    assert f"{month_en} {date.today().year % 100:02d}" in english
    assert "Plasturgie et composites" not in english and month_fr not in english


def test_partner_pages_in_english_show_english_kinds_sectors_and_topics(client: FlaskClient, login: Any) -> None:
    login("editor")
    _organisations()
    client.post("/langue/en")
    listing = client.get("/admin/structures/").get_data(as_text=True)
    assert "Manufacturing company" in listing and "Plastics and composites" in listing
    assert "Entreprise industrielle" not in listing
    detail_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.name == "Moulages du Perche"))
    detail = client.get(f"/admin/structures/{detail_id}").get_data(as_text=True)
    assert "Manufacturing company" in detail and "Plastics and composites" in detail
    segment_form = client.get("/admin/segments/nouveau").get_data(as_text=True)
    assert "Industrialists&#39; Club news" in segment_form and "Food industry" in segment_form
    # What is stored is unchanged: the team's reference data stays in French.
    assert db.session.scalar(sa.select(Sector.label).where(Sector.code == "plasturgie")) == "Plasturgie et composites"


def test_a_label_the_team_wrote_is_shown_as_written(app: Flask) -> None:
    sector = db.session.scalar(sa.select(Sector).where(Sector.code == "numerique"))
    sector.label = "Numérique et données"  # renamed by the team: no translation, shown as typed
    db.session.commit()
    with app.test_request_context(), force_locale("en"):
        assert sector.shown == "Numérique et données"
        other = db.session.scalar(sa.select(Sector).where(Sector.code == "agroalimentaire"))
        assert str(other) == "Food industry"


def test_public_signup_page_in_english_and_the_mail_stays_french(client: FlaskClient, outbox: list[Any]) -> None:
    client.post("/langue/en")
    page = client.get("/inscription").get_data(as_text=True)
    assert "Plastics and composites" in page and "Plasturgie et composites" not in page
    assert client.post("/inscription", data=form_data()).status_code == 303
    (message,) = outbox
    # The contact's language is French (the default): the confirmation mail is French, not the page's English.
    assert "Confirmez" in message.subject or "confirm" not in message.subject.lower()
    assert "Confirm your" not in message.body
    assert "inscription" in message.body.lower()
