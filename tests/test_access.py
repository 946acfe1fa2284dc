"""Every back-office URL needs a login; a viewer may read but never write."""

from __future__ import annotations

import re

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
