"""End to end on a real local SMTP server, with `scheduler.py --once` semantics (scheduler.run_once)."""

from __future__ import annotations


import sqlalchemy as sa
from flask import Flask

import scheduler
from crm.campaigns import services as campaigns
from crm.campaigns.models import Campaign
from crm.consent.models import SuppressionReason
from crm.consent.services import is_suppressed, suppress
from crm.extensions import db
from crm.mail.models import Delivery
from crm.partners.models import Organisation
from tests.factories import bulk_subscribers, campaign, subscriber
from tests.smtp_sink import SmtpSink


def _statuses(campaign_id: int) -> dict[str, int]:
    rows = db.session.execute(sa.select(Delivery.status, sa.func.count()).where(Delivery.campaign_id == campaign_id)
                              .group_by(Delivery.status))
    return dict(rows.all())


def _restart(sink: SmtpSink) -> None:
    """The relay comes back on the same port (an aiosmtpd controller cannot be started twice)."""
    from aiosmtpd.controller import Controller

    sink._controller = Controller(sink._controller.handler, hostname=sink.host, port=sink.port)
    sink.start()


def _run_once(app: Flask) -> None:
    db.session.commit()
    assert scheduler.run_once(app) == 0
    db.session.expire_all()


def test_scheduled_campaign_reaches_exactly_its_audience(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    smtp_app.config["BOUNCE_ADDRESS"] = "retours@example.org"
    org = Organisation(name="Plastiques de l'Orne", name_key="plastiques de l orne")
    db.session.add(org)
    alice = subscriber("alice@example.org", "Alice", "Martin", organisation=org)
    bruno = subscriber("bruno@example.org", "Bruno", "Durand")
    subscriber("pending@example.org", "Paul", "Attente", status="pending")
    subscriber("unsub@example.org", "Ursule", "Partie", status="unsubscribed")
    subscriber("none@example.org", "Noé", "Jamais", status="none")
    subscriber("other-topic@example.org", "Olga", "Ailleurs", topics=("evenements",))
    subscriber("blocked@example.org", "Blaise", "Bloqué")
    suppress("blocked@example.org", SuppressionReason.HARD_BOUNCE)
    item = campaign("Lettre de {{prenom}}", "Bonjour {{prenom}} {{nom}} de {{structure}},\n\n"
                                             "Voici **les nouvelles** du programme.")

    _run_once(smtp_app)

    assert sorted(smtp_sink.recipients()) == ["alice@example.org", "bruno@example.org"]
    assert db.session.get(Campaign, item.id).status == "sent"
    assert _statuses(item.id) == {"sent": 2}
    by_rcpt = {received.rcpt_tos[0]: received for received in smtp_sink.received}
    for contact in (alice, bruno):
        received = by_rcpt[contact.email]
        message = received.message
        unsubscribe = str(message["List-Unsubscribe"]).strip()
        assert unsubscribe.startswith("<http") and unsubscribe.endswith(">")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f"Bonjour {contact.first_name} {contact.last_name}" in text
        assert f"Bonjour {contact.first_name} {contact.last_name}" in html
        assert "<strong>les nouvelles</strong>" in html and "style=" in html  # CSS inlined
        assert message["Subject"] == f"Lettre de {contact.first_name}"
        delivery = db.session.scalar(sa.select(Delivery).where(Delivery.contact_id == contact.id))
        assert message["Message-ID"] == delivery.message_id
        assert received.mail_from == f"retours+{delivery.id}@example.org"
        assert b"\r\n" in received.data and all(len(line) <= 998 for line in received.data.split(b"\r\n"))
        assert f"Se désinscrire : {unsubscribe[1:-1]}" in text
        assert f'href="{unsubscribe[1:-1]}"' in html
    assert "Plastiques de l'Orne" in by_rcpt["alice@example.org"].message.get_body(
        preferencelist=("plain",)).get_content()

    _run_once(smtp_app)  # a second pass sends nothing more
    assert len(smtp_sink.received) == 2


def test_address_suppressed_mid_campaign_is_skipped_at_send_time(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    subscriber("keep@example.org", "Karl", "Reste")
    subscriber("leaves@example.org", "Léa", "Part")
    item = campaign()
    campaigns.start_due()  # materialised while both were subscribed
    suppress("leaves@example.org", SuppressionReason.UNSUBSCRIBE)
    _run_once(smtp_app)
    assert smtp_sink.recipients() == ["keep@example.org"]
    assert _statuses(item.id) == {"sent": 1, "skipped": 1}


def test_5xx_recipient_fails_and_is_suppressed(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    subscriber("good@example.org", "Gil", "Bon")
    subscriber("gone@example.org", "Gaston", "Parti")
    smtp_sink.rcpt_replies["gone@example.org"] = "550 5.1.1 No such user"
    item = campaign()
    _run_once(smtp_app)
    assert smtp_sink.recipients() == ["good@example.org"]
    assert _statuses(item.id) == {"sent": 1, "failed": 1}
    assert is_suppressed("gone@example.org")
    failed = db.session.scalar(sa.select(Delivery).where(Delivery.status == "failed"))
    assert "550" in failed.last_error
    assert db.session.get(Campaign, item.id).status == "sent"


def test_relay_refusing_4xx_then_recovering(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    smtp_app.config["SEND_RETRY_BASE_SECONDS"] = 0
    bulk_subscribers(5)
    item = campaign()
    smtp_sink.data_reply = "451 4.3.0 Try again later"
    _run_once(smtp_app)
    assert smtp_sink.received == []
    assert _statuses(item.id) == {"queued": 5}
    assert db.session.get(Campaign, item.id).status == "sending"  # waits for the relay
    smtp_sink.data_reply = None
    _run_once(smtp_app)
    assert sorted(smtp_sink.recipients()) == sorted(f"abonne{i}@example.org" for i in range(5))
    assert _statuses(item.id) == {"sent": 5}
    assert db.session.get(Campaign, item.id).status == "sent"


def test_relay_down_then_up(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    bulk_subscribers(4)
    item = campaign()
    smtp_sink.stop()
    _run_once(smtp_app)
    assert _statuses(item.id) == {"queued": 4}
    _restart(smtp_sink)
    _run_once(smtp_app)
    assert len(smtp_sink.recipients()) == 4
    assert _statuses(item.id) == {"sent": 4}


def test_pause_stops_within_one_batch_resume_finishes_cancel_leaves_rest(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    smtp_app.config["SEND_BATCH_SIZE"] = 5
    bulk_subscribers(20)
    item = campaign()
    campaigns.start_due()
    db.session.commit()

    # The manager presses "pause" while the third message of the first batch is being received by the relay.
    def press_pause(received: int) -> None:
        if received == 3:
            with smtp_app.app_context():  # another session, as the web request would be
                campaigns.pause(db.session.get(Campaign, item.id))
                db.session.commit()

    smtp_sink.on_message = press_pause
    _run_once(smtp_app)
    assert len(smtp_sink.received) == 5  # the batch in progress finished, nothing after
    assert db.session.get(Campaign, item.id).status == "paused"
    _run_once(smtp_app)
    assert len(smtp_sink.received) == 5

    smtp_sink.on_message = None
    campaigns.resume(db.session.get(Campaign, item.id))
    db.session.commit()
    smtp_app.config["SEND_RATE_PER_HOUR"] = 0
    from crm.mail.pipeline import send_due

    send_due(max_batches=1)  # five more, then the manager cancels
    db.session.expire_all()
    campaigns.cancel(db.session.get(Campaign, item.id))
    db.session.commit()
    _run_once(smtp_app)
    recipients = smtp_sink.recipients()
    assert len(recipients) == 10 and len(set(recipients)) == 10
    assert _statuses(item.id) == {"sent": 10, "cancelled": 10}
    assert db.session.get(Campaign, item.id).status == "cancelled"
