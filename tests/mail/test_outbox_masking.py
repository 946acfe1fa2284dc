"""The outbox shows the links that act for a person (confirm, preferences, unsubscribe, kit, RSVP, new password)
to admins only: an editor or a viewer reads every message with them masked, and the page says so."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.consent.models import OptInStatus, Subscription
from crm.extensions import db
from crm.mail.outbox import MASK, looks_like_token
from crm.mail.rendering import compose
from crm.mail.transport import send_now
from crm.partners.models import Contact
from tests.signup.helpers import form_data

NOTICE = "sont masqués : seuls les administrateurs peuvent les voir"
FOREIGN_TOKEN = "https://partenaire.example.org/acces/Xk3fP9qLm2ZtR8vWb4Nc/"
# A route's <token> is masked whatever it looks like: the URL map says which segment acts for someone.
ODD_TOKEN = "http://localhost/preferences/jetoncourt"
PLAIN_LINKS = ["https://www.example.org/lettres/12", "https://www.territoires-industrie.fr/programme-2025"]


def _personal_links() -> dict[str, str]:
    """Every kind of link that acts for someone, made by the application's own functions."""
    from crm.auth.services import create_user
    from crm.auth.tokens import reset_url
    from crm.events.models import Invitation
    from crm.events.tokens import rsvp_url
    from crm.signup import links
    from tests.privacy import people

    event_id = people.make_event("Comité de test", days=10)
    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "", events=[event_id])
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.contact_id == person.id))
    user = create_user("oubli@example.org", "correct horse battery", "viewer")
    db.session.commit()
    return {"confirm": links.confirm_url(person), "preferences": links.preferences_url(person),
            "unsubscribe": links.unsubscribe_url(person), "kit": links.kit_url(person),
            "rsvp": rsvp_url(invitation), "reset": reset_url(user)}


def _send(personal: dict[str, str]) -> None:
    others = [FOREIGN_TOKEN, ODD_TOKEN, *PLAIN_LINKS]
    text = "\n".join([*(f"{name} : {url}" for name, url in personal.items()), *others])
    markup = "".join(f'<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>'
                     for url in [*personal.values(), *others])
    send_now(compose("camille.exemple@example.org", "Vos liens", text, markup,
                     extra_headers={"List-Unsubscribe": f"<{personal['unsubscribe']}>"}))


def _key(client: FlaskClient, subject: str) -> str:
    page = client.get("/admin/boite-d-envoi/").get_data(as_text=True)
    match = re.search(r'href="/admin/boite-d-envoi/([^"/]+)">' + re.escape(subject), page)
    assert match, page
    return match.group(1)


def _views(client: FlaskClient, key: str) -> dict[str, str]:
    return {"page": html.unescape(client.get(f"/admin/boite-d-envoi/{key}").get_data(as_text=True)),
            "frame": html.unescape(client.get(f"/admin/boite-d-envoi/{key}/html").get_data(as_text=True)),
            "list": html.unescape(client.get("/admin/boite-d-envoi/").get_data(as_text=True))}


def _tokens(personal: dict[str, str]) -> dict[str, str]:
    return {name: url.rstrip("/").rsplit("/", 1)[1] for name, url in personal.items()}


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_editors_and_viewers_read_the_outbox_with_personal_links_masked(client: FlaskClient, login: Any,
                                                                         role: str) -> None:
    personal = _personal_links()
    _send(personal)
    login(role)
    views = _views(client, _key(client, "Vos liens"))
    for where in ("page", "frame"):
        for name, token in _tokens(personal).items():
            assert token not in views[where], (where, name)
        assert "Xk3fP9qLm2ZtR8vWb4Nc" not in views[where]  # a token-like segment on another site too
        assert "jetoncourt" not in views[where] and "/preferences/[masqué]" in views[where]
        assert MASK in views[where]
        for url in PLAIN_LINKS:  # links that act for no one stay as they are
            assert url in views[where]
    assert "List-Unsubscribe: <http://localhost/desinscription/[masqué]>" in views["page"]
    assert "/inscription/confirmer/[masqué]" in views["page"] and "/mot-de-passe/nouveau/[masqué]" in views["page"]
    assert NOTICE in views["page"] and NOTICE in views["list"]


def test_admins_read_the_outbox_with_every_link(client: FlaskClient, login: Any) -> None:
    personal = _personal_links()
    _send(personal)
    login("admin")
    views = _views(client, _key(client, "Vos liens"))
    for where in ("page", "frame"):
        for name, url in personal.items():
            assert url in views[where], (where, name)
        assert FOREIGN_TOKEN in views[where] and ODD_TOKEN in views[where]
        assert MASK not in views[where]
    assert NOTICE not in views["page"] and NOTICE not in views["list"]


def test_a_viewer_cannot_confirm_someone_else_s_signup_from_the_outbox(client: FlaskClient, login: Any) -> None:
    """The real path: a public signup's confirmation mail, read in the outbox by a viewer."""
    assert client.post("/inscription", data=form_data()).status_code == 303
    login("viewer")
    views = _views(client, _key(client, "Confirmez votre inscription"))
    assert "/inscription/confirmer/[masqué]" in views["page"]
    assert not re.search(r"/inscription/confirmer/(?!\[masqué\])", views["page"] + views["frame"])
    assert client.post("/inscription/confirmer/[masqué]").status_code in {400, 404}
    status = db.session.scalar(sa.select(Subscription.status).join(Contact).where(
        Contact.email == form_data()["email"]))
    assert status == OptInStatus.PENDING.value


def test_what_looks_like_a_token() -> None:
    signed = "WzEsImFiYyJd.Z0x1Ag.q0T3kT0m1eJ8b2U6n7sVtK9cR4Y"
    assert looks_like_token(signed) and looks_like_token("Xk3fP9qLm2ZtR8vWb4Nc")
    for word in ("programme-2025", "lettre-d-information", "comite-technique-semestriel", "12345678901234567890",
                 "boite-d-envoi", "Territoires"):
        assert not looks_like_token(word), word
