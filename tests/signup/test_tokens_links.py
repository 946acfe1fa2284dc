"""Signed, purpose-scoped tokens (crm.security) and the person-bound links other features put in their mails."""

from __future__ import annotations

import pytest

from crm.extensions import db
from crm.security import TokenError, TokenExpired, TokenInvalid, make_token, read_token
from crm.partners.models import Contact
from crm.signup import links


def test_token_round_trip_and_purpose_scoping(app):
    token = make_token("unsubscribe", 42)
    assert read_token("unsubscribe", token) == 42
    with pytest.raises(TokenInvalid):
        read_token("preferences", token)
    with pytest.raises(TokenInvalid):
        read_token("unsubscribe", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(TokenExpired):
        read_token("unsubscribe", token, max_age=-1)
    with pytest.raises(TokenInvalid):
        read_token("unsubscribe", "x" * 5000)  # an over-long token is refused before any work
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
        contact = Contact(id=7, email="a@example.org", link_secret="s3cret")
        assert links.preferences_url(contact).startswith("https://ti.example.org/preferences/")
        unsubscribe = links.unsubscribe_url(contact)
        assert unsubscribe.startswith("https://ti.example.org/desinscription/")
        assert read_token("unsubscribe", unsubscribe.rsplit("/", 1)[1]) == [7, "s3cret"]
        assert links.list_unsubscribe_headers(contact) == {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def test_a_link_acts_only_on_the_person_it_was_made_for(app):
    contact = Contact(email="a@example.org", last_name="A")
    db.session.add(contact)
    db.session.commit()
    token = links.unsubscribe_url(contact).rsplit("/", 1)[1]
    assert links.read_person("unsubscribe", token)[0] is contact
    contact.link_secret = "rotated"  # e.g. erased, or the id now names someone else
    db.session.commit()
    with pytest.raises(TokenInvalid):
        links.read_person("unsubscribe", token)
    with pytest.raises(TokenInvalid):  # the id alone, signed as before, no longer opens anything
        links.read_person("unsubscribe", make_token("unsubscribe", contact.id))


def test_a_token_is_the_one_itsdangerous_would_make(app, monkeypatch):
    """The fast signer writes, byte for byte, what URLSafeTimedSerializer.dumps writes for the same second."""
    from itsdangerous import URLSafeTimedSerializer, TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_790_000_000)
    reference = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="crm.preferences")
    for value in ([7, "aB3_-x"], {"lettre": "Zoé « é » €"}, "x" * 200):
        assert make_token("preferences", value) == reference.dumps(value)
