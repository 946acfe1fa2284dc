"""The generic sending pipeline: any kind of delivery, queueing once, claims, leases, throttle, outcomes."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask_mail import Message

from crm.consent.mail_kinds import REGISTRY_KEY, Category, MailKind
from crm.consent.models import SuppressionReason
from crm.consent.services import suppress
from crm.db import utcnow
from crm.extensions import db
from crm.mail import claims, pipeline
from crm.mail.mime import encoded_words
from crm.mail.models import Delivery
from crm.mail.plaintext import html_to_text
from crm.mail.rendering import compose
from crm.mail.throttle import Throttle
from tests.factories import subscriber
from tests.smtp_sink import SmtpSink


@pytest.fixture
def notice_kind() -> Any:
    """A kind of mail of a feature's own, about the person's own action (as an RSVP confirmation), added to the
    application's registry as a feature's declaration would be."""
    def render(delivery: Delivery) -> Message | None:
        if delivery.source_id == 0:
            return None
        return compose(delivery.contact.email, f"Avis n°{delivery.source_id}", "Texte é", "<p>HTML é</p>")

    current_app.extensions[REGISTRY_KEY]["test_notice"] = MailKind("test_notice", "Avis", Category.PERSONAL, render)
    yield "test_notice"
    current_app.extensions[REGISTRY_KEY].pop("test_notice", None)


def _status(dedupe_key: str) -> str:
    return db.session.scalar(sa.select(Delivery.status).where(Delivery.dedupe_key == dedupe_key))


def test_a_registered_kind_is_sent_once(smtp_app: Flask, smtp_sink: SmtpSink, notice_kind: str) -> None:
    contact = subscriber("x@example.org", "X", "Y", status="none", topics=())
    assert claims.queue_delivery(notice_kind, "notice:1", contact_id=contact.id, source_id=1)
    assert not claims.queue_delivery(notice_kind, "notice:1", contact_id=contact.id, source_id=1)  # same key
    claims.queue_delivery(notice_kind, "notice:0", contact_id=contact.id, source_id=0)  # renders to nothing
    claims.queue_delivery(notice_kind, "notice:later", contact_id=contact.id, source_id=2,
                          send_after=utcnow() + timedelta(days=1))
    claims.queue_delivery("unknown_kind", "x:1", contact_id=contact.id)
    db.session.commit()
    report = pipeline.send_due()
    db.session.expire_all()
    assert report.sent == 1 and smtp_sink.recipients() == ["x@example.org"]
    assert smtp_sink.messages()[0]["Subject"] == "Avis n°1"
    assert _status("notice:1") == "sent" and _status("notice:0") == "skipped"
    assert _status("notice:later") == "queued" and _status("x:1") == "failed"
    assert pipeline.send_due().sent == 0


def test_unsubscribe_does_not_stop_mail_about_the_persons_own_action(smtp_app: Flask, smtp_sink: SmtpSink,
                                                      notice_kind: str) -> None:
    left = subscriber("left@example.org", "L", "L")
    bounced = subscriber("bounced@example.org", "B", "B")
    suppress("left@example.org", SuppressionReason.UNSUBSCRIBE)
    suppress("bounced@example.org", SuppressionReason.HARD_BOUNCE)
    claims.queue_delivery(notice_kind, "n:left", contact_id=left.id, source_id=1)
    claims.queue_delivery(notice_kind, "n:bounced", contact_id=bounced.id, source_id=1)
    db.session.commit()
    pipeline.send_due()
    db.session.expire_all()
    assert smtp_sink.recipients() == ["left@example.org"]  # a transactional kind still reaches an unsubscriber
    assert _status("n:bounced") == "skipped"


def test_claims_are_disjoint_and_stale_ones_are_taken_back(app: Flask, notice_kind: str) -> None:
    contact = subscriber("x@example.org", "X", "Y")
    for i in range(5):
        claims.queue_delivery(notice_kind, f"n:{i}", contact_id=contact.id, source_id=i + 1)
    db.session.commit()
    now = utcnow()
    first, second = claims.claim_batch(3, now), claims.claim_batch(3, now)
    assert first and second and claims.claim_batch(3, now) is None
    owners = dict(db.session.execute(sa.select(Delivery.claim_token, sa.func.count())
                                     .group_by(Delivery.claim_token)).all())
    assert owners == {first: 3, second: 2}
    taken_id = db.session.scalar(sa.select(Delivery.id).where(Delivery.claim_token == first).limit(1))
    assert claims.take_back_stale_claims(600) == 0
    assert claims.take_back_stale_claims(600, now=now + timedelta(seconds=601)) == 5
    db.session.commit()
    # The old owner's late outcome no longer applies: the rows were taken back.
    claims.record_outcomes([{"id": taken_id, "token": first, "status": "sent", "tried": 1, "next": now, "error": None,
                             "message_id": "<x>", "sent_at": now}])
    db.session.commit()
    assert db.session.get(Delivery, taken_id).status == "queued"


def test_a_batchs_outcomes_are_recorded_together_each_on_its_own_row(app: Flask, notice_kind: str) -> None:
    """One call records a batch's outcomes (one statement on PostgreSQL): each row gets its own status, error,
    next attempt, Message-ID and time, its attempts counted, its claim cleared; a row whose claim is not the one
    given is left alone."""
    contact = subscriber("x@example.org", "X", "Y")
    ids = [claims.queue_delivery(notice_kind, f"n:{i}", contact_id=contact.id, source_id=i + 1) for i in range(4)]
    db.session.commit()
    now = utcnow()
    token = claims.claim_batch(3, now)
    other = claims.claim_batch(1, now)
    later = now + timedelta(minutes=10)
    claims.record_outcomes([
        {"id": ids[0], "token": token, "status": "sent", "tried": 1, "next": now, "error": None,
         "message_id": "<d1@example.org>", "sent_at": now},
        {"id": ids[1], "token": token, "status": "queued", "tried": 1, "next": later, "error": "451 plus tard",
         "message_id": None, "sent_at": None},
        {"id": ids[2], "token": token, "status": "failed", "tried": 0, "next": now, "error": "aucun rendu",
         "message_id": None, "sent_at": None},
        {"id": ids[3], "token": token, "status": "sent", "tried": 1, "next": now, "error": None,
         "message_id": "<d4@example.org>", "sent_at": now},  # claimed by ``other``: left alone
    ])
    db.session.commit()
    db.session.expire_all()
    rows = {row.id: row for row in db.session.scalars(sa.select(Delivery).where(Delivery.id.in_(ids)))}
    sent, deferred, failed, untouched = (rows[i] for i in ids)
    assert (sent.status, sent.attempts, sent.message_id, sent.sent_at, sent.claim_token) == (
        "sent", 1, "<d1@example.org>", now, None)
    assert (deferred.status, deferred.attempts, deferred.last_error, deferred.next_attempt_at, deferred.sent_at) == (
        "queued", 1, "451 plus tard", later, None)
    assert (failed.status, failed.attempts, failed.last_error, failed.claimed_at) == ("failed", 0, "aucun rendu", None)
    assert (untouched.status, untouched.claim_token, untouched.message_id) == ("sending", other, None)


def test_a_batch_claimed_ahead_goes_back_to_the_queue_when_the_pass_stops(smtp_app: Flask, smtp_sink: SmtpSink,
                                                                           notice_kind: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The next batch is claimed while one is sent: when the pass stops after that one (the scheduler is asked
    to stop), the claim made ahead is released at once (not left to wait for the lease), and the next pass
    sends it."""
    import threading

    smtp_app.config.update(SEND_BATCH_SIZE=3)
    contact = subscriber("x@example.org", "X", "Y")
    for i in range(8):
        claims.queue_delivery(notice_kind, f"n:{i}", contact_id=contact.id, source_id=i + 1)
    db.session.commit()
    stop = threading.Event()
    monkeypatch.setattr(pipeline, "_stop_requested", stop)
    smtp_sink.on_message = lambda count: stop.set() if count >= 4 else None  # during the second batch
    report = pipeline.send_due()
    assert report.sent == 6 and report.stopped == "arrêt du processus demandé"
    stop.clear()
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)).all())
    assert statuses == {"sent": 6, "queued": 2}
    assert db.session.scalar(sa.select(sa.func.count()).where(Delivery.claim_token.is_not(None))) == 0
    assert pipeline.send_due().sent == 2 and len(smtp_sink.recipients()) == 8


