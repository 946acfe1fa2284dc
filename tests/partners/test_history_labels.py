"""History tells the truth: an audited change keeps the real old value as a code, and the timeline shows fields and
values with their labels, in the reader's language."""

from __future__ import annotations

import sqlalchemy as sa

from crm.audit import services as audit
from crm.audit.models import AuditLog
from crm.extensions import db
from crm.partners import services
from crm.partners.models import Contact, Organisation
from crm.partners.services import ContactInput, OrganisationInput
from tests.partners.test_contacts import contact_form
from tests.partners.test_organisations import org_form


def _updates(entity_type: str, entity_id: int) -> list[dict]:  # type: ignore[type-arg]
    return list(db.session.scalars(sa.select(AuditLog.changes).where(
        AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id, AuditLog.action == "update")
        .order_by(AuditLog.id)))


def test_contact_edit_keeps_codes_and_shows_labels(client, login) -> None:
    bocage = services.save_organisation(OrganisationInput(name="Logiciels du Bocage", commune="Alençon"))
    db.session.commit()
    login("editor")
    client.post("/admin/contacts/nouveau", data=contact_form(civility="m", language="fr", sectors=["numerique"]))
    contact = db.session.scalar(sa.select(Contact))
    response = client.post(f"/admin/contacts/{contact.id}/modifier", data=contact_form(
        civility="mme", language="en", sectors=["plasturgie"], organisation_id=bocage.id, ambassador_status="active",
        phone="02 43 00 00 01"))
    assert response.status_code == 302
    (changes,) = _updates("contact", contact.id)
    # Stored: codes and ids, whatever the language of whoever made the change.
    assert changes["civility"] == ["m", "mme"] and changes["ambassador_status"] == ["none", "active"]
    assert changes["sectors"] == [["numerique"], ["plasturgie"]] and changes["language"] == ["fr", "en"]
    assert changes["organisation"] == [None, bocage.id] and changes["phone"] == ["01 99 00 12 34", "02 43 00 00 01"]

    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    for line in ("Civilité : M. → Mme", "Statut ambassadeur : Non → Ambassadeur actif",
                 "Filières : Numérique → Plasturgie et composites", "Langue : Français → English",
                 "Structure : — → Logiciels du Bocage", "Téléphone : 01 99 00 12 34 → 02 43 00 00 01"):
        assert line in page, line
    for raw in ("m → mme", "none → active", "civility :", "organisation :"):
        assert raw not in page, raw

    client.post("/langue/en")
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    for line in ("Title : M. → Mme", "Ambassador status : No → Active ambassador", "Language : Français → English",
                 "Organisation : — → Logiciels du Bocage", "Phone : 01 99 00 12 34 → 02 43 00 00 01"):
        assert line in page, line


def test_organisation_edit_keeps_the_kind_code_and_shows_its_label(client, login) -> None:
    login("editor")
    client.post("/admin/structures/nouvelle", data=org_form())
    organisation = db.session.scalar(sa.select(Organisation))
    client.post(f"/admin/structures/{organisation.id}/modifier", data=org_form(kind="formation",
                                                                               sectors=["plasturgie", "numerique"]))
    (changes,) = _updates("organisation", organisation.id)
    assert changes == {"kind": ["entreprise", "formation"],
                       "sectors": [["plasturgie"], ["plasturgie", "numerique"]]}
    page = client.get(f"/admin/structures/{organisation.id}").get_data(as_text=True)
    assert "Type : Entreprise industrielle → Centre de formation" in page
    assert "Filières : Plasturgie et composites → Plasturgie et composites, Numérique" in page


def test_older_entries_and_deleted_structures_read_by_name(client, login) -> None:
    """Entries written before codes were kept (an import's "name:…" key, a label) still read well."""
    bocage = services.save_organisation(OrganisationInput(name="Logiciels du Bocage", siret="73282932000074"))
    contact = services.save_contact(ContactInput(email="ancienne@example.org", last_name="Exemple"))
    audit.record("update", "contact", contact.id, "Contact mis à jour par import (f.csv, ligne 2)",
                 {"organisation": [None, "name:logiciels du bocage"]})
    audit.record("update", "contact", contact.id, "Contact mis à jour par import (g.csv, ligne 2)",
                 {"organisation": ["siret:73282932000074", 999_999], "civility": ["", "m"]})
    db.session.commit()
    login("viewer")
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert "Structure : — → Logiciels du Bocage" in page
    assert "Structure : Logiciels du Bocage → structure n° 999999 (supprimée)" in page
    assert "Civilité : — → M." in page
    assert bocage.id
