"""`flask users reset-password`: a new password from the environment or a prompt, and every session ended."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.auth.models import User
from tests.fixtures import PASSWORD

NEW_PASSWORD = "un nouveau mot de passe"


def _user(db: Any, email: str = "viewer@example.org") -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_cli_reset_password_reads_the_environment_and_ends_the_sessions(runner, make_user, db, monkeypatch) -> None:
    token = make_user("viewer").session_token
    monkeypatch.setenv("CRM_USER_PASSWORD", NEW_PASSWORD)
    result = runner.invoke(args=["users", "reset-password", "Viewer@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Mot de passe de viewer@example.org changé" in result.output
    user = _user(db)
    assert user.check_password(NEW_PASSWORD) and user.session_token != token


def test_cli_reset_password_prompts_for_the_password(runner, make_user, db, monkeypatch) -> None:
    make_user("viewer")
    monkeypatch.delenv("CRM_USER_PASSWORD", raising=False)
    result = runner.invoke(args=["users", "reset-password", "viewer@example.org"],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert _user(db).check_password(NEW_PASSWORD)


def test_cli_reset_password_refuses_an_unknown_account_or_a_short_password(runner, make_user, db,
                                                                          monkeypatch) -> None:
    make_user("viewer")
    monkeypatch.setenv("CRM_USER_PASSWORD", NEW_PASSWORD)
    unknown = runner.invoke(args=["users", "reset-password", "personne@example.org"])
    assert unknown.exit_code != 0 and "Aucun utilisateur avec l'adresse personne@example.org" in unknown.output
    monkeypatch.setenv("CRM_USER_PASSWORD", "court")
    short = runner.invoke(args=["users", "reset-password", "viewer@example.org"])
    assert short.exit_code != 0 and "au moins 10 caractères" in short.output
    assert _user(db).check_password(PASSWORD)
