"""Organisations are found by any word of their name or commune, whichever way they were written."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.imports import fields
from crm.imports.merging import merge_organisations
from crm.imports.reading import read_file
from crm.imports.services import run_import
from crm.partners import services
from crm.partners.models import Organisation, organisation_words
from crm.partners.queries import PartnerFilters, contacts_statement, organisations_statement
from crm.partners.words import words_of

HEADER = "Prénom;Nom;Adresse;Téléphone;Fonction;Structure;SIRET;CP;Ville;Accord newsletter\r\n"


def found(q: str) -> list[str]:
    return list(db.session.scalars(organisations_statement(PartnerFilters(q=q)).with_only_columns(
        Organisation.name).order_by(None).order_by(Organisation.name)))


def words(organisation_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(organisation_words.c.word).where(
        organisation_words.c.organisation_id == organisation_id)))


def organisation(name: str, commune: str = "Alençon", postal_code: str = "61000") -> Organisation:
    return services.save_organisation(services.OrganisationInput(name=name, kind="entreprise",
                                                                 postal_code=postal_code, commune=commune))


def test_words_of_keys() -> None:
    assert words_of("usinage du perche", "saint-germain-du-corbeis") == {
        "usinage", "du", "perche", "saint", "germain", "corbeis"}
    assert words_of("", None) == set()


def test_a_renamed_organisation_is_found_by_its_new_words_only(app) -> None:
    item = organisation("Usinage du Perche")
    db.session.commit()
    assert found("perche") == ["Usinage du Perche"]
    services.save_organisation(services.OrganisationInput(name="Mécanique Bocagère", kind="entreprise",
                                                          postal_code="61250", commune="Saint-Germain-du-Corbéis"),
                               item)
    db.session.commit()
    assert found("perche") == [] and found("bocag") == ["Mécanique Bocagère"]
    assert found("germain") == ["Mécanique Bocagère"]
    assert words(item.id) == {"mecanique", "bocagere", "saint", "germain", "du", "corbeis"}


def test_an_imported_organisation_is_found_by_a_later_word(app) -> None:
    sheet = read_file("f.csv", (HEADER + "Élodie;Démo;elodie@example.org;;;Fonderie Fictive de l'Orne;;61000;"
                                "Alençon;oui\r\n").encode("cp1252"))
    mapping = fields.propose_mapping(sheet.header)
    mapping[2] = "email"
    run_import(sheet, mapping, "update")
    db.session.commit()
    assert found("orne") == ["Fonderie Fictive de l'Orne"]
    # and the people of that organisation are found by it too
    people = db.session.scalars(contacts_statement(PartnerFilters(q="fictive"))).all()
    assert [person.email for person in people] == ["elodie@example.org"]


def test_merged_organisations_leave_the_kept_ones_words(app) -> None:
    keep = organisation("Plasturgie Fictive d'Alençon")
    drop = organisation("Plasturgie Fictive Sarthe", commune="Le Mans", postal_code="72000")
    services.join_club(drop, date(2024, 1, 1))
    db.session.commit()
    keep_id, drop_id = keep.id, drop.id
    merge_organisations(keep, drop)
    db.session.commit()
    assert words(drop_id) == set()
    assert words(keep_id) == {"plasturgie", "fictive", "d", "alencon"}
    assert found("sarthe") == [] and found("fictive") == ["Plasturgie Fictive d'Alençon"]
