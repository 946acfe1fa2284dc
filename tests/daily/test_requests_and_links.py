"""The requests inbox after an erasure, the unsubscribe page's way back, and what a broken link offers."""

from __future__ import annotations

import html

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Contact
from crm.privacy.erasure import erase_contact
from crm.security import make_token
from crm.signup import links
from crm.signup.models import SignupRequest
from tests.signup.helpers import form_data, link_in, path_of, text_of


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _confirmed(client, outbox, email: str, requests: list[str]) -> Contact:
    assert client.post("/inscription", data=form_data(email=email, requests=requests)).status_code == 303
    assert client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/"))).status_code == 200
    return db.session.scalar(sa.select(Contact).where(Contact.email == email))


def test_an_erased_persons_requests_close_and_leave_the_inbox(client, outbox, login) -> None:
    erased = _confirmed(client, outbox, "eric.efface@example.org", ["join", "project"])
    kept = _confirmed(client, outbox, "karine.garde@example.org", ["join"])
    login("editor")
    before = _page(client.get("/admin/demandes/"))
    assert "eric.efface@example.org" in before and "karine.garde@example.org" in before
    erase_contact(erased)
    db.session.commit()
    open_page = _page(client.get("/admin/demandes/"))
    assert "karine.garde@example.org" in open_page  # the other person's request stays to act on
    assert "Personne effacée" not in open_page and "None" not in open_page
    every = _page(client.get("/admin/demandes/?filtre=all"))
    assert "Close : personne effacée" in every and "None" not in every
    statuses = db.session.scalars(sa.select(SignupRequest.status).where(SignupRequest.contact_id == erased.id))
    assert set(statuses) == {"erased"}
    assert set(db.session.scalars(sa.select(SignupRequest.status).where(SignupRequest.contact_id == kept.id))) == {"open"}


def test_the_unsubscribe_confirmation_links_to_the_signup_form(app, client) -> None:
    person = Contact(email="ines.depart@example.org", first_name="Inès", last_name="Départ")
    db.session.add(person)
    db.session.commit()
    with app.test_request_context():
        url = links.unsubscribe_url(person)
    page = _page(client.post(path_of(url), data={}))
    assert "Vous êtes désinscrit" in page
    assert 'href="/inscription"' in page


def test_a_broken_unsubscribe_link_offers_a_preference_link_by_mail(app, client, outbox) -> None:
    person = Contact(email="ines.depart@example.org", first_name="Inès", last_name="Départ")
    db.session.add(person)
    db.session.commit()
    for path in ("/desinscription/abimé", "/preferences/abimé"):
        page = _page(client.get(path))
        assert "Recevoir un lien pour gérer mon abonnement" in page, path
        assert "nouveau lien de confirmation" not in page, path
    with app.test_request_context():
        wrong_purpose = make_token("confirm", [person.id, person.link_secret])
    assert "gérer mon abonnement" in _page(client.get(f"/desinscription/{wrong_purpose}"))
    # A broken confirmation link still offers a new confirmation link.
    assert "Recevoir un nouveau lien de confirmation" in _page(client.get("/inscription/confirmer/abimé"))
    form = _page(client.get("/abonnement/recevoir-un-lien"))
    assert "Adresse e-mail" in form
    sent = len(outbox)
    response = client.post("/abonnement/recevoir-un-lien", data={"email": "ines.depart@example.org"})
    assert response.status_code == 303
    assert len(outbox) == sent + 1
    link = link_in(outbox[-1], "/preferences/")
    assert "Gérer votre abonnement" in outbox[-1].subject
    assert client.get(path_of(link)).status_code == 200
    # An unknown address: the same answer, no mail (nothing to learn about who is registered).
    response = client.post("/abonnement/recevoir-un-lien", data={"email": "inconnu@example.org"})
    assert response.status_code == 303 and len(outbox) == sent + 1
    assert "Si cette adresse est connue" in _page(client.get(response.location))
    # A malformed address: a French message, nothing sent.
    bad = client.post("/abonnement/recevoir-un-lien", data={"email": ""})
    assert bad.status_code == 400 and "obligatoire" in _page(bad) and len(outbox) == sent + 1
    assert text_of(outbox[-1])
