"""DKIM: every message that leaves is signed (relaxed/relaxed, the RFC 6376 headers and both RFC 8058 ones),
checked with dkimpy's own verifier against the test key's DNS record, as received by a real SMTP server."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dkim
import pytest
from flask import Flask

import scheduler
from crm.extensions import db
from crm.mail.dkim import DkimConfigError, KeyPair, generate_key_pair
from crm.mail.pipeline import send_due
from tests.factories import campaign, subscriber
from tests.smtp_sink import SmtpSink

SELECTOR, DOMAIN = "crm2026", "example.org"


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return generate_key_pair(tmp_path_factory.mktemp("dkim") / "crm2026.pem", SELECTOR, DOMAIN)


def dns_for(pair: KeyPair) -> Callable[..., bytes | None]:
    """What a resolver would answer for the published record (and nothing else)."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return pair.record_value.encode("ascii") if name == f"{pair.record_name}.".encode("ascii") else None

    return lookup


@pytest.fixture
def dkim_app(make_app: Callable[..., Flask], smtp_sink: SmtpSink, key_pair: KeyPair) -> Any:
    app = make_app(MAIL_SERVER=smtp_sink.host, MAIL_PORT=smtp_sink.port, MAIL_SUPPRESS_SEND=False,
                   SEND_RATE_PER_SECOND=1000, DKIM_PRIVATE_KEY_FILE=str(key_pair.private_path),
                   DKIM_SELECTOR=SELECTOR, DKIM_DOMAIN=DOMAIN)
    with app.app_context():
        yield app


def _signed_headers(data: bytes) -> list[str]:
    parsed = dkim.DKIM(data)
    (signature,) = [value for name, value in parsed.headers if name.lower() == b"dkim-signature"]
    fields = dkim.util.parse_tag_value(signature)
    assert fields[b"c"] == b"relaxed/relaxed" and fields[b"a"] == b"rsa-sha256"
    assert fields[b"d"] == DOMAIN.encode() and fields[b"s"] == SELECTOR.encode()
    return [name.strip().decode() for name in fields[b"h"].split(b":")]


def _newsletter(app: Flask) -> None:
    subscriber("alice@example.org", "Alice", "Martin")
    campaign("Lettre de {{prenom}}", "Bonjour {{prenom}},\n\nVoici **les nouvelles** du programme.")
    db.session.commit()
    assert scheduler.run_once(app) == 0


def _invitation() -> None:
    from tests.events.test_end_to_end import _segment_event

    _segment_event(None)
    assert send_due().sent == 3


def _signup_confirmation(app: Flask) -> None:
    from tests.signup.helpers import form_data

    assert app.test_client().post("/inscription", data=form_data()).status_code == 303
    assert send_due().sent == 1


def test_newsletter_invitation_and_confirmation_verify_with_the_published_key(
        dkim_app: Flask, smtp_sink: SmtpSink, key_pair: KeyPair) -> None:
    lookup = dns_for(key_pair)
    _newsletter(dkim_app)
    (letter,) = smtp_sink.received
    assert dkim.verify(letter.data, dnsfunc=lookup)
    signed = _signed_headers(letter.data)
    for header in ("from", "to", "subject", "date", "message-id", "mime-version", "content-type",
                   "list-unsubscribe", "list-unsubscribe-post"):
        assert header in signed, header
    assert signed.count("from") == 2 and signed.count("list-unsubscribe-post") == 2  # over-signed: none added

    _invitation()
    invitations = smtp_sink.received[1:]
    assert len(invitations) == 3
    for item in invitations:
        assert b"text/calendar" in item.data  # the multipart message with its calendar parts, signed whole
        assert dkim.verify(item.data, dnsfunc=lookup)

    count = len(smtp_sink.received)
    _signup_confirmation(dkim_app)
    (confirmation,) = smtp_sink.received[count:]
    assert confirmation.message["Subject"]  # the signup confirmation
    assert dkim.verify(confirmation.data, dnsfunc=lookup)

    # The verifier is not a rubber stamp: a changed subject, an added List-Unsubscribe-Post, a changed body,
    # or another key all fail.
    assert not dkim.verify(letter.data.replace(b"Subject: ", b"Subject: Re: ", 1), dnsfunc=lookup)
    header_end = letter.data.index(b"\r\n\r\n")
    added = letter.data[:header_end] + b"\r\nList-Unsubscribe-Post: List-Unsubscribe=Other" + letter.data[header_end:]
    assert not dkim.verify(added, dnsfunc=lookup)
    assert not dkim.verify(letter.data[:-20] + b"X" + letter.data[-19:], dnsfunc=lookup)
    other = generate_key_pair(key_pair.private_path.with_name("other.pem"), SELECTOR, DOMAIN)
    assert not dkim.verify(letter.data, dnsfunc=dns_for(other))


def test_mail_to_a_back_office_user_is_signed_too(dkim_app: Flask, smtp_sink: SmtpSink, key_pair: KeyPair) -> None:
    """A plain message sent after the commit (a password reset) goes through Flask-Mail's connection."""
    from crm.auth.services import create_user
    from tests.fixtures import PASSWORD

    create_user("viewer@example.org", PASSWORD, "viewer")  # not the make_user fixture: it brings its own app
    db.session.commit()
    response = dkim_app.test_client().post("/mot-de-passe-oublie", data={"email": "viewer@example.org"})
    assert response.status_code in (200, 302, 303)
    (reset,) = smtp_sink.received
    assert dkim.verify(reset.data, dnsfunc=dns_for(key_pair))


def test_without_the_settings_nothing_is_signed(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    _newsletter(smtp_app)
    (letter,) = smtp_sink.received
    assert letter.message["DKIM-Signature"] is None


def test_half_a_configuration_is_refused_at_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(DkimConfigError, match="DKIM_DOMAIN"):
        make_app(DKIM_PRIVATE_KEY_FILE="/nonexistent.pem", DKIM_SELECTOR="crm")


def test_keygen_writes_a_private_key_only_its_owner_reads_and_prints_the_record(
        app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    target = tmp_path / "keys" / "crm.pem"
    result = runner.invoke(args=["mail", "dkim-keygen", "--selector", "crm", "--domain", "cua.example.org",
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert b"BEGIN RSA PRIVATE KEY" in target.read_bytes()
    assert (tmp_path / "keys" / "crm.public.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")
    assert "crm._domainkey.cua.example.org" in result.output
    (record,) = [line.split("valeur : ", 1)[1] for line in result.output.splitlines() if "valeur : " in line]
    assert record.startswith("v=DKIM1; k=rsa; p=")

    # The printed record verifies what the written key signs.
    message = (b"From: Territoires <territoires-industrie@cua.example.org>\r\nTo: anne@example.org\r\n"
               b"Subject: Essai\r\n\r\nBonjour.\r\n")
    signature = dkim.sign(message, b"crm", b"cua.example.org", target.read_bytes(),
                          canonicalize=(b"relaxed", b"relaxed"))
    assert dkim.verify(signature + message, dnsfunc=lambda name, timeout=5: record.encode())

    # A second run does not replace the key, unless asked.
    before = target.read_bytes()
    again = runner.invoke(args=["mail", "dkim-keygen", "--output", str(target)])
    assert again.exit_code != 0 and "existe déjà" in again.output and target.read_bytes() == before
    forced = runner.invoke(args=["mail", "dkim-keygen", "--output", str(target), "--force"])
    assert forced.exit_code == 0 and target.read_bytes() != before
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
