"""The back-office pages: a viewer reads, an editor edits, a viewer's POST is refused."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from crm.actions.models import Action, FundingLine
from crm.extensions import db
from tests.actions.helpers import action, axis, granted_line, organisation


def _pages(item_id: int) -> list[str]:
    return ["/admin/plan-d-actions/", f"/admin/plan-d-actions/{item_id}", "/admin/plan-d-actions/etat-d-avancement",
            "/admin/plan-d-actions/etat-d-avancement/imprimer", "/admin/plan-d-actions/versions/",
            "/admin/plan-d-actions/comites/", "/admin/plan-d-actions/propositions/"]


def test_a_viewer_reads_every_page_without_edit_controls(client, login) -> None:
    item = action("1.1", "Boucle locale de chaleur", axis_code="transition")
    services_line = granted_line(item, organisation("ADEME (démo)"), "12500", "10000")
    db.session.commit()
    login("viewer")
    for url in _pages(item.id):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/admin/plan-d-actions/{item.id}").get_data(as_text=True)
    assert "Boucle locale de chaleur" in page and "12\u202f500,00\u00a0€" in page
    assert "Changer le statut" not in page and "Ajouter la ligne" not in page
    assert services_line.id


def test_a_viewer_cannot_write(client, login) -> None:
    item = action()
    db.session.commit()
    login("viewer")
    assert client.post(f"/admin/plan-d-actions/{item.id}/statut", data={"status": "etude"}).status_code == 403
    assert client.post("/admin/plan-d-actions/nouvelle", data={"code": "9.9", "title": "X"}).status_code == 403
    assert db.session.get(Action, item.id).status == "proposee"


def test_an_editor_creates_and_edits_an_action(client, login) -> None:
    login("editor")
    page = client.get("/admin/plan-d-actions/nouvelle").get_data(as_text=True)
    assert 'for="code"' in page
    response = client.post("/admin/plan-d-actions/nouvelle", data={
        "code": "3.2", "title": "Groupement d'employeurs", "axis_id": axis("competences").id, "origin": "club",
        "pilot_organisation_id": "0", "pilot_contact_id": "0", "is_public": "y"})
    assert response.status_code == 302
    item = db.session.scalar(sa.select(Action).where(Action.code == "3.2"))
    assert item.is_public and item.origin == "club"
    client.post(f"/admin/plan-d-actions/{item.id}/statut", data={"status": "etude"})
    assert db.session.get(Action, item.id).status == "etude"
    funder = organisation("Bpifrance (démo)")
    db.session.commit()
    client.post(f"/admin/plan-d-actions/{item.id}/financements", data={
        "funder_id": funder.id, "scheme": "France 2030", "amount_requested": "12 500,50", "funding_status": "demande"})
    line = db.session.scalar(sa.select(FundingLine).where(FundingLine.action_id == item.id))
    assert line.amount_requested == Decimal("12500.50")


def test_an_editor_mistake_writes_nothing_and_says_why(client, login) -> None:
    action("3.2")
    db.session.commit()
    login("editor")
    response = client.post("/admin/plan-d-actions/nouvelle", data={
        "code": "3.2", "title": "Doublon", "axis_id": axis("competences").id, "origin": "club",
        "pilot_organisation_id": "0", "pilot_contact_id": "0"})
    assert response.status_code == 200
    assert "déjà celui d&#39;une autre action" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 1


def test_an_organisation_page_lists_the_actions_it_pilots_takes_part_in_or_funds(client, login) -> None:
    from crm.actions import services

    pilot, partner, funder, elsewhere = (organisation(name) for name in (
        "Pilote Fictif", "Partenaire Fictif", "Financeur Fictif", "Sans Action Fictive"))
    first = action("1.1", "Boucle locale de chaleur", axis_code="transition", pilot_organisation_id=pilot.id)
    second = action("3.2", "Campus des métiers")
    services.add_partner(second, partner.id, "contributeur")
    services.add_partner(first, partner.id, "copilote")
    granted_line(second, funder, "5000", "5000")
    db.session.commit()
    login("viewer")

    def section(org) -> str:
        page = client.get(f"/admin/structures/{org.id}").get_data(as_text=True)
        heading = "Plan d'actions</h2>"
        return page.split(heading, 1)[1].split("</section>", 1)[0] if heading in page else ""

    assert "1.1 — Boucle locale de chaleur" in section(pilot) and "pilote" in section(pilot)
    shown = section(partner)
    assert shown.index("1.1") < shown.index("3.2") and "co-pilote" in shown and "contributeur" in shown
    assert "3.2 — Campus des métiers" in section(funder) and "financeur" in section(funder)
    assert "1.1" not in section(funder)
    assert section(elsewhere) == ""


def test_notes_join_the_history_of_an_action_beside_its_changes(client, login) -> None:
    from crm.actions.models import ActionNote

    item = action("2.2", "Salon des sous-traitants")
    db.session.commit()
    login("editor")
    client.post(f"/admin/plan-d-actions/{item.id}/statut", data={"status": "etude"})
    response = client.post(f"/admin/plan-d-actions/{item.id}/notes",
                           data={"kind": "reunion", "body": "Réunion avec la CCI : date du salon arrêtée."})
    assert response.status_code == 302
    page = client.get(f"/admin/plan-d-actions/{item.id}").get_data(as_text=True)
    history = page[page.index('id="history-title"'):]
    assert "Réunion avec la CCI : date du salon arrêtée." in history
    assert history.index("Réunion avec la CCI") < history.index("Action 2.2 créée")  # newest first
    # An empty note is refused with a French message and nothing is written.
    client.post(f"/admin/plan-d-actions/{item.id}/notes", data={"kind": "remarque", "body": "   "})
    assert "La note est vide." in client.get(f"/admin/plan-d-actions/{item.id}").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionNote)) == 1


def test_a_viewer_reads_the_history_but_cannot_write_a_note(client, login) -> None:
    from crm.actions.models import ActionNote

    item = action("2.2", "Salon des sous-traitants")
    db.session.commit()
    login("viewer")
    assert client.post(f"/admin/plan-d-actions/{item.id}/notes",
                       data={"kind": "remarque", "body": "Non"}).status_code == 403
    assert "Ajouter la note" not in client.get(f"/admin/plan-d-actions/{item.id}").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionNote)) == 0
