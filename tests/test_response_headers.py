"""Back-office pages and downloads are never stored by a browser or a proxy; previews and the outbox viewer load no
remote image."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm.extensions import db


# --- Caching ---------------------------------------------------------------------------------------


def test_back_office_pages_and_exports_are_never_stored(client: FlaskClient, login: Any) -> None:
    from tests.privacy import people

    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "")
    db.session.commit()
    login("admin")
    private = ["/admin/", "/admin/contacts/", f"/admin/contacts/{person.id}", "/mon-compte",
               "/admin/contacts/export.csv", "/admin/structures/export.csv",
               f"/admin/rgpd/contacts/{person.id}/export.json", "/admin/boite-d-envoi/",
               "/admin/contacts/999999"]
    for url in private:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert response.headers.get("Cache-Control") == "no-store", url
    assert "attachment" in client.get("/admin/contacts/export.csv").headers["Content-Disposition"]
    # The other side: public pages may be kept (nothing personal on them).
    for url in ("/inscription", "/lettres/", "/static/app.css", "/connexion"):
        assert "no-store" not in (client.get(url).headers.get("Cache-Control") or ""), url


def test_a_download_is_never_stored_wherever_it_lives(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    @app.route("/telechargement-public")
    def download() -> Any:
        return "a;b\n", 200, {"Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="x.csv"'}

    with app.app_context():
        assert app.test_client().get("/telechargement-public").headers.get("Cache-Control") == "no-store"


def test_an_anonymous_request_to_the_back_office_is_not_stored_either(client: FlaskClient) -> None:
    response = client.get("/admin/contacts/")
    assert response.status_code == 302 and response.headers.get("Cache-Control") == "no-store"


# --- No remote image in previews and in the outbox ------------------------------------------------


def _img_src(policy: str) -> str:
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("img-src"))


def test_previews_and_the_outbox_frame_load_no_remote_image(client: FlaskClient, login: Any) -> None:
    from crm.mail.rendering import compose
    from crm.mail.transport import send_now
    from tests.factories import campaign

    letter = campaign(body="Bonjour,\n\n![logo](https://pisteur.example.org/logo.png)", schedule=False)
    send_now(compose("elodie@example.org", "Avec image", "texte",
                     '<p><img src="https://pisteur.example.org/pixel.gif" alt=""></p>'))
    login("admin")
    preview = client.get(f"/admin/lettres/{letter.id}/apercu.html")
    page = client.get("/admin/boite-d-envoi/").get_data(as_text=True)
    key = page.split("/admin/boite-d-envoi/")[2].split('"')[0]
    frame = client.get(f"/admin/boite-d-envoi/{key}/html")
    # A letter's preview shows the letter's own uploaded images (this site's), the outbox nothing but data:.
    for response, allowed in ((preview, "img-src 'self' data:"), (frame, "img-src data:")):
        assert response.status_code == 200
        img_src = _img_src(response.headers["Content-Security-Policy"])
        assert img_src == allowed, img_src
        assert "https:" not in img_src and "http:" not in img_src and "*" not in img_src
        assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/inscription", "/connexion"])
def test_the_site_pages_keep_their_own_policy(client: FlaskClient, url: str) -> None:
    assert _img_src(client.get(url).headers["Content-Security-Policy"]) == "img-src 'self' data:"
