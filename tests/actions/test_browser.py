"""In a real browser: the life of an action, from a proposal made by a link in a mail to the public page and the
comparison of the committee's version with the one before."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from crm.actions import proposals, versions
from crm.actions.models import ActionStatus
from crm.extensions import db
from crm.mail.pipeline import send_due
from tests.actions.helpers import action, committee_event, organisation, person
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser
LINK = re.compile(r"https?://\S+/plan-d-actions/proposer/[\w.\-]+")


def _link_from_mail(outbox: list[Any], contact: Any) -> str:
    proposals.invite(contact)
    db.session.commit()
    send_due()
    (message,) = [m for m in outbox if contact.email in m.recipients[0]]
    return LINK.search(message.body).group(0)


def test_the_life_of_an_action(app: Any, live_server: Any, page: Any, outbox: Any, make_user: Any) -> None:
    app.config["SEND_RATE_PER_SECOND"] = 1000
    make_user("editor", "cheffe@example.org")
    plastics, mechanics = organisation("Plasturgie du Bocage (démo)"), organisation("Mécanique de la Sarthe (démo)")
    organisation("Région (financeur démo)")  # the funder chosen by name on the funding form
    alice = person("alice.demo@example.org", plastics, "Alice", "Démo")
    bob = person("bob.demo@example.org", mechanics, "Bob", "Démo")
    action("1.1", "Inventaire des friches", axis_code="foncier", status=ActionStatus.IN_PROGRESS, is_public=True)
    previous = versions.freeze(on=date(2025, 12, 1))
    event = committee_event(days=0)
    db.session.commit()

    # A Club firm proposes an action from the link in its mail.
    page.goto(_link_from_mail(outbox, alice))
    expect(page.locator("[data-organisation]")).to_have_text("Plasturgie du Bocage (démo)")
    page.get_by_label("Titre de l'action proposée").fill("Vitrine industrielle du Bocage")
    page.get_by_label("Axe").select_option(label="Écosystèmes d'innovation")
    page.get_by_label("Ce que votre structure apporterait").fill("Nos ateliers ouverts aux visites")
    page.get_by_role("button", name="Envoyer ma proposition").click()
    expect(page.get_by_text("votre proposition est transmise")).to_be_visible()

    # A second organisation supports it from its own link.
    page.goto(_link_from_mail(outbox, bob))
    page.get_by_role("button", name="Soutenir : Vitrine industrielle du Bocage").click()
    expect(page.get_by_text("Votre structure soutient cette proposition.")).to_be_visible()

    # The team retains it.
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/admin/plan-d-actions/propositions/")
    expect(page.locator("[data-supporters]")).to_have_text("Mécanique de la Sarthe (démo)")
    page.get_by_label("Code de la nouvelle action").fill("2.9")
    page.get_by_role("button", name="Retenir").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2.9 — Vitrine industrielle du Bocage")
    expect(page.get_by_text("Mécanique de la Sarthe (démo) — Contributeur")).to_be_visible()

    # It is published, a funding line is granted and an indicator measured.
    page.get_by_role("link", name="Modifier", exact=True).click()
    page.get_by_label("Publier sur la page publique du plan").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_label("Financeur").select_option(label="Région (financeur démo)")
    page.get_by_label("Dispositif").fill("Fonds Territoires d'industrie")
    page.get_by_label("Statut du financement").select_option(label="Accordé")
    page.get_by_label("Montant demandé (€)").fill("20 000")
    page.get_by_label("Montant accordé (€)").fill("15 000,50")
    page.get_by_role("button", name="Ajouter la ligne").click()
    expect(page.get_by_role("cell", name="15\u202f000,50\u00a0€")).to_be_visible()
    page.get_by_label("Indicateur", exact=True).fill("Entreprises impliquées")
    page.get_by_label("Unité").fill("entreprises")
    page.get_by_label("Valeur de référence").fill("0")
    page.get_by_label("Cible").fill("10")
    page.get_by_role("button", name="Ajouter l'indicateur").click()
    page.get_by_label("Mesuré le").fill(date.today().isoformat())
    page.get_by_label("Valeur", exact=True).fill("4")
    page.get_by_role("button", name="Enregistrer la valeur").click()
    expect(page.locator("[data-last-value]")).to_contain_text("4")

    # The committee reviews it and closes: the plan is frozen.
    page.goto(f"{live_server.url}/admin/plan-d-actions/comites/")
    page.get_by_label("Comité technique").select_option(value=str(event.id))
    page.get_by_role("button", name="Ouvrir la séance").click()
    page.get_by_label("Action à examiner").select_option(label="2.9 Vitrine industrielle du Bocage")
    page.get_by_role("button", name="Inscrire à l'ordre du jour").click()
    page.get_by_label("Nouveau statut").select_option(label="Validée")
    page.get_by_label("Priorité").fill("1")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_role("button", name="Clore la séance et figer le plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan d'actions : version du")

    # The public page shows it.
    page.goto(f"{live_server.url}/plan-d-actions/")
    expect(page.get_by_role("heading", name="2.9 — Vitrine industrielle du Bocage")).to_be_visible()
    expect(page.locator("#action-2\\.9 [data-status]")).to_have_text("Validée")
    expect(page.get_by_text("Alice")).to_have_count(0)

    # The comparison with the previous version lists exactly these changes.
    latest = versions.latest()
    assert latest.id != previous.id
    page.goto(f"{live_server.url}/admin/plan-d-actions/versions/{latest.id}")
    page.get_by_role("link", name="Comparer avec la version précédente").click()
    changes = {kind: page.locator(f'[data-changes="{kind}"] li').all_inner_texts()
               for kind in ("added", "removed", "statuses", "indicators", "funding", "milestones")}
    assert changes == {
        "added": ["2.9 — Vitrine industrielle du Bocage (Validée)"],
        "removed": [], "statuses": [], "milestones": [],
        "indicators": ["2.9 — Entreprises impliquées : — → 4 entreprises"],
        "funding": ["2.9 — Région (financeur démo), Fonds Territoires d'industrie : 15\u202f000,50\u00a0€"],
    }
