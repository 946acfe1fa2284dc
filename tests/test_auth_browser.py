"""In Chromium, with CSRF on as in production: the forgotten-password path by the keyboard, then the account page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from crm.auth.services import create_user
from crm.extensions import db, mail
from tests.fixtures import LiveServer

pytestmark = pytest.mark.browser

NEW_PASSWORD = "un nouveau mot de passe"


@pytest.fixture
def served(make_app: Any) -> Iterator[tuple[LiveServer, list[Any]]]:
    app = make_app(WTF_CSRF_ENABLED=True)
    server = LiveServer(app)
    server.start()
    with app.app_context(), mail.record_messages() as outbox:
        create_user("cheffe@example.org", "ancien mot de passe", "viewer", "Cheffe de projet")
        db.session.commit()
        yield server, outbox
    server.stop()


def test_forgotten_password_then_log_out_everywhere_by_keyboard(served, page) -> None:
    server, outbox = served
    page.goto(f"{server.url}/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/mot-de-passe-oublie")
    assert page.get_by_role("heading", name="Mot de passe oublié").is_visible()
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.keyboard.press("Enter")
    page.wait_for_url("**/connexion")
    assert page.get_by_text("Si un compte actif correspond à cette adresse").is_visible()

    assert len(outbox) == 1
    link = re.search(r"http://\S+/mot-de-passe/nouveau/\S+", outbox[0].body).group(0)
    page.goto(link)
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/connexion")
    assert page.get_by_text("Votre mot de passe a été changé").is_visible()

    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Cheffe de projet").click()
    page.wait_for_url("**/mon-compte")
    assert page.get_by_role("heading", name="Mon compte").is_visible()
    page.get_by_role("button", name="Se déconnecter de tous les autres appareils").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Vos sessions sur les autres appareils sont fermées.").is_visible()

    page.goto(link)  # the link served once
    assert page.get_by_role("heading", name="Ce lien a déjà servi").is_visible()