def test_a_renderers_write_does_not_hold_up_the_claim_made_ahead(smtp_app: Flask, smtp_sink: SmtpSink,
                                                                notice_kind: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer that writes (as an invitation marks its sending) while the next batch is claimed in the claim
    thread: this session commits before waiting for the claim, so on SQLite (one writer at a time) the claim does
    not wait for this session's lock while this session waits for the claim, until the lock's timeout."""
    from crm.partners.models import Contact

    smtp_app.config.update(SEND_BATCH_SIZE=3)
    contact = subscriber("x@example.org", "X", "Y")
    ids = [claims.queue_delivery(notice_kind, f"n:{i}", contact_id=contact.id, source_id=i + 1) for i in range(6)]
    db.session.commit()
    kind = current_app.extensions[REGISTRY_KEY][notice_kind]

    def writing_render(delivery: Delivery) -> Message | None:
        db.session.execute(sa.update(Contact).where(Contact.id == delivery.contact_id)
                           .values(job_title=f"avis {delivery.source_id}"))
        return kind.render(delivery)

    monkeypatch.setitem(current_app.extensions[REGISTRY_KEY], notice_kind,
                        dataclasses.replace(kind, render=writing_render))
    claim_batch = claims.claim_batch

    def late_in_thread(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.2)  # the renderer writes first
        return claim_batch(*args, **kwargs)

    monkeypatch.setattr(claims, "claim_batch", late_in_thread)
    started = time.perf_counter()
    report = pipeline.send_due()
    assert report.sent == 6 and time.perf_counter() - started < 4  # no wait for a lock's timeout (5 s)
    with db.engine.connect() as connection:
        assert sorted(connection.scalars(sa.select(Delivery.status).where(Delivery.id.in_(ids)))) == ["sent"] * 6
        assert connection.scalar(sa.select(Contact.job_title)) == "avis 6"


def test_hourly_limit_stops_the_pass(smtp_app: Flask, smtp_sink: SmtpSink, notice_kind: str) -> None:
    smtp_app.config.update(SEND_RATE_PER_HOUR=3, SEND_BATCH_SIZE=2)
    contact = subscriber("x@example.org", "X", "Y")
    for i in range(5):
        claims.queue_delivery(notice_kind, f"n:{i}", contact_id=contact.id, source_id=i + 1)
    db.session.commit()
    report = pipeline.send_due()
    assert report.sent == 3 and report.stopped == "limite horaire atteinte"
    assert pipeline.send_due().sent == 0  # the last hour already holds 3


def test_throttle_spaces_messages_and_counts_down_the_hour() -> None:
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    throttle = Throttle(4, 10, sent_last_hour=lambda: 7, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        throttle.wait()
    assert slept == [0.25, 0.25]
    assert throttle.hourly_allowance() == 3
    throttle.sent()
    assert throttle.hourly_allowance() == 2
    assert Throttle(0, 0, sent_last_hour=lambda: 10**6).hourly_allowance() is None


def test_bulk_messages_keep_smtp_line_rules(app: Flask) -> None:
    from email import message_from_bytes, policy

    from crm.mail.mime import for_bulk

    long_line = "é" * 2000
    message = for_bulk(compose("x@example.org", "Sujet accentué " * 10, long_line, f"<p>{long_line}</p>",
                               extra_headers={"List-Unsubscribe": "<https://example.org/u>"}))
    raw = message.as_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"") and max(len(line) for line in raw.split(b"\r\n")) <= 998
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == ("Sujet accentué " * 10).strip() or parsed["Subject"] == "Sujet accentué " * 10
    assert parsed.get_body(("plain",)).get_content().rstrip("\n") == long_line
    assert parsed.get_body(("html",)).get_content() == f"<p>{long_line}</p>"
    assert encoded_words("a") == "=?utf-8?b?YQ==?="


def test_html_to_text() -> None:
    text = html_to_text('<h2>Titre</h2><p>Un <a href="https://example.org/x">lien</a>.</p><ul><li>un</li>'
                        "<li>deux</li></ul><p>fin<br>ligne</p>")
    assert text == "Titre\n\nUn lien <https://example.org/x>.\n\n- un\n- deux\n\nfin\nligne\n"
