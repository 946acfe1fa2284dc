"""The one mail of the account pages: the link to choose a new password (to a back-office user, who is no
contact: a plain message sent after the commit)."""

from __future__ import annotations

from crm.auth import tokens
from crm.auth.models import User
from crm.mail.outgoing import send_after_commit
from crm.mail.rendering import build_message


def send_password_reset(user: User) -> None:
    """The link leaves once the caller's transaction commits."""
    minutes = tokens.max_age() // 60
    message = build_message(
        user.email, "Choisir un nouveau mot de passe — Territoires d'industrie", "password_reset",
        user=user, reset_url=tokens.reset_url(user), valid_minutes=minutes,
        preheader=f"Un lien valable {minutes} minutes pour choisir un nouveau mot de passe.",
    )
    send_after_commit(message)
