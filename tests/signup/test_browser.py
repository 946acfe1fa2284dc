"""End to end in Chromium: form -> confirmation mail on a real SMTP server -> confirm -> preferences from a later
mail -> unsubscribe -> what the back office shows."""

from __future__ import annotations

import time

import pytest

import scheduler
from crm.auth.services import create_user
from crm.extensions import db
from tests.fixtures import PASSWORD, LiveServer
from crm.signup.wording import CONSENT_VERSION
from tests.signup.helpers import link_in

pytestmark = pytest.mark.browser


def _wait_for_mail(sink, count: int, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sink.messages()
        if len(messages) >= count:
            return messages
        time.sleep(0.05)
    raise AssertionError(f"expected {count} mail(s), got {len(sink.messages())}")


@pytest.fixture
def browser_app(make_app, smtp_sink, tmp_path):
    """The web app and, beside it, the scheduler's dispatch job: with a relay, mail asked for by a request is
    sent by the scheduler (no SMTP inside the request), within seconds."""
    app = make_app(MAIL_SERVER=smtp_sink.host, MAIL_PORT=smtp_sink.port, MAIL_SUPPRESS_SEND=False,
                   WTF_CSRF_ENABLED=True, SIGNUP_KIT_DIR=str(tmp_path / "kit"), SCHEDULER_TICK_SECONDS=1)
    server = LiveServer(app)
    server.start()
    sched = scheduler.build_scheduler(app, [job for job in scheduler.jobs_of(app) if job.id == "dispatch"])
    sched.start()
    with app.app_context():
        create_user("cheffe@example.org", PASSWORD, "editor")
        db.session.commit()
        yield app, server
    sched.shutdown(wait=True)
    server.stop()


def test_signup_confirm_preferences_unsubscribe_and_back_office(page, browser_app, smtp_sink):
    app, server = browser_app
    page.goto(f"{server.url}/inscription")
    page.get_by_label("Nom de votre structure").fill("Composites de la Sarthe")
    page.get_by_label("Code postal").fill("72610")
    page.get_by_label("Commune").fill("Arçonnay")
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.get_by_label("Adresse e-mail").fill("Lea.Durand@Example.org")
    page.get_by_label("Recevoir la lettre d'information").check()
    page.get_by_label("Échanger sur un projet").check()
    assert not page.locator("#consent").is_checked()
    page.locator("#consent").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.get_by_role("heading", name="Merci, votre demande est bien reçue").wait_for()

    (confirmation,) = _wait_for_mail(smtp_sink, 1)
    assert smtp_sink.recipients() == ["lea.durand@example.org"]
    assert confirmation.get_body(preferencelist=("html",)) is not None
    page.goto(link_in(confirmation, "/inscription/confirmer/"))
    page.get_by_role("button", name="Je confirme mon inscription").click()
    page.get_by_role("heading", name="Votre inscription est confirmée").wait_for()

    welcome = _wait_for_mail(smtp_sink, 2)[1]
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.goto(link_in(welcome, "/preferences/"))
    page.get_by_role("heading", name="Mes préférences d'envoi").wait_for()
    assert page.get_by_label("Lettre d'information").is_checked()
    page.get_by_label("Actualités du Club des Industriels").check()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    page.get_by_text("Vos préférences sont enregistrées.").wait_for()
    assert page.get_by_label("Actualités du Club des Industriels").is_checked()
    page.get_by_role("button", name="Me désinscrire de tous les envois").click()
    page.get_by_role("heading", name="Vous êtes désinscrit").wait_for()

    page.goto(f"{server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{server.url}/admin/demandes/?filtre=all")
    row = page.locator("tr.signup-row", has_text="lea.durand@example.org")
    assert "confirmée le" in row.inner_text() and "Échanger sur un projet" in row.inner_text()
    row.get_by_role("link", name="Léa Durand").click()
    panel = page.locator("#consentement")
    panel.wait_for()
    assert panel.locator(".consent-status").inner_text().startswith("Désinscrit")
    steps = panel.locator("tr.consent-step")
    actions = [steps.nth(i).get_attribute("data-action") for i in range(steps.count())]
    assert actions == ["subscribe", "confirm", "preferences", "unsubscribe"]
    assert CONSENT_VERSION in steps.nth(0).inner_text()
