"""The link to choose a new password: signed with its own salt, expiring, and dead once the password changes.

The token carries the user id and a digest of the current password hash: using the link changes the hash, so the
same link (or any other sent before) no longer matches. A signed token is readable, hence a digest, not the hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from crm.auth.models import User

SALT = "crm.auth.password-reset"


class ResetLinkError(ValueError):
    """The link cannot be used; ``problem`` names why for the page that says so."""

    problem = "invalid"


class ResetLinkExpired(ResetLinkError):
    problem = "expired"


class ResetLinkUsed(ResetLinkError):
    problem = "used"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def max_age() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE"])


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": password_fingerprint(user)})


def read_reset_token(token: str) -> tuple[int, str]:
    """The user id and password fingerprint the token was made for; ``ResetLinkError`` when it is not usable."""
    try:
        data: Any = _serializer().loads(token, max_age=max_age())
    except SignatureExpired as exc:
        raise ResetLinkExpired() from exc
    except BadSignature as exc:
        raise ResetLinkError() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        raise ResetLinkError()
    return data["u"], data["p"]
