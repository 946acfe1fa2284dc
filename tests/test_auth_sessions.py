"""Sessions and remember-me cookies can be revoked: logout, a password change and "log out everywhere"."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm.config import load_config
from tests.fixtures import PASSWORD

COOKIES = ("session", "remember_token")


def _log_in(app: Flask, email: str = "viewer@example.org", remember: bool = True) -> FlaskClient:
    client = app.test_client()
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.post("/connexion", data=data).status_code == 302
    return client


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None and cookie.value, name
    return cookie.value


def _replay(app: Flask, name: str, value: str) -> int:
    """The status of the dashboard for a fresh browser holding only this cookie."""
    stranger = app.test_client()
    stranger.set_cookie(name, value)
    return stranger.get("/admin/").status_code


@pytest.mark.parametrize("name", COOKIES)
def test_a_captured_cookie_works_until_logout(app, make_user, name: str) -> None:
    make_user("viewer")
    client = _log_in(app)
    captured = _cookie(client, name)
    assert _replay(app, name, captured) == 200
    client.post("/deconnexion")
    assert _replay(app, name, captured) == 302


def test_the_remember_cookie_differs_from_one_login_to_the_next(app, make_user) -> None:
    make_user("viewer")
    client = _log_in(app)
    first = _cookie(client, "remember_token")
    client.post("/deconnexion")
    assert _cookie(_log_in(app), "remember_token") != first
    assert not first.startswith("1|")  # the row id is not what the cookie carries


@pytest.mark.parametrize("name", COOKIES)
def test_a_password_change_by_an_admin_ends_the_user_sessions(app, make_user, db, name: str) -> None:
    user = make_user("viewer")
    make_user("admin")
    captured = _cookie(_log_in(app), name)
    admin = _log_in(app, "admin@example.org", remember=False)
    admin.post(f"/admin/utilisateurs/{user.id}", data={"name": "", "role": "viewer", "active": "y",
                                                      "password": ""})
    assert _replay(app, name, captured) == 200  # saving the user without a new password changes nothing
    admin.post(f"/admin/utilisateurs/{user.id}", data={"name": "", "role": "viewer", "active": "y",
                                                      "password": "un tout autre mot de passe"})
    assert _replay(app, name, captured) == 302


def test_log_out_everywhere_ends_the_other_sessions_and_keeps_this_one(app, make_user) -> None:
    make_user("viewer")
    laptop, phone = _log_in(app), _log_in(app)
    phone_cookies = {name: _cookie(phone, name) for name in COOKIES}
    page = laptop.get("/mon-compte")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>Mon compte</h1>" in text and "Se déconnecter de tous les autres appareils" in text

    done = laptop.post("/mon-compte/deconnexion-partout", follow_redirects=True)
    assert "Vos sessions sur les autres appareils sont fermées." in done.get_data(as_text=True)
    assert phone.get("/admin/").status_code == 302
    for name, value in phone_cookies.items():
        assert _replay(app, name, value) == 302
    assert laptop.get("/admin/").status_code == 200
    assert _replay(app, "remember_token", _cookie(laptop, "remember_token")) == 200  # a new one, that works
    assert laptop.get("/mon-compte/deconnexion-partout").status_code == 405


def test_the_account_page_is_reached_from_every_page(app, make_user) -> None:
    make_user("viewer")
    page = _log_in(app).get("/admin/").get_data(as_text=True)
    assert 'href="/mon-compte"' in page
    assert app.test_client().get("/mon-compte").status_code == 302  # login first


def test_remember_cookie_is_secure_when_the_session_cookie_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is config["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is config["REMEMBER_COOKIE_SECURE"] is False
