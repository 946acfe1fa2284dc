"""Signed, purpose-scoped tokens for the links in mail (itsdangerous, one salt per purpose).

``make_token("unsubscribe", contact.id)`` -> a URL-safe string; ``read_token("unsubscribe", token)`` -> the
contact id, or ``TokenExpired`` / ``TokenInvalid`` (both ``TokenError``). A token made for one purpose is
refused for every other one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# The purposes this package uses; other features may scope their own (lower-case words).
PURPOSES = ("confirm", "preferences", "unsubscribe", "kit")
_PURPOSE = re.compile(r"^[a-z][a-z_]{1,30}$")


class TokenError(ValueError):
    """The link is not usable: expired, tampered with, or made for another purpose."""


class TokenExpired(TokenError):
    pass


class TokenInvalid(TokenError):
    pass


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=64)
def _serializer_for(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    """One serializer per key and purpose (a newsletter signs two links per recipient)."""
    if not _PURPOSE.match(purpose):
        raise ValueError(f"bad token purpose: {purpose!r}")
    return URLSafeTimedSerializer(secret_key, salt=f"crm.signup.{purpose}")


def make_token(purpose: str, contact_id: int) -> str:
    return _serializer(purpose).dumps(int(contact_id))


def read_token_issued(purpose: str, token: str, max_age: int | None = None) -> tuple[int, datetime]:
    """The contact id and when the token was made (second precision)."""
    try:
        value, issued = _serializer(purpose).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise TokenExpired("Ce lien a expiré.") from exc
    except BadSignature as exc:
        raise TokenInvalid("Ce lien n'est pas valide.") from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise TokenInvalid("Ce lien n'est pas valide.")
    return value, issued.astimezone(UTC)


def read_token(purpose: str, token: str, max_age: int | None = None) -> int:
    return read_token_issued(purpose, token, max_age)[0]
