"""The 400, 403, 404, 405 and 500 pages are the site's own, in French, in the site's layout (the back office's for
the team, the light public one for anonymous visitors); the signup form keeps its own expired-form page."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from crm.extensions import db

LAYOUT = ('<a class="skip" href="#contenu">Aller au contenu</a>', '<main id="contenu" tabindex="-1">')


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _is_site_page(page: str, heading: str) -> bool:
    """The site's layout (base.html), in French, with the page's own heading."""
    return (all(piece in page for piece in LAYOUT) and '<html lang="fr">' in page
            and re.search(rf"<h1[^>]*>{re.escape(heading)}</h1>", page) is not None
            and "The requested URL" not in page and "Internal Server Error" not in page)


# --- Error pages ----------------------------------------------------------------------------------


def test_404_is_the_site_page_for_anonymous_visitors_and_for_the_team(client: FlaskClient, login: Any) -> None:
    anonymous = client.get("/nulle-part")
    assert anonymous.status_code == 404
    page = _page(anonymous)
    assert _is_site_page(page, "Page introuvable") and "Code de l'erreur : 404" in page
    assert "Navigation principale" not in page and "Retour au tableau de bord" not in page  # the light layout

    login("viewer")
    for url in ("/admin/contacts/999999", "/lettres/100000000000000000000", "/admin/boite-d-envoi/inconnu"):
        response = client.get(url)
        assert response.status_code == 404, url
        page = _page(response)
        assert _is_site_page(page, "Page introuvable"), url
        assert "Navigation principale" in page and "Retour au tableau de bord" in page  # the back office's layout


def test_403_is_the_site_page(client: FlaskClient, login: Any) -> None:
    login("viewer")
    refused = client.post("/admin/structures/nouvelle", data={"name": "Fonderie"})
    assert refused.status_code == 403
    page = _page(refused)
    assert _is_site_page(page, "Accès refusé") and "demandez-le à un administrateur" in page
    assert client.get("/admin/structures/").status_code == 200  # the other side: what a viewer may read


def test_405_is_the_site_page_and_keeps_the_allowed_methods(client: FlaskClient) -> None:
    response = client.get("/deconnexion")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST" or set(response.headers["Allow"].split(", ")) >= {"POST"}
    assert _is_site_page(_page(response), "Action non permise à cette adresse")


def test_400_shows_why_the_input_was_refused(client: FlaskClient) -> None:
    refused = client.post("/inscription", data={"organisation_name": "Plasturgie\x00du Perche"})
    assert refused.status_code == 400
    page = _page(refused)
    assert _is_site_page(page, "Demande incorrecte") and "caractère nul" in page
    searched = client.get("/lettres/?q=a%00b")
    assert searched.status_code == 400 and "caractère nul" in _page(searched)
    # The other side: the same form without the NUL byte is the form's own answer (its errors), not this page.
    answered = client.post("/inscription", data={"organisation_name": "Plasturgie du Perche"})
    assert answered.status_code == 400 and "caractère nul" not in _page(answered)
    assert "Indiquez votre nom." in _page(answered)


def test_500_is_the_site_page_and_nothing_of_the_error_leaks(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/panne")
    def broken() -> str:
        raise RuntimeError("secret de la panne")

    with app.app_context():
        response = app.test_client().get("/panne")
    assert response.status_code == 500
    page = _page(response)
    assert _is_site_page(page, "Erreur du serveur") and "secret de la panne" not in page


def test_500_page_in_a_broken_transaction_still_draws(make_app: Callable[..., Flask], login: Any) -> None:
    """The error came from the database: the page rolls back before reading the user through the session."""
    import sqlalchemy as sa

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/admin/panne-base")
    def broken() -> str:
        db.session.execute(sa.text("SELECT * FROM table_qui_n_existe_pas"))  # on PostgreSQL, aborts the transaction
        return ""

    with app.app_context():
        client = app.test_client()
        from crm.auth.services import create_user
        from tests.fixtures import PASSWORD

        create_user("admin@example.org", PASSWORD, "admin")
        db.session.commit()
        client.post("/connexion", data={"email": "admin@example.org", "password": PASSWORD})
        response = client.get("/admin/panne-base")
    assert response.status_code == 500
    assert _is_site_page(_page(response), "Erreur du serveur")


def test_error_pages_follow_the_reader_language(client: FlaskClient) -> None:
    client.post("/langue/en")
    page = _page(client.get("/nulle-part"))
    assert '<html lang="en">' in page and "Page not found" in page and "Page introuvable" not in page


def test_the_signup_form_keeps_its_own_expired_form_page(make_app: Callable[..., Flask]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        signup = client.post("/inscription", data={"organisation_name": "Plasturgie du Perche"}, csrf=False)
        login_page = client.post("/connexion", data={"email": "a@example.org", "password": "x"}, csrf=False)
    assert signup.status_code == 400 and "Code de l'erreur" not in _page(signup)
    assert "Revenir au formulaire" in _page(signup)  # signup/expired_form.html, back to the form
    # Elsewhere a missing CSRF token gets the site's page, in French, not Flask-WTF's English words.
    assert login_page.status_code == 400
    assert _is_site_page(_page(login_page), "Formulaire expiré") and "CSRF" not in _page(login_page)
