"""RSVP links: a signed token, scoped to the 'rsvp' purpose, naming one invitation of one event.

The token carries the invitation's random nonce, so replacing the nonce voids every link already sent.
A forged, expired or other-event token is recognised as such and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from crm.events.models import Invitation
from crm.extensions import db

SALT = "rsvp"
DEFAULT_MAX_AGE = 400 * 24 * 3600  # an invitation goes out months ahead at most


class TokenProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    OTHER_EVENT = "other_event"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(invitation: Invitation) -> str:
    return _serializer().dumps({"i": invitation.id, "e": invitation.event_id, "n": invitation.token})


def rsvp_url(invitation: Invitation) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/evenements/{invitation.event_id}/reponse/{make_token(invitation)}"


def read_token(event_id: int, token: str) -> Invitation | TokenProblem:
    max_age = int(current_app.config.get("RSVP_TOKEN_MAX_AGE", DEFAULT_MAX_AGE))
    try:
        data: Any = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return TokenProblem.EXPIRED
    except BadSignature:
        return TokenProblem.INVALID
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("e"), int):
        return TokenProblem.INVALID
    if data["e"] != event_id:
        return TokenProblem.OTHER_EVENT
    invitation = db.session.get(Invitation, data["i"])
    if invitation is None or invitation.event_id != event_id or invitation.token != data.get("n"):
        return TokenProblem.INVALID
    return invitation
