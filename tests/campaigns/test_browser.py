"""In a real browser: the live progress bar of a campaign, and the live count of a segment."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from crm.campaigns import services
from crm.extensions import db
from crm.mail.pipeline import send_due
from crm.partners.models import Organisation
from tests.factories import campaign, subscriber
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser


def _login(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_progress_bar_follows_the_sending(app: Any, live_server: Any, page: Any, make_user: Any) -> None:
    make_user("editor", "cheffe@example.org")
    for i in range(4):
        subscriber(f"s{i}@example.org", f"S{i}", "X")
    item = campaign("Lettre suivie")
    services.start_due()
    db.session.commit()

    _login(page, f"{live_server.url}/admin/lettres/{item.id}")
    page.wait_for_url(f"**/admin/lettres/{item.id}")
    bar = page.locator("[data-progress-bar]")
    assert bar.get_attribute("aria-valuenow") == "0"
    send_due()
    services.finish_done()
    db.session.commit()
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=15_000)
    expect(page.locator("[data-status-label]")).to_have_text("Envoyée")
    expect(page.locator('[data-count="sent"]')).to_have_text("4")


def test_segment_form_counts_while_typing(app: Any, live_server: Any, page: Any, make_user: Any) -> None:
    make_user("editor", "cheffe@example.org")
    orne = Organisation(name="Orne SA", name_key="orne sa", department="61", region="Normandie")
    db.session.add(orne)
    subscriber("a@example.org", "A", "A", organisation=orne)
    subscriber("b@example.org", "B", "B")
    db.session.commit()

    _login(page, f"{live_server.url}/admin/segments/nouveau")
    page.wait_for_url("**/admin/segments/nouveau")
    count = page.locator("[data-count]")
    expect(count).to_have_text("2")
    page.get_by_label("Département", exact=True).fill("61")
    expect(count).to_have_text("1")
    expect(page.locator("[data-preview] li")).to_have_text(["A A — Orne SA"])
    page.get_by_label("Département", exact=True).fill("61, 72")  # Orne or Sarthe
    expect(count).to_have_text("1")
    page.get_by_label("Département", exact=True).fill("")
    expect(count).to_have_text("2")
    page.get_by_label("Sauf les départements").fill("61")  # NOT: contacts of an Orne organisation
    expect(count).to_have_text("1")
    expect(page.locator("[data-preview] li")).to_have_text(["B B"])
    page.get_by_label("Nom du segment").fill("Orne")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/admin/segments/")
    assert page.get_by_role("link", name="Orne").is_visible()
