"""Exports that open in Excel never run a formula (OWASP CSV injection): text starting with =, +, -, @, a tab or a
carriage return gets a leading ', in every export; other text, numbers and dates are written as they are."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from crm.extensions import db
from crm.partners import services
from crm.partners.services import ContactInput, OrganisationInput
from crm.security import neutralise
from tests.privacy import people

FORMULA = '=HYPERLINK("http://example.org/x","Cliquez")'


@pytest.mark.parametrize("text", [FORMULA, "+33 2 33 00 00 00", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1+1"])
def test_text_that_starts_a_formula_is_prefixed(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Jean-Marc", "a=b", "", "'=déjà du texte", " =1", "Exemple", 12, -12, -12.5,
                                   Decimal("-1500.00"), date(2024, 6, 18), datetime(2024, 6, 18, 9, 30), None, True])
def test_other_values_stay_as_they_are(value: object) -> None:
    assert neutralise(value) is value


def test_numbers_and_dates_stay_typed_in_xlsx() -> None:
    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    workbook.active.append([neutralise(v) for v in (-12.5, date(2024, 6, 18), "-2+3", "=1+1", "Texte")])
    out = io.BytesIO()
    workbook.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [c.data_type for c in row] == ["n", "d", "s", "s", "s"]
    assert [c.value for c in row][0] == -12.5 and [c.value for c in row][2:] == ["'-2+3", "'=1+1", "Texte"]


def _csv(client, url: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def test_contacts_and_organisations_exports_neutralise_formulas(client, login) -> None:
    organisation = services.save_organisation(OrganisationInput(name="@Fonderie Exemple", commune="-Alençon",
                                                                address="=1+1"))
    services.save_contact(ContactInput(email="formule@example.org", first_name=FORMULA, last_name="Jean-Marc",
                                       phone="+33 2 33 00 00 00", job_title="-Directrice",
                                       organisation_id=organisation.id))
    db.session.commit()
    login("viewer")
    header, row = _csv(client, "/admin/contacts/export.csv")
    cells = dict(zip(header, row, strict=True))
    assert cells["Prénom"] == "'" + FORMULA and cells["Nom"] == "Jean-Marc"
    assert cells["Téléphone"] == "'+33 2 33 00 00 00" and cells["Fonction"] == "'-Directrice"
    assert cells["Structure"] == "'@Fonderie Exemple" and cells["Commune"] == "'-Alençon"
    assert cells["E-mail"] == "formule@example.org"
    header, row = _csv(client, "/admin/structures/export.csv")
    cells = dict(zip(header, row, strict=True))
    assert (cells["Nom"], cells["Adresse"], cells["Commune"]) == ("'@Fonderie Exemple", "'=1+1", "'-Alençon")
    assert cells["Membre du Club"] == "non"


def test_event_invitees_export_neutralises_formulas(client, login) -> None:
    event_id = people.make_event("Comité de test")
    assert event_id is not None
    people.make_person("=1+1", "-Exemple", "invite@example.org", "", events=[event_id])
    db.session.commit()
    login("viewer")
    header, row = _csv(client, f"/admin/evenements/{event_id}/export.csv")
    cells = dict(zip(header, row, strict=True))
    assert (cells["Prénom"], cells["Nom"], cells["E-mail"]) == ("'=1+1", "'-Exemple", "invite@example.org")
