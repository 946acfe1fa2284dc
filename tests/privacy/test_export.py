"""The export of one contact contains every row of the database that points at them."""

from __future__ import annotations

import json

import sqlalchemy as sa

from crm.extensions import db
from crm.privacy.export import export_contact
from tests.privacy import people


def test_export_contains_every_row_about_the_contact(app) -> None:
    organisation = people.make_organisation()
    event = people.make_event("Visite d'usine (test)")
    contact = people.make_person("Honorine", "Spécimen", "honorine.specimen@example.org", "02 33 12 34 56",
                                 organisation, events=[e for e in [event] if e], status="accepted")
    people.make_person("Autre", "Personne", "autre.personne@example.org", "", organisation)
    bounces, deliveries = people.table("bounces"), people.table("deliveries")
    if bounces is not None and deliveries is not None:  # a row about the person one step away
        delivery_id = db.session.scalar(sa.select(deliveries.c.id).where(deliveries.c.contact_id == contact.id))
        db.session.execute(sa.insert(bounces).values(email_hash="0" * 64, permanent=True, delivery_id=delivery_id,
                                                     source="dsn", detail="550 unknown user",
                                                     created_at=contact.created_at))
    db.session.commit()

    data = people.as_json(export_contact(contact))
    if bounces is not None:
        assert data["tables"]["bounces.delivery_id"][0]["detail"] == "550 unknown user"
    dump = people.generic_dump(contact.id)
    assert {"notes.contact_id", "consent_records.contact_id", "subscriptions.contact_id",
            "contact_topics.contact_id", "contact_sectors.contact_id", "contact_axes.contact_id"} <= set(dump)
    for name, rows in dump.items():
        assert data["tables"][name] == rows, name
    second_hop = {name for name in data["tables"] if name.partition(".")[0] not in {n.partition(".")[0] for n in dump}}
    assert set(data["tables"]) - {"audit_logs"} - second_hop == set(dump)
    assert data["contact"]["email"] == "honorine.specimen@example.org"
    assert data["organisation"]["name"] == organisation.name
    assert len(data["tables"]["audit_logs"]) >= 2
    assert all(row["entity_id"] == contact.id for row in data["tables"]["audit_logs"])
    if event:
        assert "Visite d'usine (test)" in data["references"].values()


def test_export_pages(app, client, login) -> None:
    contact = people.make_person("Honorine", "Spécimen", "honorine.specimen@example.org", "02 33 12 34 56")
    db.session.commit()
    login("viewer")
    response = client.get(f"/admin/rgpd/contacts/{contact.id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.data)["contact"]["last_name"] == "Spécimen"
    page = client.get(f"/admin/rgpd/contacts/{contact.id}/donnees").get_data(as_text=True)
    assert "Consentements (registre)" in page and "Notes et échanges" in page and "Spécimen" in page
    register = client.get("/admin/rgpd/").get_data(as_text=True)
    assert "Registre des traitements" in register and "Lettre d&#39;information" in register
