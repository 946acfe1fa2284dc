"""Merging two contacts keeps the second address as another address of the person: found by the contacts
search, matched by imports and by bounces; the merge page says exactly what will be kept."""

from __future__ import annotations

import html
from pathlib import Path

import sqlalchemy as sa

from crm.bounces.ingest import IngestReport, process_message
from crm.bounces.models import Bounce
from crm.extensions import db
from crm.imports import fields
from crm.imports.merging import merge_contacts
from crm.imports.reading import read_file
from crm.imports.services import run_import
from crm.mail.models import Delivery
from crm.mail.pipeline import queue_delivery
from crm.partners import services as partners
from crm.partners.models import Contact, ContactEmail
from crm.privacy.erasure import erase_contact

SAMPLES = Path(__file__).parents[1] / "campaigns" / "bounces"
HEADER = "Prénom;Nom;E-mail;Téléphone\r\n"


def _pair() -> tuple[int, int]:
    keep = partners.save_contact(partners.ContactInput(email="camille.exemple@example.org", first_name="Camille",
                                                       last_name="Exemple"))
    drop = partners.save_contact(partners.ContactInput(email="c.exemple@example.net", first_name="Camile",
                                                       last_name="Exemple", phone="02 33 55 44 33"))
    db.session.commit()
    return keep.id, drop.id


def _merge(keep_id: int, drop_id: int) -> None:
    merge_contacts(db.session.get(Contact, keep_id), db.session.get(Contact, drop_id))
    db.session.commit()


def test_the_merge_page_says_what_will_be_kept_and_the_second_address_stays(app, client, login) -> None:
    keep_id, drop_id = _pair()
    login("editor")
    page = html.unescape(client.get(f"/admin/donnees/doublons/contacts/{keep_id}/{drop_id}").get_data(as_text=True))
    assert "Si vous gardez cette fiche" in page
    assert "Adresse principale (celle qui reçoit les messages) : camille.exemple@example.org." in page
    assert "autre(s) adresse(s) de la personne (recherche, imports, rejets) : c.exemple@example.net." in page
    assert "Champ vide complété : téléphone = 02 33 55 44 33." in page
    response = client.post("/admin/donnees/doublons/contacts/fusionner", data={"keep": keep_id, "drop": drop_id})
    assert response.status_code == 302
    assert db.session.scalars(sa.select(ContactEmail.email).where(ContactEmail.contact_id == keep_id)).all() == [
        "c.exemple@example.net"]
    card = client.get(f"/admin/contacts/{keep_id}").get_data(as_text=True)
    assert "c.exemple@example.net" in card and "Autres adresses" in card
    # Searchable: the old address finds the person.
    listed = client.get("/admin/contacts/", query_string={"q": "c.exemple@example.net"}).get_data(as_text=True)
    assert f"/admin/contacts/{keep_id}" in listed
    listed = client.get("/admin/contacts/", query_string={"q": "c.exemple@"}).get_data(as_text=True)
    assert f"/admin/contacts/{keep_id}" in listed
    # Without a merge, a search by an unknown address finds no one.
    assert f"/admin/contacts/{keep_id}" not in client.get(
        "/admin/contacts/", query_string={"q": "autre.personne@example.net"}).get_data(as_text=True)


def test_an_import_of_the_second_address_updates_the_person_not_a_twin(app) -> None:
    keep_id, drop_id = _pair()
    _merge(keep_id, drop_id)
    sheet = read_file("f.csv", (HEADER + "Camille;Exemple;c.exemple@example.net;02 43 00 00 01\r\n"
                                "Nouvelle;Personne;nouvelle.personne@example.org;\r\n").encode("cp1252"))
    run_import(sheet, fields.propose_mapping(sheet.header), "update", filename="f.csv")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2  # Camille + the new person
    kept = db.session.get(Contact, keep_id)
    assert kept.phone == "02 43 00 00 01" and kept.email == "camille.exemple@example.org"


def test_a_bounce_naming_the_second_address_is_tied_to_the_persons_delivery(app) -> None:
    keep_id, drop_id = _pair()
    queue_delivery("campaign", f"test:{drop_id}", contact_id=drop_id)  # sent before the merge, to the old address
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.contact_id == drop_id))
    delivery.status = "sent"
    db.session.commit()
    delivery_id = delivery.id
    _merge(keep_id, drop_id)
    raw = (SAMPLES / "dsn_01.txt").read_bytes().replace(b"userx@example.com", b"c.exemple@example.net")
    raw = raw.replace(b"\nTo: ", f"\nDelivered-To: retours+{delivery_id}@example.org\nX-Was-To: ".encode())
    app.config["BOUNCE_ADDRESS"] = "retours@example.org"
    process_message(raw, IngestReport())
    db.session.commit()
    bounce = db.session.scalars(sa.select(Bounce)).one()
    assert bounce.delivery_id == delivery_id


def test_erasure_empties_the_other_addresses_and_suppresses_them(app) -> None:
    from crm.consent.services import is_suppressed

    keep_id, drop_id = _pair()
    _merge(keep_id, drop_id)
    erase_contact(db.session.get(Contact, keep_id))
    db.session.commit()
    assert db.session.scalars(sa.select(ContactEmail.email).where(ContactEmail.contact_id == keep_id)).all() == [None]
    assert is_suppressed("c.exemple@example.net")
