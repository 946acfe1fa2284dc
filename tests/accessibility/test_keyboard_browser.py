"""Without a mouse: the skip link leads to the content, the progress bar of a letter being sent has a name and
its figures are announced, and the confirmation dialog of a destructive button is answered with the keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from crm.campaigns import services
from crm.campaigns.models import Campaign
from crm.extensions import db
from tests.factories import campaign, subscriber
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page: Any, url: str, email: str, then: str) -> None:
    page.goto(f"{url}/connexion?next={then}")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _tab_to(page: Any, name: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"{name!r} never reached with Tab")


def test_the_skip_link_takes_the_keyboard_to_the_content(live_server, page) -> None:
    page.goto(f"{live_server.url}/inscription")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    assert skip.is_visible()
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"
    page.keyboard.press("Tab")  # the next stop is inside the content, past the header
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_progress_bar_and_cancel_dialog_without_a_mouse(app: Any, live_server: Any, page: Any, make_user) -> None:
    make_user("editor", "cheffe@example.org")
    for i in range(3):
        subscriber(f"abonne{i}@example.org", f"Prénom{i}", "Exemple")
    letter = campaign("Lettre en cours")
    services.start_due()
    db.session.commit()
    assert db.session.get(Campaign, letter.id).status == "sending"

    _log_in(page, live_server.url, "cheffe@example.org", f"/admin/lettres/{letter.id}")
    page.wait_for_url(f"**/admin/lettres/{letter.id}")
    bar = page.get_by_role("progressbar", name="Progression")
    assert bar.is_visible()
    assert page.locator("#progression-detail").get_attribute("aria-live") == "polite"

    dialogs: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    _tab_to(page, "Annuler l'envoi")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert dialogs and dialogs[0].startswith("Annuler l'envoi ?")
    db.session.expire_all()
    assert db.session.get(Campaign, letter.id).status == "sending"  # dismissed: nothing posted

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.keyboard.press("Space")
    page.wait_for_load_state()
    page.get_by_text("Annulée").first.wait_for()
    db.session.expire_all()
    assert len(dialogs) == 2
    assert db.session.get(Campaign, letter.id).status == "cancelled"
