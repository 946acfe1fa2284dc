"""Every French department and region by name, from the official code list shipped as data; list filters
accept a department's name or code and say when a value is not understood."""

from __future__ import annotations

import pytest

from crm.extensions import db
from crm.partners import territory
from crm.partners.models import Organisation
from crm.partners.normalize import search_key


def test_the_official_list_has_every_department_and_region() -> None:
    assert len(territory.DEPARTMENT_NAMES) == 101
    assert len(territory.REGIONS) == 18
    assert territory.department_label("14") == "14 — Calvados"
    assert territory.department_label("53") == "53 — Mayenne"
    assert territory.DEPARTMENT_NAMES["2A"] == "Corse-du-Sud" and territory.DEPARTMENT_NAMES["2B"] == "Haute-Corse"
    assert territory.DEPARTMENT_REGION["976"] == "Mayotte"
    assert territory.DEPARTMENT_REGION["61"] == "Normandie" and territory.DEPARTMENT_REGION["72"] == "Pays de la Loire"
    assert sum(len(depts) for depts in territory.REGIONS.values()) == 101


@pytest.mark.parametrize("typed, code", [("Orne", "61"), ("61", "61"), ("orne", "61"), ("  ORNE ", "61"),
                                         ("2a", "2A"), ("Côte-d'Or", "21"), ("cote d or", "21"), ("1", "01"),
                                         ("971", "971"), ("61 — Orne", "61"), ("Côtes-d’Armor", "22")])
def test_a_department_by_name_or_code(typed: str, code: str) -> None:
    assert territory.parse_department(typed) == code


@pytest.mark.parametrize("typed", ["Ornee", "99", "20", "Normandie"])
def test_a_department_not_understood_says_so(typed: str) -> None:
    with pytest.raises(territory.UnknownPlace, match="Département inconnu"):
        territory.parse_department(typed)


def _organisation(name: str, postal_code: str, department: str, region: str) -> Organisation:
    org = Organisation(name=name, name_key=search_key(name), postal_code=postal_code, department=department,
                       region=region, commune="Exempleville", commune_key="exempleville")
    db.session.add(org)
    return org


def test_list_filter_by_department_name_or_code(client, login, app) -> None:
    login("viewer")
    _organisation("Fonderie Alpha", "61000", "61", "Normandie")
    _organisation("Usinage Beta", "72000", "72", "Pays de la Loire")
    db.session.commit()
    for typed in ("Orne", "61", "orne"):
        page = client.get("/admin/structures/", query_string={"department": typed}).get_data(as_text=True)
        assert "Fonderie Alpha" in page and "Usinage Beta" not in page, typed
        assert "Département inconnu" not in page
    page = client.get("/admin/structures/", query_string={"department": "Sarthe"}).get_data(as_text=True)
    assert "Usinage Beta" in page and "Fonderie Alpha" not in page
    contacts = client.get("/admin/contacts/", query_string={"department": "Ornee"}).get_data(as_text=True)
    assert "Département inconnu : « Ornee »" in contacts
    page = client.get("/admin/structures/", query_string={"department": "Ornee"}).get_data(as_text=True)
    assert "Département inconnu : « Ornee »" in page
    assert 'aria-invalid="true"' in page
