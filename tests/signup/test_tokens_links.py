"""Signed, purpose-scoped tokens and the absolute links other features put in their mails."""

from __future__ import annotations

import pytest

from crm.partners.models import Contact
from crm.signup import links
from crm.signup.tokens import TokenError, TokenExpired, TokenInvalid, make_token, read_token


def test_token_round_trip_and_purpose_scoping(app):
    token = make_token("unsubscribe", 42)
    assert read_token("unsubscribe", token) == 42
    with pytest.raises(TokenInvalid):
        read_token("preferences", token)
    with pytest.raises(TokenInvalid):
        read_token("unsubscribe", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(TokenExpired):
        read_token("unsubscribe", token, max_age=-1)
    assert issubclass(TokenExpired, TokenError) and issubclass(TokenInvalid, TokenError)


def test_token_signed_with_another_key_is_refused(make_app):
    other = make_app(SECRET_KEY="another-secret")
    with other.app_context():
        foreign = make_token("confirm", 1)
    app = make_app()
    with app.app_context(), pytest.raises(TokenInvalid):
        read_token("confirm", foreign)


def test_links_are_absolute_from_base_url_and_headers_follow_rfc_8058(make_app):
    app = make_app(BASE_URL="https://ti.example.org/")
    with app.app_context():
        contact = Contact(id=7, email="a@example.org")
        assert links.preferences_url(contact).startswith("https://ti.example.org/preferences/")
        unsubscribe = links.unsubscribe_url(contact)
        assert unsubscribe.startswith("https://ti.example.org/desinscription/")
        assert read_token("unsubscribe", unsubscribe.rsplit("/", 1)[1]) == 7
        assert links.list_unsubscribe_headers(contact) == {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
