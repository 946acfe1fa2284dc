"""Login attempts are limited per account as well as per client address; an unknown account costs a hash check."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.security import check_password_hash

import crm.auth.models
import crm.auth.services
from tests.fixtures import PASSWORD


def _from(client: Any, address: str, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_from_many_addresses_are_limited_per_account(client, make_user) -> None:
    make_user("viewer")
    make_user("editor")
    spellings = ["viewer@example.org", " VIEWER@example.org", "Viewer@Example.ORG "]
    codes = [_from(client, f"10.0.0.{n}", "/connexion", {"email": spellings[n % 3], "password": f"faux {n}"})
             .status_code for n in range(15)]
    assert codes == [200] * 10 + [429] * 5  # LOGIN_ACCOUNT_RATE_LIMIT defaults to 10 failures per hour
    locked = _from(client, "10.0.1.1", "/connexion", {"email": "viewer@example.org", "password": PASSWORD})
    assert locked.status_code == 429 and "Trop de tentatives en peu de temps" in locked.get_data(as_text=True)
    # Another account, from an address already used above, is not held back.
    other = _from(client, "10.0.0.1", "/connexion", {"email": "editor@example.org", "password": PASSWORD})
    assert other.status_code == 302


def test_successful_logins_do_not_count_against_the_account(make_app) -> None:
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="2 per hour")
    with app.app_context():
        from crm.auth.services import create_user
        from crm.extensions import db

        create_user("viewer@example.org", PASSWORD, "viewer")
        db.session.commit()
    client = app.test_client()
    for n in range(4):
        assert _from(client, f"10.0.2.{n}", "/connexion", {"email": "viewer@example.org",
                                                           "password": PASSWORD}).status_code == 302
        client.post("/deconnexion")
    wrong = [_from(client, f"10.0.3.{n}", "/connexion", {"email": "viewer@example.org", "password": "faux"})
             .status_code for n in range(3)]
    assert wrong == [200, 200, 429]


def test_resend_confirmation_is_limited_per_email_address(client) -> None:
    codes = [_from(client, f"10.0.4.{n}", "/inscription/nouveau-lien",
                   {"email": "Anne.Martin@example.org" if n % 2 else "anne.martin@example.org "}).status_code
             for n in range(6)]
    assert codes == [303] * 5 + [429]  # SIGNUP_RATE_LIMIT: 5 per minute
    other = _from(client, "10.0.4.1", "/inscription/nouveau-lien", {"email": "paul@example.org"})
    assert other.status_code == 303


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        calls.append(password)
        return check_password_hash(pwhash, password)

    # Counted wherever the login checks a hash: the service, or the model's check_password.
    monkeypatch.setattr(crm.auth.services, "check_password_hash", counting, raising=False)
    monkeypatch.setattr(crm.auth.models, "check_password_hash", counting)
    return calls


@pytest.mark.parametrize("email, password, logged_in", [
    ("personne@example.org", PASSWORD, False),  # unknown account
    ("pas une adresse", PASSWORD, False),  # not even an address
    ("inactive@example.org", PASSWORD, False),  # the right password of an inactive account
    ("viewer@example.org", "faux mot de passe", False),  # a wrong password
    ("viewer@example.org", PASSWORD, True),
])
def test_every_login_attempt_costs_one_password_hash_check(client, make_user, db, hash_checks, email, password,
                                                          logged_in) -> None:
    make_user("viewer")
    make_user("viewer", "inactive@example.org").active = False
    db.session.commit()
    response = client.post("/connexion", data={"email": email, "password": password})
    assert (response.status_code == 302) is logged_in
    assert hash_checks == [password]
