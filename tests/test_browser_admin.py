"""The programme manager logs in with a real browser and finds the partners of the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.extensions import db
from crm.partners.demo import load_demo_data
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser


def test_login_then_search_filter_and_open_a_partner(app, live_server, page, make_user, tmp_path: Path) -> None:
    load_demo_data()
    db.session.commit()
    make_user("editor", "cheffe@example.org")

    page.goto(f"{live_server.url}/admin/contacts/")
    assert "/connexion" in page.url
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/contacts/")
    assert page.locator("table tbody tr").count() >= 20

    page.get_by_label("Club des Industriels").select_option("yes")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**club=yes**")
    rows = page.locator("table tbody tr")
    assert 0 < rows.count() < 60
    page.screenshot(path=str(tmp_path / "contacts.png"), full_page=True)
    assert (tmp_path / "contacts.png").stat().st_size > 10_000

    page.get_by_role("link", name="Structures").first.click()
    page.get_by_label("Rechercher").fill("plast")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Plastiques du Val d'Orne").click()
    assert page.get_by_role("heading", name="Plastiques du Val d'Orne").is_visible()
    page.get_by_label("Note").fill("Visite du site prévue en mars.")
    page.get_by_role("button", name="Ajouter").click()
    assert page.get_by_text("Note ajoutée.").is_visible()
    assert page.get_by_text("Visite du site prévue en mars.").is_visible()
