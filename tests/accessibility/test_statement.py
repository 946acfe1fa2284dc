"""The déclaration d'accessibilité: public, linked from every page's footer with its status, edited by an admin only."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.accessibility.models import AccessibilityStatement
from crm.extensions import db
from tests.test_migrations import empty_database

FOOTER_LINK = '<a href="/accessibilite">Accessibilité : {}</a>'
FORM = {"status": "totale", "audit_summary": "Audit mené en 2026.", "non_accessible": "- Les cartes.",
        "contact": "Écrivez à accessibilite@example.org."}


def _page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/inscription", "/lettres/", "/plan-d-actions/", "/connexion",
                                 "/mot-de-passe-oublie", "/accessibilite"])
def test_every_public_page_links_the_statement_with_its_status(client, url: str) -> None:
    assert FOOTER_LINK.format("partiellement conforme") in _page(client, url)


@pytest.mark.parametrize("url", ["/admin/", "/admin/contacts/", "/admin/structures/nouvelle", "/mon-compte"])
def test_every_back_office_page_links_the_statement(client, login, url: str) -> None:
    login("viewer")
    assert FOOTER_LINK.format("partiellement conforme") in _page(client, url)


def test_error_pages_carry_the_footer_too(client) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert FOOTER_LINK.format("partiellement conforme") in response.get_data(as_text=True)


def test_the_public_page_says_what_the_rgaa_model_asks(client) -> None:
    page = html.unescape(_page(client, "/accessibilite"))
    for words in ("État de conformité", "partiellement conforme avec le référentiel général d'amélioration de "
                  "l'accessibilité (RGAA), version 4.1", "Contenus non accessibles", "Retour d'information et "
                  "contact", "Voies de recours", "Défenseur des droits", "Libre réponse 71120",
                  "https://formulaire.defenseurdesdroits.fr/"):
        assert words in page, words


def test_an_admin_edits_the_statement_and_the_footer_follows(client, login) -> None:
    login("admin")
    assert 'name="status"' in _page(client, "/admin/accessibilite/")
    saved = client.post("/admin/accessibilite/", data=FORM)
    assert saved.status_code == 303
    statement = db.session.get(AccessibilityStatement, 1)
    assert (statement.status, statement.contact) == ("totale", "Écrivez à accessibilite@example.org.")
    public = _page(client, "/accessibilite")
    assert "est totalement conforme avec" in public
    assert "<li>Les cartes.</li>" in public and "Écrivez à accessibilite@example.org." in public
    assert FOOTER_LINK.format("totalement conforme") in public
    assert FOOTER_LINK.format("totalement conforme") in _page(client, "/admin/contacts/")

    client.post("/admin/accessibilite/", data={**FORM, "status": "non"})
    assert FOOTER_LINK.format("non conforme") in _page(client, "/inscription")
    assert "partiellement conforme" not in _page(client, "/inscription")


def test_the_admin_markdown_is_sanitised(client, login) -> None:
    login("admin")
    client.post("/admin/accessibilite/", data={**FORM, "contact": "Écrivez-nous <script>alert(1)</script> "
                                                                    "[ici](javascript:alert(2))"})
    page = _page(client, "/accessibilite")
    assert "<script>alert(1)" not in page and "javascript:" not in page
    assert "Écrivez-nous" in page


def test_a_status_outside_the_three_is_refused_and_nothing_written(client, login) -> None:
    login("admin")
    refused = client.post("/admin/accessibilite/", data={**FORM, "status": "excellente"})
    assert refused.status_code == 400
    assert db.session.get(AccessibilityStatement, 1) is None


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editors_and_viewers_may_neither_see_nor_edit_the_statement_form(client, login, role: str) -> None:
    login(role)
    assert client.get("/admin/accessibilite/").status_code == 403
    assert client.post("/admin/accessibilite/", data=FORM).status_code == 403
    assert db.session.get(AccessibilityStatement, 1) is None
    assert "/admin/accessibilite/" not in _page(client, "/admin/")  # not in their menu either


def test_the_menu_offers_the_edit_page_to_an_admin(client, login) -> None:
    login("admin")
    assert 'href="/admin/accessibilite/"' in _page(client, "/admin/")


def test_a_populated_database_upgrades_then_holds_a_statement(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision="c5e8a1d2f403")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO users (email, name, password_hash, role, active, session_token, created_at) "
                "VALUES ('admin@example.org', 'Admin', 'x', 'admin', true, 'jeton', CURRENT_TIMESTAMP)"))
        upgrade(revision="c3a9e1f0d7b2")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO accessibility_statements (status, audit_summary, non_accessible, contact, updated_at, "
                "updated_by_id) VALUES ('partielle', '', '- Cartes', 'Écrire', CURRENT_TIMESTAMP, "
                "(SELECT id FROM users))"))
            assert connection.scalar(sa.text("SELECT non_accessible FROM accessibility_statements")) == "- Cartes"
            connection.execute(sa.text("DELETE FROM users"))
            assert connection.scalar(sa.text("SELECT updated_by_id FROM accessibility_statements")) is None
        downgrade(revision="c5e8a1d2f403")
        assert "accessibility_statements" not in sa.inspect(db.engine).get_table_names()
