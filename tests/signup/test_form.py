"""The public form: a valid signup, one person one row, and every bad input writing nothing."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from crm.consent.models import ConsentRecord, OptInStatus, Subscription
from crm.extensions import db
from crm.mail.pipeline import send_due
from crm.partners.models import Contact, Organisation
from crm.signup.models import Signup, SignupChange
from crm.signup.wording import CONSENT_TEXT, CONSENT_VERSION
from tests.signup.helpers import counts, form_data, link_in

VALID_SIRET = "73282932000074"  # Luhn-valid, fictional use


def test_form_shows_unticked_consent_with_versioned_wording_and_a_honeypot(client):
    page = html.unescape(client.get("/inscription").get_data(as_text=True))
    assert 'type="checkbox" id="consent" name="consent" value="y">' in page  # not checked
    assert "checked" not in page.split('id="consent"')[1].split(">")[0]
    assert CONSENT_TEXT in page and CONSENT_VERSION in page
    assert 'name="site_web"' in page and 'tabindex="-1"' in page
    for label in ("Échanger sur un projet", "Devenir ambassadeur", "Recevoir le kit de communication"):
        assert label in page


def test_valid_signup_creates_contact_organisation_ledger_and_sends_confirmation(client, outbox):
    response = client.post("/inscription", data=form_data(siret=VALID_SIRET))
    assert response.status_code == 303 and response.headers["Location"].endswith("/inscription/merci")

    contact = db.session.scalar(sa.select(Contact))
    assert contact.email == "anne.martin@example.org"
    assert contact.organisation.name == "Plasturgie du Perche" and contact.organisation.siret == VALID_SIRET
    assert [s.code for s in contact.organisation.sectors] == ["plasturgie"]
    assert [a.code for a in contact.axes] == ["innovation"]
    assert db.session.get(Subscription, contact.id).status == OptInStatus.PENDING.value
    (entry,) = db.session.scalars(sa.select(ConsentRecord))
    assert (entry.action, entry.source, entry.wording_version, entry.wording) == (
        "subscribe", "form", CONSENT_VERSION, CONSENT_TEXT)
    signup = db.session.scalar(sa.select(Signup))
    assert sorted(r.kind for r in signup.requests) == ["newsletter", "project"]
    assert all(r.status == "waiting" for r in signup.requests)

    (message,) = outbox
    assert message.recipients == ["Anne Martin <anne.martin@example.org>"]
    assert "/inscription/confirmer/" in link_in(message, "/inscription/confirmer/")
    assert "Mission Développement Économique" in message.body  # sender's postal address in the footer
    assert 'style="' in message.html and "<style" not in message.html  # CSS inlined
    assert "Gérer mes préférences" in message.html and "/preferences/" in message.html
    assert "/preferences/" in message.body and "/desinscription/" in message.body
    assert entry.ip is None  # the IP is kept only where configured


def test_ip_is_recorded_in_the_ledger_where_configured(make_app):
    app = make_app(SIGNUP_RECORD_IP=True)
    with app.app_context():
        client = app.test_client()
        client.post("/inscription", data=form_data(), environ_base={"REMOTE_ADDR": "192.0.2.10"})
        assert db.session.scalar(sa.select(ConsentRecord.ip)) == "192.0.2.10"


def test_signing_up_twice_with_case_and_spaces_keeps_one_contact_with_both_requests(client, outbox):
    first = client.post("/inscription", data=form_data(requests=["newsletter"]))
    second = client.post("/inscription", data=form_data(
        email="  Anne.MARTIN@Example.ORG ", organisation_name="plasturgie du perche", requests=["ambassador"],
        phone="02 33 00 00 00"))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    (contact,) = db.session.scalars(sa.select(Contact)).all()
    assert contact.phone == ""  # the second signup proposes the phone; only an editor writes it
    assert [(c.field, c.proposed) for c in db.session.scalars(sa.select(SignupChange))] == [
        ("phone", "02 33 00 00 00")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    kinds = sorted(r.kind for s in db.session.scalars(sa.select(Signup)) for r in s.requests)
    assert kinds == ["ambassador", "newsletter"]
    actions = db.session.scalars(sa.select(ConsentRecord.action).where(ConsentRecord.contact_id == contact.id))
    assert list(actions) == ["subscribe", "subscribe"]


def test_same_page_whether_the_address_was_known_or_not(client, outbox):
    client.post("/inscription", data=form_data())
    known = client.post("/inscription", data=form_data(), follow_redirects=True)
    unknown = client.post("/inscription", data=form_data(email="inconnu@example.org"), follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    known_page, unknown_page = (token.sub("", r.get_data(as_text=True)) for r in (known, unknown))
    assert "Merci, votre demande est bien reçue" in known_page
    assert known_page == unknown_page


def test_organisation_matched_by_siret_then_by_name_and_postal_code(client, outbox):
    client.post("/inscription", data=form_data(siret=VALID_SIRET))
    client.post("/inscription", data=form_data(email="b@example.org", organisation_name="Autre nom",
                                               siret="732 829 320 00074"))
    client.post("/inscription", data=form_data(email="c@example.org", organisation_name="PLASTURGIE  du Perche"))
    client.post("/inscription", data=form_data(email="d@example.org", postal_code="72000"))
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.id)).all()
    assert [(o.name, o.postal_code) for o in organisations] == [
        ("Plasturgie du Perche", "61000"), ("Plasturgie du Perche", "72000")]
    assert len(organisations[0].contacts) == 3


BAD_INPUTS = [
    ({"consent": None}, "Cochez la case de consentement"),
    ({"email": "pas-une-adresse"}, "n'est pas valide"),
    ({"email": "anne@exa mple.org\r\nBcc: x@example.org"}, "n'est pas valide"),
    ({"siret": "12345678901234"}, "clé de contrôle incorrecte"),
    ({"siret": "1234"}, "exactement 14 chiffres"),
    ({"postal_code": "6100"}, "5 chiffres"),
    ({"requests": None}, "au moins une demande"),
    ({"first_name": "", "last_name": ""}, "Indiquez votre"),
    ({"site_web": "http://spam.example.org"}, "doit rester vide"),
]


def test_each_bad_input_gets_a_french_message_and_writes_nothing(make_app):
    app = make_app(SIGNUP_RATE_LIMIT="100 per minute")
    with app.app_context(), app.extensions["mail"].record_messages() as sent:
        client = app.test_client()
        before = counts()
        for overrides, message in BAD_INPUTS:
            response = client.post("/inscription", data=form_data(**overrides))
            assert response.status_code == 400, overrides
            assert message in html.unescape(response.get_data(as_text=True)), overrides
        assert counts() == before
        assert sent == []


def test_missing_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        response = app.test_client().post("/inscription", data=form_data(), csrf=False)
        assert response.status_code == 400
        assert "Le formulaire a expiré" in html.unescape(response.get_data(as_text=True))
        assert counts()["contacts"] == 0


def test_too_many_posts_from_one_address_get_429_in_french_and_write_nothing(make_app):
    app = make_app(SIGNUP_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        with app.extensions["mail"].record_messages() as sent:
            for n in range(2):
                assert client.post("/inscription", data=form_data(email=f"p{n}@example.org")).status_code == 303
            before = counts()
            response = client.post("/inscription", data=form_data(email="p9@example.org"))
        assert response.status_code == 429
        assert "Trop de demandes" in response.get_data(as_text=True)
        assert counts() == before and len(sent) == 2


def test_the_same_email_is_limited_even_from_several_ips(make_app):
    app = make_app(SIGNUP_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [client.post("/inscription", data=form_data(), environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
                 .status_code for n in range(3)]
        assert codes == [303, 303, 429]


def test_header_injection_through_the_name_cannot_add_a_bcc(smtp_app, smtp_sink):
    client = smtp_app.test_client()
    response = client.post("/inscription", data=form_data(
        first_name="Eve\r\nBcc: victim@example.org", last_name="Martin\nX-Evil: 1"))
    assert response.status_code == 303
    assert smtp_sink.messages() == []  # with a relay, no SMTP inside the request: the scheduler sends it
    assert send_due().sent == 1
    (message,) = smtp_sink.messages()
    assert smtp_sink.recipients() == ["anne.martin@example.org"]
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["anne.martin@example.org"]
    raw_headers = message.as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in raw_headers and "\nX-Evil:" not in raw_headers


def test_an_empty_post_lists_every_problem_at_once(client):
    response = client.post("/inscription", data={})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    for message in ("Indiquez le nom de votre structure.", "L'adresse e-mail est obligatoire.",
                    "Choisissez au moins une demande.", "Cochez la case de consentement"):
        assert message in page
    assert counts()["contacts"] == 0


def test_international_addresses_are_accepted_where_mail_can_carry_them(smtp_app, smtp_sink):
    """An accented domain travels in its ASCII form (IDNA); an address whose part before the @ is not ASCII is
    refused with a clear French message (most relays cannot carry it), never a 500."""
    client = smtp_app.test_client()
    accepted = client.post("/inscription", data=form_data(email="idn@bücher.example"))
    assert accepted.status_code == 303
    assert db.session.scalar(sa.select(Contact.email)) == "idn@xn--bcher-kva.example"
    assert send_due().sent == 1 and smtp_sink.recipients() == ["idn@xn--bcher-kva.example"]
    for address in ("josé@example.org", "用户@例子.广告"):
        refused = client.post("/inscription", data=form_data(email=address))
        assert refused.status_code == 400
        assert "caractères accentués ou non latins avant le @" in html.unescape(refused.get_data(as_text=True))
    assert counts()["contacts"] == 1
