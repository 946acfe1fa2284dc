"""Double opt-in, preferences, unsubscribe: a GET never changes anything, a POST acts, tokens are scoped."""

from __future__ import annotations

import html
import time
from datetime import timedelta

import sqlalchemy as sa
from itsdangerous.timed import TimestampSigner

from crm.consent import services as consent
from crm.consent.models import ConsentRecord, OptInStatus, Subscription, Suppression
from crm.extensions import db
from crm.partners.models import AmbassadorStatus, Contact, Note
from crm.signup import links
from crm.signup.models import Signup
from crm.security import make_token
from crm.signup.wording import CONSENT_VERSION
from tests.signup.helpers import counts, form_data, link_in, path_of


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _signup(client, outbox, **overrides) -> tuple[Contact, str]:
    assert client.post("/inscription", data=form_data(**overrides)).status_code == 303
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == form_data(**overrides)["email"]))
    return contact, path_of(link_in(outbox[-1], "/inscription/confirmer/"))


def _actions(contact: Contact) -> list[str]:
    db.session.expire_all()
    stmt = sa.select(ConsentRecord.action).where(ConsentRecord.contact_id == contact.id).order_by(ConsentRecord.id)
    return list(db.session.scalars(stmt))


def test_get_on_the_confirmation_link_changes_nothing_and_post_confirms(client, outbox):
    contact, confirm = _signup(client, outbox, requests=["newsletter", "project", "ambassador", "join"])
    before = counts()
    page = client.get(confirm)
    assert page.status_code == 200 and "Je confirme mon inscription" in _page(page)
    assert counts() == before and len(outbox) == 1

    done = client.post(confirm)
    assert done.status_code == 200 and "Votre inscription est confirmée" in _page(done)
    db.session.expire_all()
    assert db.session.get(Subscription, contact.id).status == OptInStatus.CONFIRMED.value
    assert consent.topic_codes(contact) == {"lettre", "evenements"}
    assert _actions(contact) == ["subscribe", "confirm"]
    confirm_record = db.session.scalars(sa.select(ConsentRecord).where(ConsentRecord.action == "confirm")).one()
    assert confirm_record.source == "email_link" and confirm_record.wording_version == CONSENT_VERSION
    # The requests took effect: a task on the timeline, an ambassador candidate.
    task = db.session.scalar(sa.select(Note).where(Note.contact_id == contact.id))
    assert task.kind == "task" and task.done_at is None and "projet" in task.body
    assert db.session.get(Contact, contact.id).ambassador_status == AmbassadorStatus.CANDIDATE.value
    # A welcome mail with the subscriber's links and the RFC 8058 headers.
    welcome = outbox[-1]
    assert "confirmée" in welcome.subject
    headers = dict(welcome.extra_headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://localhost/desinscription/")
    assert "/preferences/" in link_in(welcome, "/preferences/")


def test_replayed_and_forged_confirmation_links_get_a_french_page_and_write_nothing(client, outbox):
    contact, confirm = _signup(client, outbox)
    assert client.post(confirm).status_code == 200
    before = counts()
    replay = client.post(confirm)
    assert replay.status_code == 400 and "Ce lien a déjà servi" in _page(replay)
    forged = client.post(confirm[:-3] + "abc")
    assert forged.status_code == 400 and "Ce lien n'est pas valide" in _page(forged)
    wrong_purpose = client.post(f"/inscription/confirmer/{make_token('unsubscribe', [contact.id, contact.link_secret])}")
    assert wrong_purpose.status_code == 400
    assert counts() == before
    assert _actions(contact) == ["subscribe", "confirm"]


def test_an_old_confirmation_link_does_not_confirm_a_later_signup(client, outbox, monkeypatch):
    # The first link is made a minute in the past; the later signup is made now.
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 60)
    contact, first_link = _signup(client, outbox)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    first = db.session.scalar(sa.select(Signup))
    first.created_at -= timedelta(seconds=90)
    db.session.commit()
    client.post("/inscription", data=form_data(requests=["kit"]))
    # Only the first signup is older than that link: it confirms that one, not the later one.
    assert client.post(first_link).status_code == 200
    db.session.expire_all()
    signups = db.session.scalars(sa.select(Signup).order_by(Signup.id)).all()
    assert [s.confirmed_at is not None for s in signups] == [True, False]
    assert client.post(first_link).status_code == 400
    assert client.post(path_of(link_in(outbox[1], "/inscription/confirmer/"))).status_code == 200


