from __future__ import annotations

import csv
import re
import io
from datetime import date

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.partners import services
from crm.partners.models import Contact, Note, Organisation
from crm.partners.services import ContactInput, OrganisationInput
from tests import factories


def contact_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "civility": "mme", "first_name": "Élodie", "last_name": "Exemple", "email": "Elodie.Exemple@Example.org",
        "phone": "01 99 00 12 34", "job_title": "Responsable production", "organisation_id": 0,
        "sectors": ["numerique"], "axes": ["innovation", "foncier"], "ambassador_status": "none", "language": "fr",
    }
    data.update(overrides)
    return data


def make_org(name: str = "Logiciels du Bocage", postal_code: str = "61000", commune: str = "Alençon",
             sectors: list[str] | None = None) -> Organisation:
    return services.save_organisation(OrganisationInput(name=name, kind="entreprise", postal_code=postal_code,
                                                        commune=commune, sectors=sectors or []))


def test_create_contact_normalises_email(client, login, db) -> None:
    login("editor")
    response = client.post("/admin/contacts/nouveau", data=contact_form())
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact))
    assert contact.email == "elodie.exemple@example.org"
    assert contact.last_name_key == "exemple" and contact.first_name_key == "elodie"
    assert {a.code for a in contact.axes} == {"innovation", "foncier"}


def test_duplicate_email_in_other_case_is_refused_and_nothing_written(client, login, db) -> None:
    login("editor")
    client.post("/admin/contacts/nouveau", data=contact_form())
    response = client.post("/admin/contacts/nouveau",
                           data=contact_form(first_name="Autre", email="  ELODIE.exemple@example.ORG "))
    assert response.status_code == 200
    assert "Un contact existe déjà avec l&#39;adresse elodie.exemple@example.org" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_invalid_email_gets_a_french_message(client, login, db) -> None:
    login("editor")
    response = client.post("/admin/contacts/nouveau", data=contact_form(email="pas-une-adresse"))
    assert "n&#39;est pas valide" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


def test_ambassador_status_change_is_dated_and_on_the_timeline(client, login, db) -> None:
    login("editor")
    client.post("/admin/contacts/nouveau", data=contact_form())
    contact = db.session.scalar(sa.select(Contact))
    client.post(f"/admin/contacts/{contact.id}/ambassadeur", data={"status": "active", "on": "2024-06-18"})
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.ambassador_status == "active"
    assert contact.ambassador_since == date(2024, 6, 18)
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert "Statut ambassadeur modifié" in page and "none → active" not in page
    assert "Statut ambassadeur : Non → Ambassadeur actif" in page and "Depuis le : 18 juin 2024" in page


def test_notes_and_tasks_on_the_timeline(client, login, db) -> None:
    user = login("editor")
    client.post("/admin/contacts/nouveau", data=contact_form())
    contact = db.session.scalar(sa.select(Contact))
    client.post(f"/admin/contacts/{contact.id}/notes", data={"kind": "task", "body": "Rappeler pour le projet"})
    note = db.session.scalar(sa.select(Note))
    assert note.author_id == user.id and note.done_at is None
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert "Rappeler pour le projet" in page and "à faire" in page
    client.post(f"/admin/notes/{note.id}/fait")
    db.session.expire_all()
    assert db.session.get(Note, note.id).done_at is not None
    # An empty note is refused with a message.
    response = client.post(f"/admin/contacts/{contact.id}/notes", data={"kind": "call", "body": ""},
                           follow_redirects=True)
    assert "La note est vide." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 1


def seed_people(db) -> None:
    plast = make_org("Plastiques Ornaises", sectors=["plasturgie"])
    agro = make_org("Laiterie Sarthoise", postal_code="72610", commune="Arçonnay", sectors=["agroalimentaire"])
    services.join_club(plast, date(2024, 1, 1))
    people = [("Camille", "Martin", plast, ["transition"]), ("Claude", "Marchand", agro, ["foncier"]),
              ("Sacha", "Bernard", plast, []), ("Inès", "Petit", None, ["foncier"])]
    for first, last, org, axes in people:
        contact = services.save_contact(ContactInput(
            email=f"{first}.{last}@example.org".lower().replace("è", "e"), first_name=first, last_name=last,
            organisation_id=org.id if org else None, axes=axes))
        if last == "Bernard":
            services.set_ambassador_status(contact, "active")
    db.session.commit()


def listed(client, query: str) -> list[str]:
    html = client.get(f"/admin/contacts/?{query}").get_data(as_text=True)
    found = [name for name in ["Martin", "Marchand", "Bernard", "Petit"] if f">{name} " in html]
    return sorted(found, key=lambda name: html.index(f">{name} "))


def test_contact_search_filters_and_sort(client, login, db) -> None:
    login("viewer")
    seed_people(db)
    assert listed(client, "q=mar") == ["Marchand", "Martin"]
    assert listed(client, "q=MAR&sort=-name") == ["Martin", "Marchand"]
    assert listed(client, "q=laiterie") == ["Marchand"]  # by organisation name
    assert listed(client, "q=arcon") == ["Marchand"]  # by commune
    assert listed(client, "q=sarthois") == ["Marchand"]  # by a later word of the organisation's name
    assert listed(client, "q=ornaises plast") == ["Bernard", "Martin"]  # words in any order
    assert listed(client, "q=aiterie") == []  # the start of a word, not any part of it
    assert listed(client, "q=_") == []  # a LIKE wildcard is taken literally
    assert listed(client, "q=sacha.bernard@") == ["Bernard"]  # by email
    assert listed(client, "club=yes") == ["Bernard", "Martin"]
    assert listed(client, "club=no") == ["Marchand", "Petit"]
    assert listed(client, "sector=plasturgie") == ["Bernard", "Martin"]
    assert listed(client, "axis=foncier") == ["Marchand", "Petit"]
    assert listed(client, "department=72") == ["Marchand"]
    assert listed(client, "region=Normandie&ambassador=active") == ["Bernard"]
    assert listed(client, "kind=entreprise&q=ma") == ["Marchand", "Martin"]


