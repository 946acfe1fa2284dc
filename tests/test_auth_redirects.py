"""Where the login sends you: only to a path on this site, whatever ``next`` holds."""

from __future__ import annotations

import pytest

from crm.auth.redirects import safe_next
from tests.fixtures import PASSWORD

DASHBOARD = "/admin/"

# What a browser would follow off the site once it drops tabs and line breaks and reads "\" as "/".
OFF_SITE = [
    "/%09/evil.example/x",
    "/%0d%0a/evil.example/x",
    "/%0A/evil.example",
    "%09//evil.example",
    "//evil.example/x",
    "/\\/evil.example",
    "\\\\evil.example",
    "https://evil.example/admin/",
    "http:/evil.example",
    "javascript:alert(1)",
    "http://[evil",
    "admin/contacts/",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_off_the_site_goes_to_the_dashboard(client, make_user, target: str) -> None:
    make_user("viewer")
    response = client.post(f"/connexion?next={target}", data={"email": "viewer@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == DASHBOARD


def test_next_holding_a_nul_byte_is_refused_before_any_redirect(client, make_user) -> None:
    """The app-wide guard (crm.security) refuses any query value with a NUL byte: a 400 in French, no redirect."""
    make_user("viewer")
    response = client.post("/connexion?next=/%00/evil.example",
                           data={"email": "viewer@example.org", "password": PASSWORD})
    assert response.status_code == 400 and response.location is None
    assert "caractère nul" in response.get_data(as_text=True)
    assert safe_next("/\x00/evil.example", DASHBOARD) == DASHBOARD  # and safe_next alone would not follow it


@pytest.mark.parametrize("target, expected", [
    ("/admin/contacts/", "/admin/contacts/"),
    ("/admin/contacts/?page=2%26club=yes", "/admin/contacts/?page=2&club=yes"),
    ("/admin/structures/3", "/admin/structures/3"),
    ("/%5C%5Cevil.example", "/evil.example"),  # a browser reads "/\\" as "//": the backslashes go
])
def test_next_on_the_site_is_followed(client, make_user, target: str, expected: str) -> None:
    make_user("viewer")
    response = client.post(f"/connexion?next={target}", data={"email": "viewer@example.org", "password": PASSWORD})
    assert response.location == expected


def test_safe_next_normalises_before_it_judges() -> None:
    assert safe_next("/\t/evil.example/x", "/home") == "/home"
    assert safe_next("/\r\n/evil.example", "/home") == "/home"
    assert safe_next("/\\\\evil.example", "/home") == "/evil.example"  # a path here once the backslashes go
    assert safe_next("/admin/\tcontacts/", "/home") == "/admin/contacts/"
    assert safe_next(None, "/home") == "/home"
