from __future__ import annotations

import sqlalchemy as sa

from crm.auth.models import User
from tests.fixtures import PASSWORD


def test_login_page_is_french_and_wrong_password_is_refused(client, make_user) -> None:
    make_user("viewer")
    page = client.get("/connexion").get_data(as_text=True)
    assert "Connexion au back-office" in page and 'lang="fr"' in page
    response = client.post("/connexion", data={"email": "viewer@example.org", "password": "faux mot de passe"})
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_then_logout_by_post_only(client, make_user) -> None:
    make_user("viewer")
    response = client.post("/connexion?next=/admin/contacts/", data={"email": "VIEWER@example.org ",
                                                                     "password": PASSWORD})
    assert response.location == "/admin/contacts/"
    assert client.get("/admin/contacts/").status_code == 200
    assert client.get("/deconnexion").status_code == 405
    client.post("/deconnexion")
    assert client.get("/admin/contacts/").status_code == 302


def test_open_redirect_after_login_is_refused(client, make_user) -> None:
    make_user("viewer")
    response = client.post("/connexion?next=//evil.example.com/", data={"email": "viewer@example.org",
                                                                         "password": PASSWORD})
    assert response.location == "/admin/"


def test_inactive_user_cannot_log_in(client, make_user, db) -> None:
    user = make_user("editor")
    user.active = False
    db.session.commit()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_login_is_rate_limited(make_app) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/connexion", data={"email": "x@example.org", "password": "nope"}).status_code
             for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


def test_csrf_is_enforced_on_forms(make_app, db) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        from crm.auth.services import create_user
        create_user("a@example.org", PASSWORD, "admin")
        db.session.commit()
    response = client.post("/connexion", data={"email": "a@example.org", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert count == 1


def test_admin_creates_and_edits_users(client, login, db) -> None:
    login("admin")
    response = client.post("/admin/utilisateurs/nouveau", data={"email": "New@Example.org", "name": "Nouvelle",
                                                              "role": "editor", "password": "court"})
    assert "au moins 10 caractères" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.org")) is None
    client.post("/admin/utilisateurs/nouveau", data={"email": "New@Example.org", "name": "Nouvelle",
                                                   "role": "editor", "password": "un mot de passe long"})
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
    assert user.role == "editor"
    client.post(f"/admin/utilisateurs/{user.id}", data={"name": "N", "role": "viewer", "active": "y", "password": ""})
    db.session.expire_all()
    assert db.session.get(User, user.id).role == "viewer"


def test_language_switch_to_english(client, login) -> None:
    login("viewer")
    client.post("/langue/en", headers={"Referer": "http://localhost/admin/"})
    page = client.get("/admin/").get_data(as_text=True)
    assert 'lang="en"' in page and "Dashboard" in page and "Organisations" in page
    client.post("/langue/fr")
    assert "Tableau de bord" in client.get("/admin/").get_data(as_text=True)