def test_pagination_is_server_side(make_app, db) -> None:
    app = make_app(PAGE_SIZE=2)
    with app.app_context():
        seed_people(db)
        client = app.test_client()
        from crm.auth.services import create_user
        create_user("v@example.org", "correct horse battery", "viewer")
        db.session.commit()
        client.post("/connexion", data={"email": "v@example.org", "password": "correct horse battery"})
        first = client.get("/admin/contacts/").get_data(as_text=True)
        second = client.get("/admin/contacts/?page=2").get_data(as_text=True)
    assert "1–2 sur 4" in first and ">Bernard " in first and ">Petit " not in first
    assert "3–4 sur 4" in second and ">Petit " in second


def test_csv_export_of_filtered_list_opens_in_french_excel(client, login, db) -> None:
    login("viewer")
    seed_people(db)
    response = client.get("/admin/contacts/export.csv?club=yes")
    assert response.mimetype == "text/csv"
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Civilité", "Prénom", "Nom"]
    assert sorted(r[2] for r in rows[1:]) == ["Bernard", "Martin"]
    assert any("Ambassadeur actif" in r for r in rows[1:])


def test_organisation_export(client, login, db) -> None:
    login("viewer")
    seed_people(db)
    text = client.get("/admin/structures/export.csv?department=61").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["Plastiques Ornaises"]
    assert rows[1][-1] == "oui"


def test_broad_search_counts_up_to_the_limit(client, login, db, monkeypatch) -> None:
    from crm.partners import queries

    monkeypatch.setattr(queries, "LIST_COUNT_LIMIT", 2)
    login("viewer")
    seed_people(db)
    page = client.get("/admin/contacts/").get_data(as_text=True)
    assert "1–4 sur plus de 2" in page


def test_unfiltered_list_beyond_the_limit_shows_the_estimated_size_marked_as_such(client, login, db,
                                                                                   monkeypatch) -> None:
    """No COUNT(*) of the whole table: the planner's statistics (ANALYZE), shown as an estimate; a filtered
    list keeps its bounded count."""
    import sqlalchemy as sa

    from crm.partners import queries
    from crm.partners.models import Contact

    monkeypatch.setattr(queries, "LIST_COUNT_LIMIT", 2)
    login("viewer")
    seed_people(db)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    page = client.get("/admin/contacts/").get_data(as_text=True)
    assert f"sur environ {total} <small>(estimation)</small>" in page
    filtered = client.get("/admin/contacts/?department=61").get_data(as_text=True)
    assert "environ" not in filtered


def test_organisation_search_finds_any_word_of_the_name_or_commune(client, login, db) -> None:
    login("viewer")
    seed_people(db)
    make_org("Fonderie Fictive", postal_code="61250", commune="Saint-Germain-du-Corbéis")
    db.session.commit()
    for query, expected in [("ornaises", {"Plastiques Ornaises"}), ("germain", {"Fonderie Fictive"}),
                            ("corbeis fonderie", {"Fonderie Fictive"}), ("sarthoise", {"Laiterie Sarthoise"}),
                            ("ornaisesx", set())]:
        html = client.get(f"/admin/structures/?q={query}").get_data(as_text=True)
        shown = {name for name in ["Plastiques Ornaises", "Laiterie Sarthoise", "Fonderie Fictive"] if name in html}
        assert shown == expected, query


def test_each_row_of_the_list_shows_the_contact_its_organisation_and_its_commune(client, login, db) -> None:
    """The list reads plain rows (the contact and its organisation's name and commune), not objects: each column
    is the one of its own contact, a contact without organisation shows empty cells, one without a name its
    address."""
    login("viewer")
    seed_people(db)
    factories.contact("sans.nom@example.org")  # as an import may leave one: no name, only an address
    db.session.commit()
    html = client.get("/admin/contacts/?sort=name").get_data(as_text=True)
    rows = {cells[0]: cells for cells in (
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)) if cells}
    assert rows["Marchand Claude"] == ["Marchand Claude", "claude.marchand@example.org", "Laiterie Sarthoise",
                                       "Arçonnay", ""]
    assert rows["Bernard Sacha"] == ["Bernard Sacha", "sacha.bernard@example.org", "Plastiques Ornaises", "Alençon",
                                     "Ambassadeur actif"]
    assert rows["Petit Inès"] == ["Petit Inès", "ines.petit@example.org", "", "", ""]
    assert rows["sans.nom@example.org"] == ["sans.nom@example.org", "sans.nom@example.org", "", "", ""]  # no name
    bernard = db.session.scalar(sa.select(Contact).where(Contact.last_name == "Bernard"))
    assert (f'<a href="/admin/contacts/{bernard.id}">Bernard Sacha</a>' in html
            and f'<a href="/admin/structures/{bernard.organisation_id}">Plastiques Ornaises</a>' in html)
