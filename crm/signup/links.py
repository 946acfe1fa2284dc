"""Absolute links to a subscriber's own pages, for every mail the tool sends (built from BASE_URL).

Campaigns and events call these when they render a message for one person.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from crm.signup.tokens import make_token


def absolute_url(endpoint: str, **values: Any) -> str:
    """A URL outside any request: the path from the URL map, the origin from BASE_URL."""
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="https")
    path = adapter.build(endpoint, values, force_external=False)
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


# Tokens are URL-safe (letters, digits, "-", "_", "."): the URL map would write them as they are.
_TOKEN_SLOT = "TOKEN0SLOT"


def token_url(endpoint: str, purpose: str, contact_id: int) -> str:
    """``absolute_url(endpoint, token=make_token(purpose, contact_id))``, with the URL built once per
    application and endpoint (a newsletter builds two per recipient)."""
    cache: dict[tuple[str, str], tuple[str, str]] = current_app.extensions.setdefault("crm_token_urls", {})
    key = (endpoint, current_app.config["BASE_URL"])
    parts = cache.get(key)
    if parts is None:
        head, _, tail = absolute_url(endpoint, token=_TOKEN_SLOT).partition(_TOKEN_SLOT)
        parts = cache[key] = (head, tail)
    return f"{parts[0]}{make_token(purpose, contact_id)}{parts[1]}"


def confirm_url(contact: Any) -> str:
    return token_url("signup.confirm", "confirm", contact.id)


def preferences_url(contact: Any) -> str:
    return token_url("signup.preferences", "preferences", contact.id)


def unsubscribe_url(contact: Any) -> str:
    return token_url("signup.unsubscribe", "unsubscribe", contact.id)


def kit_url(contact: Any) -> str:
    return token_url("signup.kit_download", "kit", contact.id)


def list_unsubscribe_headers(contact: Any) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the HTTPS URL accepts a bare POST."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def subscriber_links(contact: Any) -> dict[str, str]:
    """The footer context every mail to a subscriber gets."""
    return {"preferences_url": preferences_url(contact), "unsubscribe_url": unsubscribe_url(contact)}
