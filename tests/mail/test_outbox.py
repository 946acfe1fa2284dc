from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from crm.extensions import db
from crm.mail import outgoing
from crm.mail.headers import clean_header
from crm.mail.rendering import compose
from crm.mail.transport import send_now
from crm.partners import services
from crm.partners.services import ContactInput


def test_header_values_lose_cr_and_lf() -> None:
    assert clean_header("Bonjour\r\nBcc: victim@example.org") == "Bonjour Bcc: victim@example.org"


def test_a_bcc_cannot_be_injected_through_a_subject_or_extra_header(app, tmp_path) -> None:
    message = compose("a@example.org", "Objet\r\nBcc: intrus@example.org", "texte", None,
                      extra_headers={"X-Campagne": "1\nBcc: intrus@example.org"})
    raw = message.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert "intrus@example.org" not in (parsed["To"] or "")
    assert b"\r\nBcc:" not in raw


def test_messages_go_to_the_maildir_outbox_and_show_in_the_back_office(client, login) -> None:
    login("viewer")
    html = "<p>Bonjour <strong>Élodie</strong></p>"
    send_now(compose("elodie@example.org", "Lettre d'information n°1", "Bonjour Élodie", html))
    send_now(compose("claude@example.org", "Invitation au comité technique", "Bonjour Claude", None))
    page = client.get("/admin/boite-d-envoi/").get_data(as_text=True)
    assert page.index("Invitation au comité technique") < page.index("Lettre d&#39;information n°1")
    key = page.split('/admin/boite-d-envoi/')[2].split('"')[0]
    detail = client.get(f"/admin/boite-d-envoi/{key}").get_data(as_text=True)
    assert "claude@example.org" in detail and "Bonjour Claude" in detail


def test_html_part_is_served_in_a_sandboxed_frame(client, login, app) -> None:
    login("viewer")
    send_now(compose("elodie@example.org", "Avec HTML", "texte", "<p style='color:red'>Bonjour</p>"))
    page = client.get("/admin/boite-d-envoi/").get_data(as_text=True)
    key = page.split('/admin/boite-d-envoi/')[2].split('"')[0]
    response = client.get(f"/admin/boite-d-envoi/{key}/html")
    assert "Bonjour" in response.get_data(as_text=True)
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get("/admin/boite-d-envoi/..%2Fetc/html").status_code == 404


def test_every_message_line_ends_with_crlf_and_stays_short(app) -> None:
    message = compose("a@example.org", "Lignes", "x" * 3000, "<p>" + "y" * 5000 + "</p>")
    raw = message.as_bytes()
    lines = raw.split(b"\r\n")
    assert all(b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 998


def test_mail_queued_in_a_request_leaves_only_after_commit(app, outbox) -> None:
    contact = services.save_contact(ContactInput(email="a@example.org", last_name="Exemple"))
    outgoing.send_after_commit(compose(contact.email, "Après commit", "texte", None))
    assert outbox == []
    db.session.commit()
    assert [m.subject for m in outbox] == ["Après commit"]


def test_mail_queued_then_rolled_back_never_leaves(app, outbox) -> None:
    outgoing.send_after_commit(compose("a@example.org", "Annulé", "texte", None))
    db.session.rollback()
    db.session.commit()
    assert outbox == []


@pytest.mark.usefixtures("smtp_app")
def test_smtp_transport_sends_to_a_real_server(smtp_sink) -> None:
    send_now(compose("elodie@example.org", "Par SMTP", "Bonjour", "<p>Bonjour</p>"))
    [received] = smtp_sink.messages()
    assert received["Subject"] == "Par SMTP"
    assert smtp_sink.recipients() == ["elodie@example.org"]
