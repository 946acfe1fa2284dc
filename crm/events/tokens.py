"""RSVP links: a signed token (crm.security, purpose "rsvp") naming one invitation of one event.

The token carries the invitation's random nonce, so replacing the nonce voids every link already sent.
A forged, expired or other-event token is recognised as such and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from crm.events.models import Invitation
from crm.extensions import db
from crm.security import TokenExpired, TokenError, days, make_token as sign, read_token as read_signed, token_url

PURPOSE = "rsvp"
MAX_AGE_SETTING = "RSVP_LINK_MAX_AGE_DAYS"


class TokenProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    OTHER_EVENT = "other_event"


def _value(invitation: Invitation) -> dict[str, Any]:
    return {"i": invitation.id, "e": invitation.event_id, "n": invitation.token}


def make_token(invitation: Invitation) -> str:
    return sign(PURPOSE, _value(invitation))


def rsvp_url(invitation: Invitation) -> str:
    return token_url("rsvp.answer_page", PURPOSE, _value(invitation), event_id=invitation.event_id)


def read_token(event_id: int, token: str) -> Invitation | TokenProblem:
    try:
        data: Any = read_signed(PURPOSE, token, days(MAX_AGE_SETTING))
    except TokenExpired:
        return TokenProblem.EXPIRED
    except TokenError:
        return TokenProblem.INVALID
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("e"), int):
        return TokenProblem.INVALID
    if data["e"] != event_id:
        return TokenProblem.OTHER_EVENT
    invitation = db.session.get(Invitation, data["i"])
    if invitation is None or invitation.event_id != event_id or invitation.token != data.get("n"):
        return TokenProblem.INVALID
    return invitation
