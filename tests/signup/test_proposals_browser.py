"""In Chromium, CSRF on: an editor ticks proposed changes by their labels (one with the keyboard) and applies them."""

from __future__ import annotations

import pytest

from crm.extensions import db
from crm.partners.models import Contact
from crm.signup import services as signup
from tests.fixtures import PASSWORD, LiveServer
from tests.signup.test_proposals import EMAIL, VALID_SIRET, _known_partner

pytestmark = pytest.mark.browser


def test_an_editor_applies_two_proposed_changes_from_the_inbox(make_app, make_user, page):
    app = make_app(WTF_CSRF_ENABLED=True)
    server = LiveServer(app)
    server.start()
    try:
        with app.app_context():
            contact_id = _known_partner().id
            made = signup.submit(signup.SignupInput(
                organisation_name="Plasturgie du Perche", siret=VALID_SIRET, postal_code="61000", first_name="Annie",
                last_name="Martin", email=EMAIL, phone="06 99 88 77 66", job_title="Stagiaire", consent=True,
                requests=["newsletter"], sectors=["plasturgie"], axes=["innovation"]))
            db.session.commit()
            signup.confirm(db.session.get(Contact, contact_id), made.created_at)
            db.session.commit()
            make_user("editor", "cheffe@example.org")

            page.goto(f"{server.url}/connexion")
            page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.goto(f"{server.url}/admin/demandes/")
            table = page.get_by_role("table", name="Modifications proposées pour la fiche de Anne Martin")
            table.wait_for()
            table.get_by_label("Prénom").check()
            table.get_by_label("Téléphone").focus()
            page.keyboard.press("Space")
            assert table.get_by_label("Téléphone").is_checked() and not table.get_by_label("Fonction").is_checked()
            page.get_by_role("button", name="Appliquer les modifications cochées").click()
            page.get_by_text("Modifications appliquées : Prénom, Téléphone.").wait_for()

            db.session.expire_all()
            kept = db.session.get(Contact, contact_id)
            assert (kept.first_name, kept.phone, kept.job_title) == ("Annie", "06 99 88 77 66", "Dirigeante")
    finally:
        server.stop()
