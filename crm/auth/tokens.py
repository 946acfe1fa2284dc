"""The link to choose a new password (crm.security, purpose "password_reset"): expiring, and dead once the
password changes.

The token carries the user id and a digest of the current password hash: using the link changes the hash, so the
same link (or any other sent before) no longer matches. A signed token is readable, hence a digest, not the hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app

from crm.auth.models import User
from crm.security import TokenError, TokenExpired, make_token, read_token, token_url

PURPOSE = "password_reset"


class ResetLinkError(TokenError):
    """The link cannot be used; ``problem`` names why for the page that says so."""

    problem = "invalid"


class ResetLinkExpired(ResetLinkError):
    problem = "expired"


class ResetLinkUsed(ResetLinkError):
    problem = "used"


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def max_age() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE"])


def _value(user: User) -> dict[str, Any]:
    return {"u": user.id, "p": password_fingerprint(user)}


def make_reset_token(user: User) -> str:
    return make_token(PURPOSE, _value(user))


def reset_url(user: User) -> str:
    """The origin comes from BASE_URL, never from the request's Host header, which whoever asks can choose."""
    return token_url("account.reset_password", PURPOSE, _value(user))


def read_reset_token(token: str) -> tuple[int, str]:
    """The user id and password fingerprint the token was made for; ``ResetLinkError`` when it is not usable."""
    try:
        data: Any = read_token(PURPOSE, token, max_age())
    except TokenExpired as exc:
        raise ResetLinkExpired() from exc
    except TokenError as exc:
        raise ResetLinkError() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        raise ResetLinkError()
    return data["u"], data["p"]
