"""The one mail of the accounts package: the link to choose a new password."""

from __future__ import annotations

from flask import current_app

from crm.auth import tokens
from crm.auth.models import User
from crm.mail.outgoing import send_after_commit
from crm.mail.rendering import build_message


def _reset_url(user: User) -> str:
    # The origin comes from BASE_URL, never from the request's Host header, which whoever asks can choose.
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="https")
    path = adapter.build("auth.reset_password", {"token": tokens.make_reset_token(user)})
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


def send_password_reset(user: User) -> None:
    """The link leaves once the caller's transaction commits."""
    minutes = tokens.max_age() // 60
    message = build_message(
        user.email, "Choisir un nouveau mot de passe — Territoires d'industrie", "password_reset",
        user=user, reset_url=_reset_url(user), valid_minutes=minutes,
        preheader=f"Un lien valable {minutes} minutes pour choisir un nouveau mot de passe.",
    )
    send_after_commit(message)
