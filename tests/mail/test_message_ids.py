"""Every mail that leaves has a Message-ID in the sender's domain, never the machine's host name (receiving
servers check it against the From domain; a host name means nothing to them): every kind of mail the pipeline
sends, and the plain messages sent after a commit (password reset, a letter's test send). Read on the wire."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import flask_mail
import pytest
import sqlalchemy as sa
from flask import Flask

from crm.consent.mail_kinds import REGISTRY_KEY
from crm.extensions import db
from crm.mail.claims import queue_delivery
from crm.mail.models import Delivery
from crm.mail.pipeline import send_due
from crm.mail.rendering import compose
from tests.factories import campaign, subscriber
from tests.smtp_sink import SmtpSink

SENDER = "Territoires d'industrie CUA <lettre@cua-alencon.example>"
SENDER_DOMAIN = "@cua-alencon.example>"
HOST = "machine-de-production.local"


def _all_kind_codes() -> list[str]:
    from crm import create_app
    from crm.consent.mail_kinds import all_kinds

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    with app.app_context():
        return sorted(all_kinds())


KINDS = _all_kind_codes()


@pytest.fixture
def sender_app(make_app: Callable[..., Flask], smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Any:
    import crm.mail.rendering

    # What Flask-Mail's default Message-ID would name: a host name that is not the sender's domain.
    monkeypatch.setattr(crm.mail.rendering, "_host_domain", lambda: HOST)
    app = make_app(MAIL_SERVER=smtp_sink.host, MAIL_PORT=smtp_sink.port, MAIL_SUPPRESS_SEND=False,
                   MAIL_DEFAULT_SENDER=SENDER, SEND_RATE_PER_SECOND=1000)
    with app.app_context():
        yield app


def test_every_kind_is_known() -> None:
    assert {"campaign", "invitation", "event_update", "event_cancel", "reminder", "rsvp_confirmation"} <= set(KINDS)
    assert len(KINDS) >= 10


@pytest.mark.parametrize("code", KINDS)
def test_every_kind_the_pipeline_sends_has_an_id_in_the_senders_domain(
        code: str, sender_app: Flask, smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a renderer leaves as Message-ID (here Flask-Mail's default, the host name), the pipeline writes
    one in the sender's domain, records it on the delivery, and sends that one."""
    import crm.mail.pipeline

    person = subscriber("anne.lefort@example.org", "Anne", "Lefort")
    db.session.commit()

    def render(delivery: Delivery) -> Any:
        message = compose("anne.lefort@example.org", f"Un message « {code} »", "Bonjour.", "<p>Bonjour.</p>")
        message.msgId = flask_mail.make_msgid()
        assert message.msgId.endswith(f"@{HOST}>")
        return message

    registry = sender_app.extensions[REGISTRY_KEY]
    monkeypatch.setitem(registry, code, dataclasses.replace(registry[code], render=render))
    # The recipient rules are tested with each kind; here every claimed row may be sent.
    monkeypatch.setattr(crm.mail.pipeline, "_receivable_ids", lambda token, rows: {row.id for row in rows})
    queue_delivery(code, f"message-id:{code}", contact_id=person.id)
    db.session.commit()

    assert send_due().sent == 1
    (received,) = smtp_sink.messages()
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.kind == code))
    assert received["Message-ID"].endswith(SENDER_DOMAIN) and HOST not in received["Message-ID"]
    assert received["Message-ID"] == delivery.message_id


def test_real_renderers_and_plain_messages_use_the_senders_domain(sender_app: Flask, smtp_sink: SmtpSink) -> None:
    from crm.auth.services import create_user
    from tests.events.test_end_to_end import _segment_event
    from tests.fixtures import PASSWORD
    from tests.signup.helpers import form_data

    import scheduler

    client = sender_app.test_client()
    # A newsletter, an event invitation, a signup confirmation: the pipeline, with the real renderers.
    subscriber("alice@example.org", "Alice", "Martin")
    campaign("Lettre", "Bonjour {{prenom}}.")
    db.session.commit()
    assert scheduler.run_once(sender_app) == 0
    _segment_event(None)
    assert client.post("/inscription", data=form_data()).status_code == 303
    assert send_due().sent == 4
    # Plain messages sent after a commit, through Flask-Mail's connection: a password reset, a test send.
    create_user("editor@example.org", PASSWORD, "editor")  # not the make_user fixture: it brings its own app
    db.session.commit()
    assert client.post("/mot-de-passe-oublie", data={"email": "editor@example.org"}).status_code in (200, 302, 303)
    client.post("/connexion", data={"email": "editor@example.org", "password": PASSWORD})
    letter = campaign("Lettre suivante", "Bonjour.", schedule=False)
    assert client.post(f"/admin/lettres/{letter.id}/test", data={"email": "moi@example.net"}).status_code == 302

    received = smtp_sink.messages()
    assert len(received) == 7, [(str(m["Subject"]), str(m["To"])) for m in received]
    for message in received:
        assert message["Message-ID"].endswith(SENDER_DOMAIN), (message["Subject"], message["Message-ID"])
    subjects = [str(message["Subject"]) for message in received]
    assert any("mot de passe" in subject for subject in subjects) and any("[TEST]" in s for s in subjects)


def test_a_message_from_another_sender_takes_that_senders_domain(sender_app: Flask) -> None:
    message = compose("anne.lefort@example.org", "Objet", "Bonjour.", None, sender="Club <club@autre.example>")
    assert message.msgId.endswith("@autre.example>")
