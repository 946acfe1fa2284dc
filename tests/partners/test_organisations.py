from __future__ import annotations

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.partners.models import ClubMembership, Organisation

VALID_SIRET = "73282932000074"


def org_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Plastiques du Val d'Orne", "kind": "entreprise", "sectors": ["plasturgie"], "siret": VALID_SIRET,
        "naf_code": "22.29A", "headcount_band": "50-249", "address": "1 rue de l'Exemple", "postal_code": "61000",
        "commune": "Alençon", "website": "https://www.example.org",
    }
    data.update(overrides)
    return data


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_organisation_derives_department_and_region(client, login, db) -> None:
    login("editor")
    response = client.post("/admin/structures/nouvelle", data=org_form())
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation))
    assert organisation.department == "61"
    assert organisation.region == "Normandie"
    assert [s.code for s in organisation.sectors] == ["plasturgie"]
    assert organisation.name_key == "plastiques du val d orne"
    page = client.get(response.location).get_data(as_text=True)
    assert "Plastiques du Val d&#39;Orne" in page
    assert "Structure créée" in page  # the audited creation shows on the timeline


def test_invalid_siret_postal_code_and_naf_get_french_messages_and_write_nothing(client, login, db) -> None:
    login("editor")
    response = client.post("/admin/structures/nouvelle",
                           data=org_form(siret="73282932000075", postal_code="6100", naf_code="xx"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "clé de contrôle incorrecte" in html
    assert "Le code postal doit compter 5 chiffres." in html
    assert "Le code NAF doit avoir la forme 22.29A." in html
    assert "rien n&#39;a été enregistré" in html
    assert count(db, Organisation) == 0
    assert count(db, AuditLog) == 0


def test_duplicate_siret_is_refused(client, login, db) -> None:
    login("editor")
    client.post("/admin/structures/nouvelle", data=org_form())
    response = client.post("/admin/structures/nouvelle", data=org_form(name="Autre nom"))
    assert "Ce SIRET est déjà celui de" in response.get_data(as_text=True)
    assert count(db, Organisation) == 1


def test_edit_records_the_change_on_the_timeline(client, login, db) -> None:
    login("editor")
    client.post("/admin/structures/nouvelle", data=org_form())
    organisation = db.session.scalar(sa.select(Organisation))
    response = client.post(f"/admin/structures/{organisation.id}/modifier", data=org_form(commune="Damigny",
                                                                                      postal_code="61250"))
    assert response.status_code == 302
    page = client.get(f"/admin/structures/{organisation.id}").get_data(as_text=True)
    assert "Structure modifiée" in page
    assert "Alençon → Damigny" in page


def test_club_membership_join_and_leave(client, login, db) -> None:
    login("editor")
    client.post("/admin/structures/nouvelle", data=org_form())
    organisation = db.session.scalar(sa.select(Organisation))
    client.post(f"/admin/structures/{organisation.id}/club", data={"joined_on": "2024-02-15"})
    assert "Plastiques du Val" in client.get("/admin/club/").get_data(as_text=True)
    # A second current membership is refused.
    response = client.post(f"/admin/structures/{organisation.id}/club", data={"joined_on": "2024-03-01"},
                           follow_redirects=True)
    assert "déjà membre du Club" in response.get_data(as_text=True)
    membership = db.session.scalar(sa.select(ClubMembership))
    # Leaving before joining is refused, nothing written.
    response = client.post(f"/admin/club/{membership.id}/fin", data={"left_on": "2023-01-01"}, follow_redirects=True)
    assert "précède la date d&#39;adhésion" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ClubMembership, membership.id).left_on is None
    client.post(f"/admin/club/{membership.id}/fin", data={"left_on": "2024-12-31"})
    assert "Aucun membre" in client.get("/admin/club/").get_data(as_text=True)
    page = client.get(f"/admin/structures/{organisation.id}").get_data(as_text=True)
    assert "Sortie du Club des Industriels le 2024-12-31" in page


def test_delete_organisation_keeps_its_contacts(client, login, db) -> None:
    login("editor")
    client.post("/admin/structures/nouvelle", data=org_form())
    organisation = db.session.scalar(sa.select(Organisation))
    client.post("/admin/contacts/nouveau", data={"email": "a@example.org", "last_name": "Exemple",
                                                 "organisation_id": organisation.id, "ambassador_status": "none",
                                                 "language": "fr"})
    assert client.post(f"/admin/structures/{organisation.id}/supprimer").status_code == 302
    assert count(db, Organisation) == 0
    assert "a@example.org" in client.get("/admin/contacts/").get_data(as_text=True)


def test_organisation_filters(client, login, db) -> None:
    login("editor")
    client.post("/admin/structures/nouvelle", data=org_form())
    client.post("/admin/structures/nouvelle", data=org_form(name="Laiterie Sarthoise", siret="", sectors=["agroalimentaire"],
                                                            postal_code="72610", commune="Arçonnay", kind="entreprise"))
    def names(query: str) -> str:
        return client.get(f"/admin/structures/?{query}").get_data(as_text=True)
    assert "Laiterie" in names("region=Pays+de+la+Loire") and "Plastiques" not in names("region=Pays+de+la+Loire")
    assert "Plastiques" in names("sector=plasturgie") and "Laiterie" not in names("sector=plasturgie")
    assert "Laiterie" in names("q=arcon") and "Plastiques" not in names("q=arcon")
    assert "Plastiques" in names("department=61") and "Laiterie" not in names("department=61")
