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


def confirm_url(contact: Any) -> str:
    return absolute_url("signup.confirm", token=make_token("confirm", contact.id))


def preferences_url(contact: Any) -> str:
    return absolute_url("signup.preferences", token=make_token("preferences", contact.id))


def unsubscribe_url(contact: Any) -> str:
    return absolute_url("signup.unsubscribe", token=make_token("unsubscribe", contact.id))


def kit_url(contact: Any) -> str:
    return absolute_url("signup.kit_download", token=make_token("kit", contact.id))


def list_unsubscribe_headers(contact: Any) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the HTTPS URL accepts a bare POST."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def subscriber_links(contact: Any) -> dict[str, str]:
    """The footer context every mail to a subscriber gets."""
    return {"preferences_url": preferences_url(contact), "unsubscribe_url": unsubscribe_url(contact)}