def test_expired_link_offers_a_new_mail_and_resend_is_silent_about_unknown_addresses(make_app):
    app = make_app(SIGNUP_CONFIRM_MAX_AGE_DAYS=-1)
    with app.app_context(), app.extensions["mail"].record_messages() as sent:
        client = app.test_client()
        contact, confirm = _signup(client, sent)
        expired = client.post(confirm)
        assert expired.status_code == 400 and "Ce lien a expiré" in _page(expired)
        assert "/inscription/nouveau-lien" in _page(expired)
        assert _actions(contact) == ["subscribe"]
        known = client.post("/inscription/nouveau-lien", data={"email": " ANNE.martin@example.org"})
        unknown = client.post("/inscription/nouveau-lien", data={"email": "personne@example.org"})
        assert known.status_code == unknown.status_code == 303
        assert known.headers["Location"] == unknown.headers["Location"]
        assert len(sent) == 2 and sent[-1].recipients == ["Anne Martin <anne.martin@example.org>"]


def test_unsubscribe_get_changes_nothing_post_unsubscribes_and_suppresses(client, outbox):
    contact, confirm = _signup(client, outbox)
    client.post(confirm)
    url = path_of(links.unsubscribe_url(contact))
    before = counts()
    page = client.get(url)
    assert page.status_code == 200 and "Confirmer ma désinscription" in _page(page)
    assert counts() == before

    done = client.post(url)
    assert done.status_code == 200 and "Vous êtes désinscrit" in _page(done)
    db.session.expire_all()
    assert db.session.get(Subscription, contact.id).status == OptInStatus.UNSUBSCRIBED.value
    assert consent.is_suppressed(contact.email) and consent.topic_codes(contact) == set()
    assert db.session.scalar(sa.select(Suppression.reason)) == "unsubscribe"
    again = counts()
    assert client.post(url).status_code == 200
    assert counts() == again  # a second click writes nothing more


def test_a_new_confirmed_signup_lifts_only_an_unsubscribe_suppression(client, outbox):
    contact, confirm = _signup(client, outbox)
    client.post(confirm)
    client.post(path_of(links.unsubscribe_url(contact)))
    _, second = _signup(client, outbox)
    assert consent.is_suppressed(contact.email)  # still suppressed until confirmed
    client.post(second)
    db.session.expire_all()
    assert not consent.is_suppressed(contact.email)
    assert db.session.get(Subscription, contact.id).status == OptInStatus.CONFIRMED.value
    assert _actions(contact) == ["subscribe", "confirm", "unsubscribe", "subscribe", "confirm"]


def test_preferences_page_changes_topics_on_post_only(client, outbox):
    contact, confirm = _signup(client, outbox)
    client.post(confirm)
    url = path_of(links.preferences_url(contact))
    before = counts()
    page = client.get(url)
    assert page.status_code == 200 and "Mes préférences d'envoi" in _page(page)
    assert counts() == before
    saved = client.post(url, data={"topics": ["club", "evenements"]})
    assert saved.status_code == 303
    db.session.expire_all()
    assert consent.topic_codes(contact) == {"club", "evenements"}
    assert _actions(contact)[-1] == "preferences"
    assert client.get(url.replace("/preferences/", "/preferences/x")).status_code == 400


def test_preferences_token_cannot_unsubscribe_and_kit_token_cannot_open_preferences(client, outbox):
    contact, _ = _signup(client, outbox)
    assert client.post(f"/desinscription/{make_token('preferences', [contact.id, contact.link_secret])}").status_code == 400
    assert client.get(f"/preferences/{make_token('kit', [contact.id, contact.link_secret])}").status_code == 400
    assert db.session.get(Subscription, contact.id).status == OptInStatus.PENDING.value
