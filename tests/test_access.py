"""Every back-office URL needs a login; a viewer may read but never write."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

PUBLIC_PREFIXES = ("/static", "/connexion", "/langue")


def admin_urls(app: Flask, methods: set[str]) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or not (rule.methods or set()) & methods:
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        url = re.sub(r"<any\(([a-z]+),[^)]*\):[a-z_]+>", r"\1", url)
        url = re.sub(r"<[^>]+>", "x", url)
        urls.append(url)
    return sorted(set(urls))


def test_every_admin_url_redirects_to_login_when_logged_out(app: Flask) -> None:
    client = app.test_client()
    urls = admin_urls(app, {"GET"})
    assert len(urls) > 10
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/connexion"), url


def test_posts_logged_out_redirect_to_login_and_write_nothing(app: Flask) -> None:
    client = app.test_client()
    for url in admin_urls(app, {"POST"}):
        response = client.post(url, data={"name": "X"})
        assert response.status_code == 302, url
        assert response.location.startswith("/connexion"), url


def test_viewer_reads_but_gets_403_on_every_write(app: Flask, client, login) -> None:
    login("viewer")
    assert client.get("/admin/contacts/").status_code == 200
    assert client.get("/admin/structures/").status_code == 200
    post_urls = admin_urls(app, {"POST"})
    assert len(post_urls) > 5
    for url in post_urls:
        assert client.post(url, data={"name": "X"}).status_code == 403, url


def test_editor_cannot_manage_users(client, login) -> None:
    login("editor")
    assert client.get("/admin/utilisateurs/").status_code == 403
    assert client.post("/admin/utilisateurs/nouveau", data={}).status_code == 403


@pytest.mark.parametrize("path", ["/admin/", "/admin/contacts/"])
def test_security_headers(client, login, path: str) -> None:
    login()
    response = client.get(path)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _rules(app: Flask, method: str) -> list[tuple[str, str]]:
    """(endpoint, url) for every back-office route answering ``method``, sample values in its path."""
    found = []
    for rule in app.url_map.iter_rules():
        if method not in (rule.methods or set()) or not rule.rule.startswith(("/admin", "/mon-compte")):
            continue
        found.append((rule.endpoint, _sample_url(rule.rule)))
    return sorted(set(found))


def _sample_url(rule: str) -> str:
    """A URL the rule matches: 1 for an id, the last choice of a list ("effacer"), "x" for text."""
    url = re.sub(r"<int:[a-z_]+>", "1", rule)
    url = re.sub(r"<any\(([a-z, ]+)\):[a-z_]+>", lambda choices: choices.group(1).split(",")[-1].strip(), url)
    return re.sub(r"<[^>]+>", "x", url)


def _route_map() -> Flask:
    from crm import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


# What only an admin may do: accounts, erasing a person (by hand or after the retention review).
ADMIN_ONLY = {"auth.users.list_users", "accessibility_admin.edit", "auth.users.create_user", "auth.users.edit_user", "privacy.erase",
              "privacy.decide"}
ROUTES = [(method, endpoint, url) for method in ("GET", "POST") for endpoint, url in _rules(_route_map(), method)]


@pytest.mark.parametrize(("method", "endpoint", "url"), ROUTES, ids=[f"{m} {e}" for m, e, _ in ROUTES])
def test_the_editor_admin_split_on_every_back_office_route(client, make_user, method: str, endpoint: str,
                                                           url: str) -> None:
    from tests.fixtures import PASSWORD

    if endpoint == "privacy.decide":  # the decision is checked on a real review: erasing is an admin's
        from crm.extensions import db
        from crm.privacy.models import RetentionReview
        from tests import factories

        person = factories.contact("prospect.revu@example.org", "Pro", "Spect")
        review = RetentionReview(contact_id=person.id, status="pending", last_initiative_at=person.created_at,
                                 purge_after=person.created_at)
        db.session.add(review)
        db.session.commit()
        url = url.replace("/1/", f"/{review.id}/")
    for role in ("editor", "admin"):
        user = make_user(role, email=f"{role}.split@example.org")
        client.post("/connexion", data={"email": user.email, "password": PASSWORD})
        answer = client.open(url, method=method, data={} if method == "POST" else None).status_code
        if role == "editor":
            assert (answer == 403) is (endpoint in ADMIN_ONLY), (role, answer)
        else:
            assert answer != 403, (role, answer)
        client.post("/deconnexion")


def test_every_form_post_needs_a_csrf_token(client, login, monkeypatch) -> None:
    """CSRF is on for every POST of the application (tests included): a blueprint or a view exempted by mistake
    fails this. Only the RFC 8058 one-click unsubscribe takes a bare POST, by design."""
    from flask import request
    from flask_wtf.csrf import CSRFError

    from crm.extensions import csrf

    login("admin")
    refused: set[str] = set()  # the POST endpoints whose request the CSRF check refused
    checking = csrf.protect

    def protect(**options: Any) -> None:
        try:
            checking(**options)
        except CSRFError:
            refused.add(request.endpoint or "")
            raise

    monkeypatch.setattr(csrf, "protect", protect)
    exempt = {"signup.unsubscribe"}
    posts = [rule for rule in client.application.url_map.iter_rules() if "POST" in (rule.methods or set())]
    for rule in posts:
        client.post(_sample_url(rule.rule), data={"x": "1"}, csrf=False)
    assert len(posts) > 40
    assert refused == {rule.endpoint for rule in posts} - exempt


# Public routes outside /admin that answer without a login, and the methods they take.
PUBLIC_ROUTES = {"campaigns.links.follow": {"GET", "HEAD", "OPTIONS"}}


def test_public_routes_outside_the_back_office(app: Flask) -> None:
    """The click counter of letters is public (a recipient clicks from a mail) and only reads: no POST."""
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for endpoint, methods in PUBLIC_ROUTES.items():
        assert set(rules[endpoint].methods or ()) == methods, endpoint
        assert not rules[endpoint].rule.startswith("/admin")
    answer = app.test_client().get("/l/1/1")
    assert answer.status_code == 404  # no such link: refused, not a login page
