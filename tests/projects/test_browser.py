"""In Chromium: a firm asks to discuss a project on the signup form, confirms, the team accepts the request; the
project is on the board with its owner and next step; it is moved through the stages (dragged, and with the
keyboard), refused « financé » until a subsidy is granted; the dashboard and the export show the new figures."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.partners.models import Organisation
from crm.partners.normalize import search_key
from crm.projects import services
from crm.projects.models import Project
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser
CONFIRM = re.compile(r"https?://\S+/inscription/confirmer/[\w.\-]+")


def _column(page: Any, stage: str) -> Any:
    return page.locator(f'.board-column[data-stage="{stage}"]')


def test_from_the_signup_form_to_a_funded_project(app: Any, live_server: Any, page: Any, outbox: Any,
                                                  make_user: Any) -> None:
    cheffe = make_user("editor", "cheffe@example.org")
    db.session.add(Organisation(name="Région (financeur démo)", name_key=search_key("Région (financeur démo)")))
    db.session.commit()

    # The firm asks to discuss its project and confirms its address from the mail.
    page.goto(f"{live_server.url}/inscription")
    page.get_by_label("Nom de votre structure").fill("Composites du Bocage (démo)")
    page.get_by_label("Code postal").fill("61000")
    page.get_by_label("Commune").fill("Alençon")
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Démo")
    page.get_by_label("Adresse e-mail").fill("lea.demo@example.org")
    page.get_by_label("Échanger sur un projet").check()
    page.get_by_label("Votre message (facultatif)").fill("Une nouvelle ligne de production composite")
    page.locator("#consent").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.get_by_role("heading", name="Merci, votre demande est bien reçue").wait_for()
    (confirmation,) = [m for m in outbox if "lea.demo@example.org" in m.recipients[0]]
    page.goto(CONFIRM.search(confirmation.body).group(0))
    page.get_by_role("button", name="Je confirme mon inscription").click()
    page.get_by_role("heading", name="Votre inscription est confirmée").wait_for()

    # The team accepts it in the inbox: the project exists, followed by the one who accepted it.
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/admin/demandes/")
    page.get_by_role("button", name="Accepter : créer le projet").click()
    expect(page.get_by_text("Projet « Une nouvelle ligne de production composite » créé, suivi par "
                            "cheffe@example.org.")).to_be_visible()
    project = db.session.scalars(sa.select(Project)).one()
    assert project.owner_id == cheffe.id and project.organisation.name == "Composites du Bocage (démo)"
    step = services.next_steps([project.id])[project.id]
    assert step.owner_id == cheffe.id and step.due_on == date.today() + timedelta(days=7)
    assert any("suit désormais votre projet" in m.body for m in outbox if "lea.demo" in m.recipients[0])

    # On the board, in its first column, with its next step; dragged to « qualification ».
    # A screen tall enough to hold a card and the column it is dragged to (a mouse drag does not scroll).
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.goto(f"{live_server.url}/admin/projets/")
    card = page.locator(f'.board-card[data-project="{project.id}"]')
    expect(_column(page, "premier_echange").locator(".board-card")).to_have_count(1)
    expect(card).to_contain_text("Prochaine étape : Premier échange avec l'entreprise sur son projet")
    card.drag_to(_column(page, "qualification"))
    expect(_column(page, "qualification").locator(".board-card")).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text("Étape changée : Qualification.")
    expect(_column(page, "qualification").locator("[data-count]")).to_have_text("1")

    # With the keyboard: the card's own form, its select then its button.
    card.get_by_label(re.compile("Étape de « ")).focus()
    card.get_by_label(re.compile("Étape de « ")).select_option("accompagnement")
    card.get_by_role("button", name="Déplacer").focus()
    page.keyboard.press("Enter")
    expect(_column(page, "accompagnement").locator(".board-card")).to_have_count(1)
    card.drag_to(_column(page, "financement_demande"))
    expect(_column(page, "financement_demande").locator(".board-card")).to_have_count(1)

    # « Financé » without a granted line is refused, said clearly, and the card stays where it was.
    card.drag_to(_column(page, "finance"))
    expect(page.get_by_role("status")).to_contain_text("ne peut passer à l'étape « Financé » sans financement "
                                                       "accordé")
    expect(_column(page, "financement_demande").locator(".board-card")).to_have_count(1)
    db.session.expire_all()
    assert db.session.get(Project, project.id).stage == "financement_demande"

    # The subsidy is granted on the project's page; now it can move to « financé ».
    card.get_by_role("link").first.click()
    page.get_by_label("Financeur").select_option(label="Région (financeur démo)")
    page.get_by_label("Dispositif").fill("Fonds Territoires d'industrie")
    page.get_by_label("Statut du financement").select_option(label="Accordé")
    page.get_by_label("Montant demandé (€)").fill("20 000")
    page.get_by_label("Montant accordé (€)").fill("15 000,50")
    page.get_by_label("Décidé le").fill(date.today().isoformat())
    page.get_by_role("button", name="Ajouter la ligne").click()
    expect(page.locator("[data-granted]")).to_have_text("15\u202f000,50\u00a0€")
    page.goto(f"{live_server.url}/admin/projets/")
    page.locator(f'.board-card[data-project="{project.id}"]').drag_to(_column(page, "finance"))
    expect(_column(page, "finance").locator(".board-card")).to_have_count(1)
    db.session.expire_all()
    assert db.session.get(Project, project.id).stage == "finance"

    # The dashboard and the export show it.
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator('[data-figure="granted-this-year"]')).to_have_text("15\u202f000,50\u00a0€")
    expect(page.locator('[data-figure="projects-in-progress"]')).to_have_text("1")
    page.goto(f"{live_server.url}/admin/projets/liste")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(r["Entreprise"], r["Étape"], r["Financement accordé (€)"], r["Suivi par"]) for r in rows] == [
        ("Composites du Bocage (démo)", "Financé", "15000,50", "cheffe@example.org")]
