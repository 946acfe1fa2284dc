"""Forgotten password: a neutral answer, a signed single-use link that expires, a new password that ends every
session."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from crm.auth.models import User
from tests.fixtures import PASSWORD

FORGOT = "/mot-de-passe-oublie"
NEUTRAL = "Si un compte actif correspond à cette adresse, un message vient d&#39;y être envoyé"
NEW_PASSWORD = "un nouveau mot de passe"
USED = "Ce lien a déjà servi"
EXPIRED = "Ce lien a expiré"
INVALID = "Ce lien n'est pas valide"


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _reset_path(message: Any) -> str:
    urls = re.findall(r"https?://\S+/mot-de-passe/nouveau/[\w.-]+", message.body)
    assert len(set(urls)) == 1, message.body
    assert urls[0] in message.html  # the same link in the HTML part
    return urlsplit(urls[0]).path


def _user(db: Any, email: str = "viewer@example.org") -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _logs_in(app: Flask, password: str) -> bool:
    response = app.test_client().post("/connexion", data={"email": "viewer@example.org", "password": password})
    return response.status_code == 302


def _choose(client: FlaskClient, path: str, password: str, confirm: str | None = None) -> Any:
    return client.post(path, data={"password": password, "confirm": password if confirm is None else confirm})


def test_the_login_page_leads_to_an_accessible_request_form(client) -> None:
    login = _text(client.get("/connexion"))
    assert f'<a href="{FORGOT}">Mot de passe oublié ?</a>' in login
    page = client.get(FORGOT)
    assert page.status_code == 200
    assert "<h1>Mot de passe oublié</h1>" in _text(page)
    assert '<label for="email">Adresse e-mail</label>' in _text(page)


def test_a_reset_link_works_once_and_ends_every_session(app, client, make_user, outbox, db) -> None:
    user = make_user("viewer")
    elsewhere = app.test_client()
    elsewhere.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert elsewhere.get("/admin/").status_code == 200

    asked = client.post(FORGOT, data={"email": " Viewer@Example.org"})
    assert asked.status_code == 303 and asked.location == "/connexion"
    assert NEUTRAL in _text(client.get("/connexion"))
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.recipients == ["viewer@example.org"] and "mot de passe" in mail.subject
    assert "Territoires d'industrie — CUA" in mail.html  # the shared mail layout
    path = _reset_path(mail)

    form = client.get(path)  # a GET (a mail scanner, a preview) changes nothing
    assert form.status_code == 200
    page = _text(form)
    assert '<label for="password">Nouveau mot de passe</label>' in page
    assert '<label for="confirm">Confirmez le nouveau mot de passe</label>' in page
    assert _logs_in(app, PASSWORD)

    mismatch = _choose(client, path, NEW_PASSWORD, confirm="autre chose encore")
    assert mismatch.status_code == 400 and "Les deux mots de passe ne correspondent pas." in _text(mismatch)
    short = _choose(client, path, "court")
    assert short.status_code == 400 and "au moins 10 caractères" in _text(short)
    assert _logs_in(app, PASSWORD)

    done = _choose(client, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.location == "/connexion"
    assert "Votre mot de passe a été changé" in _text(client.get("/connexion"))
    assert not _logs_in(app, PASSWORD) and _logs_in(app, NEW_PASSWORD)
    assert elsewhere.get("/admin/").status_code == 302  # the session opened before is over

    again = client.get(path)
    assert again.status_code == 400 and USED in _text(again)
    assert f'href="{FORGOT}"' in _text(again)  # a way to ask for a new link
    replay = _choose(client, path, "encore un autre mot de passe")
    assert replay.status_code == 400 and USED in _text(replay)
    assert _logs_in(app, NEW_PASSWORD)


@pytest.mark.parametrize("age, works", [(3599, True), (3601, False)])
def test_a_link_expires_after_an_hour(client, make_user, outbox, db, monkeypatch: pytest.MonkeyPatch,
                                      age: int, works: bool) -> None:
    make_user("viewer")
    with monkeypatch.context() as issued_earlier:
        issued_earlier.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - age)
        client.post(FORGOT, data={"email": "viewer@example.org"})
    path = _reset_path(outbox[0])
    assert (client.get(path).status_code == 200) is works
    response = _choose(client, path, NEW_PASSWORD)
    if works:
        assert response.status_code == 303
    else:
        assert response.status_code == 400 and EXPIRED in _text(response)
        assert _user(db).check_password(PASSWORD)


def test_a_forged_or_foreign_token_is_refused(app, client, make_user, db) -> None:
    user = make_user("viewer")
    foreign = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="crm.signup.confirm").dumps(user.id)
    for token in ("pas-un-jeton", foreign, foreign[:-2] + "xx"):
        response = _choose(client, f"/mot-de-passe/nouveau/{token}", NEW_PASSWORD)
        assert response.status_code == 400 and INVALID in _text(response), token
    assert _user(db).check_password(PASSWORD)


def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_mail(client, make_user, outbox, db) -> None:
    make_user("viewer")
    make_user("viewer", "parti@example.org").active = False
    db.session.commit()
    answers = []
    for email in ("viewer@example.org", "personne@example.org", "parti@example.org", "pas une adresse"):
        response = client.post(FORGOT, data={"email": email})
        answers.append((response.status_code, response.location, NEUTRAL in _text(client.get("/connexion"))))
    assert answers == [(303, "/connexion", True)] * 4
    assert [m.recipients for m in outbox] == [["viewer@example.org"]]
    empty = client.post(FORGOT, data={"email": ""})
    assert empty.status_code == 400 and "Indiquez votre adresse e-mail." in _text(empty)


def test_the_request_form_is_rate_limited_per_address_and_per_client(client, make_user, outbox) -> None:
    make_user("viewer")
    per_email = [client.post(FORGOT, data={"email": "Viewer@example.org"},
                             environ_base={"REMOTE_ADDR": f"10.0.5.{n}"}).status_code for n in range(6)]
    assert per_email == [303] * 5 + [429]  # PASSWORD_RESET_RATE_LIMIT: 5 per hour
    assert len(outbox) == 5
    per_client = [client.post(FORGOT, data={"email": f"quelqu.un{n}@example.org"},
                              environ_base={"REMOTE_ADDR": "10.0.6.1"}).status_code for n in range(6)]
    assert per_client == [303] * 5 + [429]
    assert client.post(FORGOT, data={"email": "autre@example.org"},
                       environ_base={"REMOTE_ADDR": "10.0.6.2"}).status_code == 303
