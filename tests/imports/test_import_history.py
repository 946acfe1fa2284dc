"""An import's updates are in the history with the real old values, shown with labels on the timelines."""

from __future__ import annotations

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.extensions import db
from crm.imports import fields
from crm.imports.reading import read_file
from crm.imports.services import run_import
from crm.partners import services as partners
from crm.partners.models import Contact, Organisation

VALID_SIRET = "73282932000074"
HEADER = "Civilité;Prénom;Nom;E-mail;Téléphone;Structure;Type;SIRET;Adresse;Code postal;Ville\r\n"


def _changes(entity_type: str, entity_id: int) -> dict:  # type: ignore[type-arg]
    (changes,) = db.session.scalars(sa.select(AuditLog.changes).where(
        AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id, AuditLog.action == "update"))
    return changes


def _setup() -> tuple[Contact, Organisation, Organisation]:
    first = partners.save_organisation(partners.OrganisationInput(name="Atelier Initial", commune="Alençon"))
    fonderie = partners.save_organisation(partners.OrganisationInput(
        name="Fonderie du Perche", kind="entreprise", siret=VALID_SIRET, address="1 rue de l'Exemple",
        postal_code="61000", commune="Alençon"))
    contact = partners.save_contact(partners.ContactInput(
        email="deja@example.org", civility="m", first_name="Régis", last_name="Ancien", phone="02 33 11 11 11",
        organisation_id=first.id))
    db.session.commit()
    return contact, first, fonderie


def _import(line: str, mode: str = "update") -> None:
    sheet = read_file("f.csv", (HEADER + line + "\r\n").encode("cp1252"))
    mapping = fields.propose_mapping(sheet.header)
    assert all(mapping), mapping
    run_import(sheet, mapping, mode, filename="f.csv")
    db.session.commit()


def test_import_update_records_the_true_old_values(app, client, login) -> None:
    contact, first, fonderie = _setup()
    _import(f"Mme;Régis;Ancien;deja@example.org;02 43 00 00 01;Fonderie du Perche;Collectivité;{VALID_SIRET};"
            "2 rue du Modèle;72000;Le Mans")
    assert _changes("contact", contact.id) == {
        "civility": ["m", "mme"], "phone": ["02 33 11 11 11", "02 43 00 00 01"],
        "organisation": [first.id, fonderie.id]}
    assert _changes("organisation", fonderie.id) == {
        "kind": ["entreprise", "collectivite"], "address": ["1 rue de l'Exemple", "2 rue du Modèle"],
        "postal_code": ["61000", "72000"], "commune": ["Alençon", "Le Mans"], "department": ["61", "72"],
        "region": ["Normandie", "Pays de la Loire"]}

    login("viewer")
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    for line in ("Civilité : M. → Mme", "Téléphone : 02 33 11 11 11 → 02 43 00 00 01",
                 "Structure : Atelier Initial → Fonderie du Perche"):
        assert line in page, line
    assert "name:" not in page and "siret:" not in page
    page = client.get(f"/admin/structures/{fonderie.id}").get_data(as_text=True)
    for line in ("Type : Entreprise industrielle → Collectivité", "Adresse : 1 rue de l&#39;Exemple → 2 rue du Modèle",
                 "Département : 61 — Orne → 72 — Sarthe", "Commune : Alençon → Le Mans"):
        assert line in page, line
    client.post("/langue/en")
    page = client.get(f"/admin/structures/{fonderie.id}").get_data(as_text=True)
    assert "Type : Entreprise industrielle → Collectivité" in page and "Address : 1 rue" in page


def test_fill_mode_records_what_was_empty(app) -> None:
    contact, _first, fonderie = _setup()
    partners.save_contact(partners.ContactInput(email="deja@example.org", civility="m", first_name="Régis",
                                                last_name="Ancien", phone=""), contact)  # no phone, no structure
    db.session.commit()
    _import(f"Mme;Régis;Ancien;deja@example.org;02 43 00 00 01;Fonderie du Perche;;{VALID_SIRET};;;", mode="fill")
    changes = db.session.scalars(sa.select(AuditLog.changes).where(
        AuditLog.entity_type == "contact", AuditLog.entity_id == contact.id, AuditLog.action == "update")
        .order_by(AuditLog.id.desc())).first()
    # The civility was set: fill mode leaves it; the phone and the structure were empty.
    assert changes == {"phone": ["", "02 43 00 00 01"], "organisation": [None, fonderie.id]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "organisation", AuditLog.entity_id == fonderie.id,
        AuditLog.action == "update")) == 0


def test_a_structure_found_by_siret_and_by_name_is_changed_once(app) -> None:
    """Two rows naming the same structure, one by its SIRET and one by its name: one update, whose old values
    are the ones the structure had (not two updates from the same snapshot, the second one overwriting)."""
    _contact, _first, fonderie = _setup()
    _import(f";Nadia;Nouvelle;nadia@example.org;;Fonderie du Perche;;{VALID_SIRET};2 rue du Modèle;;\r\n"
            ";Paul;Autre;paul@example.org;;Fonderie du Perche;;;3 rue Autre;;")
    assert _changes("organisation", fonderie.id) == {"address": ["1 rue de l'Exemple", "2 rue du Modèle"]}
    db.session.expire_all()
    assert db.session.get(Organisation, fonderie.id).address == "2 rue du Modèle"
    assert {c.email for c in db.session.get(Organisation, fonderie.id).contacts} >= {"nadia@example.org",
                                                                                      "paul@example.org"}
