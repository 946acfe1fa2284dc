"""The pipeline's pages: a viewer reads every one, an editor moves, funds and plans; the board works without
JavaScript (a list grouped by stage, a form per card); the list filters; exports neutralise formulas."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from crm.extensions import db
from crm.partners.models import Sector, organisation_sectors
from crm.projects import services
from crm.projects.models import Project
from tests.fixtures import PASSWORD
from tests.projects.helpers import grant, organisation, project, team_member


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


def _log_in(client, user) -> None:
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _two_projects() -> tuple[Project, Project]:
    owner = team_member()
    first = project(owner, organisation("Plasturgie Fictive", "Alençon"), title="Ligne d'injection")
    late = project(owner, organisation("=HYPERLINK(\"http://x\")", "Mamers"), title="@SUM(1+1)", due_in=-3)
    db.session.commit()
    return first, late


def test_a_viewer_reads_every_page_and_cannot_write(client, login) -> None:
    first, late = _two_projects()
    funder = organisation("Région Fictive")
    line = grant(first, funder)
    db.session.commit()
    login("viewer")
    for url in ["/admin/projets/", "/admin/projets/liste", "/admin/projets/chiffres", f"/admin/projets/{first.id}",
                "/admin/projets/export.csv", "/admin/projets/export.xlsx", "/admin/taches/?qui=all"]:
        assert client.get(url).status_code == 200, url
    board = _page(client.get("/admin/projets/"))
    assert "Ligne d'injection" in board and "Déplacer" not in board  # no move form for a viewer
    for url, data in [(f"/admin/projets/{first.id}/etape", {"stage": "qualification"}),
                      (f"/admin/projets/{first.id}/financements", {}),
                      (f"/admin/projets/financements/{line.id}/modifier", {}),
                      (f"/admin/projets/{first.id}/prochaine-etape", {}), ("/admin/projets/nouveau", {}),
                      (f"/admin/projets/{first.id}/modifier", {})]:
        assert client.post(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Project, first.id).stage == "premier_echange"


def test_the_board_without_javascript_is_a_list_grouped_by_stage_with_a_form_per_card(client) -> None:
    first, late = _two_projects()
    services.change_stage(first, "qualification")
    db.session.commit()
    editor = team_member("editrice@example.org")
    db.session.commit()
    _log_in(client, editor)
    board = _page(client.get("/admin/projets/"))
    # Every stage is a section with its heading, in order, each listing its projects.
    headings = ["Premier échange", "Qualification", "Accompagnement", "Financement demandé", "Financé", "Réalisé",
                "En pause", "Abandonné"]
    positions = [board.index(f'id="col-{code}"') for code in
                 ["premier_echange", "qualification", "accompagnement", "financement_demande", "finance", "realise",
                  "en_pause", "abandonne"]]
    assert positions == sorted(positions)
    assert all(label in board for label in headings)
    qualification = board[board.index('id="col-qualification"'):board.index('id="col-accompagnement"')]
    assert "Ligne d'injection" in qualification and "@SUM(1+1)" not in qualification
    assert f'action="/admin/projets/{first.id}/etape"' in board
    # The card's form posts the stage change and comes back to the board.
    answer = client.post(f"/admin/projets/{first.id}/etape",
                         data={"stage": "accompagnement", "next": "/admin/projets/"})
    assert answer.status_code == 302 and answer.location.endswith("/admin/projets/")
    assert db.session.get(Project, first.id).stage == "accompagnement"
    # The same post made by the script gets JSON, and a refusal says why, in French.
    refused = client.post(f"/admin/projets/{first.id}/etape", data={"stage": "finance"},
                          headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 400 and "sans financement accordé" in refused.get_json()["message"]
    moved = client.post(f"/admin/projets/{first.id}/etape", data={"stage": "financement_demande"},
                        headers={"X-Requested-With": "fetch"})
    assert moved.get_json() == {"ok": True, "message": "Étape changée : Financement demandé.",
                                "stage": "financement_demande"}


def test_funded_refused_from_the_page_with_a_clear_message_then_granted(client) -> None:
    first, _ = _two_projects()
    funder = organisation("Région Fictive")
    editor = team_member("editrice@example.org")
    db.session.commit()
    _log_in(client, editor)
    page = _page(client.post(f"/admin/projets/{first.id}/etape", data={"stage": "finance"}, follow_redirects=True))
    assert "ne peut passer à l'étape « Financé » sans financement accordé" in page
    assert db.session.get(Project, first.id).stage == "premier_echange"
    answer = client.post(f"/admin/projets/{first.id}/financements", data={
        "funder_id": funder.id, "scheme": "Fonds vert", "amount_requested": "50 000,50", "amount_granted": "40000",
        "funding_status": "accorde", "decided_on": date.today().isoformat()})
    assert answer.status_code == 302
    client.post(f"/admin/projets/{first.id}/etape", data={"stage": "finance"})
    db.session.expire_all()
    item = db.session.get(Project, first.id)
    assert item.stage == "finance" and str(item.requested) == "50000.50"


def test_the_list_filters_by_axis_sector_commune_scheme_and_overdue(client, login) -> None:
    first, late = _two_projects()
    plasturgie = db.session.scalar(sa.select(Sector).where(Sector.code == "plasturgie"))
    db.session.execute(sa.insert(organisation_sectors).values(organisation_id=first.organisation_id,
                                                              sector_id=plasturgie.id))
    grant(late, organisation("Région Fictive"), granted=None).scheme = "France 2030"
    db.session.commit()
    login("viewer")

    def listed(query: str) -> set[str]:
        page = _page(client.get(f"/admin/projets/liste?{query}"))
        return {title for title in ("Ligne d'injection", "@SUM(1+1)") if title in page}

    assert listed("") == {"Ligne d'injection", "@SUM(1+1)"}
    assert listed("filiere=plasturgie") == {"Ligne d'injection"}
    assert listed("commune=mam") == {"@SUM(1+1)"}
    assert listed("dispositif=france") == {"@SUM(1+1)"}
    assert listed("retard=1") == {"@SUM(1+1)"}
    assert listed("etape=qualification") == set()


def test_exports_neutralise_formulas_and_keep_amounts_exact(client, login) -> None:
    first, late = _two_projects()
    grant(late, organisation("Région Fictive"), requested="12500.55", granted="10000.10")
    db.session.commit()
    login("viewer")
    response = client.get("/admin/projets/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    row = next(r for r in body if "SUM" in r[1])
    assert row[1] == "'@SUM(1+1)" and row[2] == "'=HYPERLINK(\"http://x\")"
    assert row[header.index("Financement accordé (€)")] == "10000,10"
    book = load_workbook(io.BytesIO(client.get("/admin/projets/export.xlsx").data))
    sheet = book["Projets"]
    values = [[cell.value for cell in r] for r in sheet.iter_rows(min_row=2)]
    row = next(r for r in values if "SUM" in str(r[1]))
    assert row[1] == "'@SUM(1+1)" and row[2] == "'=HYPERLINK(\"http://x\")"
    titles = [cell.value for cell in sheet[1]]
    assert Decimal(str(row[titles.index("Financement accordé (€)")])) == Decimal("10000.10")  # a number, exact
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))) for r in values for v in r)


def test_the_figures_page_counts_investment_and_jobs_per_stage_and_axis(client, login) -> None:
    owner = team_member()
    axis_id = db.session.scalar(sa.text("SELECT id FROM axes WHERE code = 'innovation'"))
    item = project(owner, investment="250000", jobs_created=4, jobs_kept=10, axis_id=axis_id)
    services.change_stage(item, "qualification")
    db.session.commit()
    login("viewer")
    page = _page(client.get("/admin/projets/chiffres"))
    row = page[page.index('data-stage="qualification"'):]
    row = row[:row.index("</tr>")]
    assert ">1<" in row and "250 000,00 €" in row and ">4<" in row and ">10<" in row
    axes = page[page.index('data-figures="axes"'):]
    axes = axes[:axes.index("</table>")]
    label = db.session.scalar(sa.text("SELECT label FROM axes WHERE code = 'innovation'"))
    assert f'<th scope="row">{label}</th><td class="num">1</td><td class="num">250 000,00 €</td>' in axes
    # The stay in « premier échange » is over (a few instants): it has a median; the current one has none.
    first = page[page.index('data-stage="premier_echange"'):]
    assert first[:first.index("</tr>")].endswith('<td class="num">0</td>')
    assert row.endswith('<td class="num">—</td>')


def test_the_organisation_page_lists_its_projects_stage_and_funding(client, login) -> None:
    first, _ = _two_projects()
    grant(first, organisation("Région Fictive"), granted="7000")
    db.session.commit()
    login("viewer")
    page = _page(client.get(f"/admin/structures/{first.organisation_id}"))
    assert "Projets" in page and "Ligne d'injection" in page and "Premier échange" in page and "7 000,00 €" in page
    assert "Tâches en cours" in page and "Premier rendez-vous" in page


def test_the_dashboard_shows_projects_in_progress_granted_this_year_and_overdue_steps(client, login) -> None:
    first, late = _two_projects()
    grant(first, organisation("Région Fictive"), granted="30000", decided_on=date.today())
    grant(late, organisation("État fictif"), granted="5000", decided_on=date.today() - timedelta(days=800))
    db.session.commit()
    user = login("editor")
    page = _page(client.get("/admin/"))
    assert 'data-figure="projects-in-progress">2<' in page
    assert 'data-figure="granted-this-year">30 000,00 €<' in page
    assert 'data-figure="projects-overdue">1<' in page
    assert "Projets dont la prochaine étape est en retard" in page
    # « mes tâches en retard » is the logged-in user's own: the overdue step belongs to another owner.
    from crm.tasks.services import overdue_count

    assert overdue_count(user.id) == 0 and overdue_count(late.owner_id) == 1
    assert "mes tâches en retard" in page


def test_the_committees_progress_report_counts_the_projects(client, login) -> None:
    login("viewer")
    assert "Projets des entreprises du territoire" not in _page(client.get("/admin/plan-d-actions/etat-d-avancement"))
    owner = team_member()
    item = project(owner, investment="1000000", jobs_created=12, jobs_kept=30)
    grant(item, organisation("Région Fictive"), granted="200000", decided_on=date.today())
    services.change_stage(item, "finance")
    db.session.commit()
    for url in ("/admin/plan-d-actions/etat-d-avancement", "/admin/plan-d-actions/etat-d-avancement/imprimer"):
        page = _page(client.get(url))
        assert "1 projet(s) suivi(s) : 1 000 000,00 € d'investissements portés, 12 emplois à créer et 30 maintenus ; " \
               f"200 000,00 € de financements accordés en {date.today().year}." in page, url


def test_an_editor_creates_and_edits_a_project_and_absurd_input_gets_a_french_answer(client) -> None:
    editor = team_member("editrice@example.org")
    org = organisation("Tôlerie Fictive", "Sées")
    db.session.commit()
    _log_in(client, editor)
    assert client.get("/admin/projets/liste?suivi=99999999999999999999&page=9223372036854775807").status_code == 200
    form = {"organisation_id": org.id, "title": "Nouvelle cisaille", "kind": "investissement",
            "owner_id": editor.id, "investment": "99999999999999999", "next_step": "Visite",
            "next_step_due": (date.today() + timedelta(days=3)).isoformat()}
    page = _page(client.post("/admin/projets/nouveau", data=form))
    assert "Montant trop élevé." in page and "rien n'a été enregistré" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0
    answer = client.post("/admin/projets/nouveau", data={**form, "investment": "1 250 000,50"})
    assert answer.status_code == 302
    item = db.session.scalars(sa.select(Project)).one()
    assert str(item.investment) == "1250000.50" and item.commune == "Sées"  # the firm's commune by default
    assert services.next_steps([item.id])[item.id].title == "Visite"
    edit = client.post(f"/admin/projets/{item.id}/modifier", data={
        "organisation_id": org.id, "title": "Nouvelle cisaille numérique", "kind": "innovation",
        "owner_id": editor.id, "investment": "1250000.50", "jobs_created": "3", "commune": "Sées"})
    assert edit.status_code == 302
    db.session.expire_all()
    item = db.session.get(Project, item.id)
    assert item.title == "Nouvelle cisaille numérique" and item.kind == "innovation" and item.jobs_created == 3
    history = _page(client.get(f"/admin/projets/{item.id}"))
    assert "Nature : Investissement productif → Innovation" in history


def test_a_funding_line_form_goes_back_to_its_own_project_or_action(client, login) -> None:
    """Projects and actions share the funding line's form; each page keeps its heading and its way back."""
    from tests.actions.helpers import action, granted_line

    first, _late = _two_projects()
    funder = organisation("Région Fictive")
    project_line = grant(first, funder)
    item = action("2.1", "Vitrine industrielle")
    action_line = granted_line(item, funder, "5000")
    db.session.commit()
    login("editor")
    page = _page(client.get(f"/admin/projets/financements/{project_line.id}/modifier"))
    assert "Ligne de financement — Ligne d'injection" in page
    assert f'href="/admin/projets/{first.id}"' in page and 'name="amount_granted"' in page
    page = _page(client.get(f"/admin/plan-d-actions/financements/{action_line.id}/modifier"))
    assert "Ligne de financement — 2.1 Vitrine industrielle" in page
    assert f'href="/admin/plan-d-actions/{item.id}"' in page and 'name="amount_granted"' in page
