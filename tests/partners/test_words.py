"""Organisations are found by any word of their name or commune, whichever way they were written."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.imports import fields
from crm.imports.merging import merge_contacts, merge_organisations
from crm.imports.reading import read_file
from crm.imports.services import run_import
from crm.partners import services
from crm.partners.models import Contact, Organisation, contact_words, organisation_words
from crm.partners.queries import PartnerFilters, contacts_statement, organisations_statement
from crm.partners.words import words_of
from crm.privacy.erasure import erase_contact
from crm.privacy.register import data_held

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


def contact_words_of(contact_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(contact_words.c.word).where(contact_words.c.contact_id == contact_id)))


def people_found(q: str) -> list[str]:
    return [contact.email for contact in db.session.scalars(contacts_statement(PartnerFilters(q=q)))]


def person(first: str, last: str, email: str) -> Any:
    return services.save_contact(services.ContactInput(email=email, first_name=first, last_name=last))


def test_a_compound_name_is_found_by_each_of_its_words(app) -> None:
    martin_dupont = person("Anne-Sophie", "Martin-Dupont", "as.martin-dupont@example.org")
    person("Yves", "Le Gall", "yves.legall@example.org")
    person("Dominique", "Dupuis", "d.dupuis@example.org")
    db.session.commit()
    assert people_found("dupont") == ["as.martin-dupont@example.org"]
    assert people_found("martin") == ["as.martin-dupont@example.org"]
    assert people_found("sophie") == ["as.martin-dupont@example.org"]
    assert people_found("gall") == ["yves.legall@example.org"]
    assert sorted(people_found("dup")) == ["as.martin-dupont@example.org", "d.dupuis@example.org"]
    assert contact_words_of(martin_dupont.id) == {"sophie", "dupont"}  # first words are found by the keys

    services.save_contact(services.ContactInput(email="as.martin-dupont@example.org", first_name="Anne",
                                                last_name="Martin"), martin_dupont)
    db.session.commit()
    assert people_found("dupont") == [] and contact_words_of(martin_dupont.id) == set()


def test_an_imported_compound_name_is_found(app) -> None:
    sheet = read_file("f.csv", (HEADER + "Jean-Marc;De La Fontaine;jm.dlf@example.org;;;;;;;oui\r\n").encode("cp1252"))
    mapping = fields.propose_mapping(sheet.header)
    mapping[2] = "email"
    run_import(sheet, mapping, "update")
    db.session.commit()
    assert people_found("fontaine") == ["jm.dlf@example.org"] and people_found("marc") == ["jm.dlf@example.org"]


def test_erasure_forgets_the_words_and_merge_keeps_the_kept_ones(app) -> None:
    kept = person("Claire", "Martin-Dupont", "claire.md@example.org")
    dropped = person("Claire", "Martin Dupont", "claire.martin.dupont@example.org")
    other = person("Lou", "Saint-Ange", "lou.sa@example.org")
    db.session.commit()
    dropped_id, other_id = dropped.id, other.id
    merge_contacts(kept, dropped)
    db.session.commit()
    assert contact_words_of(dropped_id) == set() and contact_words_of(kept.id) == {"dupont"}
    assert people_found("dupont") == ["claire.md@example.org"]

    erase_contact(db.session.get(Contact, other_id))
    db.session.commit()
    assert contact_words_of(other_id) == set() and people_found("ange") == []
    # the derived table is not part of what an export or the register lists about a person
    assert "contact_words" not in {table for _, table, _ in data_held()}
