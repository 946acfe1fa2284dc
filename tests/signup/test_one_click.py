"""RFC 8058 one-click unsubscribe over real HTTP: a bare POST, no cookie, no CSRF token, 200, no redirect."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from crm.consent.models import ConsentRecord, OptInStatus, Subscription
from crm.consent.services import is_suppressed
from crm.extensions import db
from crm.partners.models import Contact
from crm.signup import links
from tests.fixtures import LiveServer
from tests.signup.helpers import form_data


@pytest.fixture
def csrf_server(make_app):
    """A live server with CSRF protection on, as in production."""
    app = make_app(WTF_CSRF_ENABLED=True)
    server = LiveServer(app)
    server.start()
    with app.app_context():
        yield app, server
    server.stop()


def _contact(app) -> Contact:
    from crm.signup.services import SignupInput, submit

    submit(SignupInput(**{k: v for k, v in form_data().items() if k not in {"consent", "site_web"}},
                       consent=True))
    db.session.commit()
    return db.session.scalar(sa.select(Contact))


def _request(server: LiveServer, method: str, url: str, body: str | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    connection.request(method, parts.path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_one_click_post_without_cookie_or_csrf_unsubscribes_at_once(csrf_server):
    app, server = csrf_server
    contact = _contact(app)
    url = links.unsubscribe_url(contact)
    assert url.startswith(server.url)

    looked = _request(server, "GET", url)
    assert looked.status == 200
    db.session.expire_all()
    assert db.session.get(Subscription, contact.id).status == OptInStatus.PENDING.value

    response = _request(server, "POST", url, body="List-Unsubscribe=One-Click")
    assert response.status == 200
    assert response.getheader("Location") is None
    db.session.expire_all()
    assert db.session.get(Subscription, contact.id).status == OptInStatus.UNSUBSCRIBED.value
    assert is_suppressed(contact.email)
    record = db.session.scalars(sa.select(ConsentRecord).where(ConsentRecord.action == "unsubscribe")).one()
    assert record.source == "one_click"


def test_one_click_with_a_forged_token_is_a_4xx_and_changes_nothing(csrf_server):
    app, server = csrf_server
    contact = _contact(app)
    url = links.unsubscribe_url(contact)
    response = _request(server, "POST", url[:-4] + "AAAA", body="List-Unsubscribe=One-Click")
    assert response.status == 400 and response.getheader("Location") is None
    db.session.expire_all()
    assert db.session.get(Subscription, contact.id).status == OptInStatus.PENDING.value


def test_other_signup_forms_still_need_the_csrf_token(csrf_server):
    app, server = csrf_server
    response = _request(server, "POST", f"{server.url}/inscription", body="email=a%40example.org&consent=y")
    assert response.status == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
