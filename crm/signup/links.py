"""Absolute links to a subscriber's own pages, for every mail the tool sends (built from BASE_URL).

Each token names the contact by id and by the contact's own ``link_secret``: a link made for one person never
acts on another, even once the id or the address belongs to someone else. Campaigns and events call these when
they render a message for one person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm.extensions import db
from crm.security import TokenInvalid, days, read_token_issued, token_url
from crm.partners.models import Contact

# Purposes of the links of this package, and the setting giving each one's maximum age in days (None: no limit).
MAX_AGE_SETTINGS: dict[str, str | None] = {
    "confirm": "SIGNUP_CONFIRM_MAX_AGE_DAYS",
    "preferences": None,
    "unsubscribe": None,
    "kit": "SIGNUP_KIT_LINK_DAYS",
}


def _value(contact: Any) -> list[Any]:
    return [contact.id, contact.link_secret]


def person_url(endpoint: str, purpose: str, contact: Any) -> str:
    return token_url(endpoint, purpose, _value(contact))


def read_person(purpose: str, token: str) -> tuple[Contact, datetime]:
    """The contact a link was made for, and when; raises TokenError (expired, forged, another purpose, or a
    person who is no longer the one the link was made for)."""
    setting = MAX_AGE_SETTINGS[purpose]
    value, issued = read_token_issued(purpose, token, days(setting) if setting else None)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and not isinstance(value[0], bool) and isinstance(value[1], str)):
        raise TokenInvalid("Ce lien n'est pas valide.")
    contact = db.session.get(Contact, value[0])
    if contact is None or not contact.email or contact.link_secret != value[1]:
        raise TokenInvalid("Ce lien n'est pas valide.")
    return contact, issued


def confirm_url(contact: Any) -> str:
    return person_url("signup.confirm", "confirm", contact)


def preferences_url(contact: Any) -> str:
    return person_url("signup.preferences", "preferences", contact)


def unsubscribe_url(contact: Any) -> str:
    return person_url("signup.unsubscribe", "unsubscribe", contact)


def kit_url(contact: Any) -> str:
    return person_url("signup.kit_download", "kit", contact)


def list_unsubscribe_headers(contact: Any) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the HTTPS URL accepts a bare POST."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def subscriber_links(contact: Any) -> dict[str, str]:
    """The footer context every mail to a subscriber gets."""
    return {"preferences_url": preferences_url(contact), "unsubscribe_url": unsubscribe_url(contact)}
