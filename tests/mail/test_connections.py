"""Several SMTP connections (MAIL_MAX_CONNECTIONS), pipelining (RFC 2920), the exact throttle across
connections, what a stop on one connection does to the messages of the others, and tokens signed fast."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask_mail import Message

from crm.consent.mail_kinds import REGISTRY_KEY, Category, MailKind
from crm.extensions import db
from crm.mail import claims, pipeline
from crm.mail.models import Delivery
from crm.mail.rendering import compose
from crm.mail.smtp_process import Envelope, _Session
from crm.security import _serializer, make_token, read_token
from tests.factories import subscriber
from tests.smtp_sink import SmtpSink


@pytest.fixture
def notice_kind() -> Any:
    def render(delivery: Delivery) -> Message | None:
        return compose(delivery.contact.email, f"Avis n°{delivery.source_id}", "Texte", "<p>HTML</p>")

    current_app.extensions[REGISTRY_KEY]["test_notice"] = MailKind("test_notice", "Avis", Category.PERSONAL, render)
    yield "test_notice"
    current_app.extensions[REGISTRY_KEY].pop("test_notice", None)


def _queue(kind: str, count: int) -> list[str]:
    addresses = [f"p{i}@example.org" for i in range(count)]
    for i, address in enumerate(addresses):
        contact = subscriber(address, "P", str(i), status="none", topics=())
        claims.queue_delivery(kind, f"n:{i}", contact_id=contact.id, source_id=i)
    db.session.commit()
    return addresses


def test_two_connections_share_the_messages_each_sent_once(smtp_app: Flask, smtp_sink: SmtpSink,
                                                            notice_kind: str) -> None:
    smtp_app.config.update(MAIL_MAX_CONNECTIONS=2, SEND_RATE_PER_SECOND=0, SEND_BATCH_SIZE=7)
    addresses = _queue(notice_kind, 30)
    report = pipeline.send_due()
    assert report.sent == 30
    assert smtp_sink.sessions == 2
    assert sorted(smtp_sink.recipients()) == sorted(addresses)
    assert pipeline.send_due().sent == 0


def test_the_rate_per_second_is_exact_whatever_the_number_of_connections(smtp_app: Flask, smtp_sink: SmtpSink,
                                                                          notice_kind: str) -> None:
    smtp_app.config.update(MAIL_MAX_CONNECTIONS=2, SEND_RATE_PER_SECOND=10, SEND_RATE_PER_HOUR=0)
    _queue(notice_kind, 12)
    received: list[float] = []
    smtp_sink.on_message = lambda _count: received.append(time.monotonic())
    assert pipeline.send_due().sent == 12
    assert smtp_sink.sessions == 2
    # 12 messages at 10 per second: 11 intervals of 0.1 s between the first and the last, not half of it.
    span = received[-1] - received[0]
    assert 1.0 <= span < 1.8, span


def test_a_stop_on_one_connection_records_what_the_other_connection_sent(smtp_app: Flask, smtp_sink: SmtpSink,
                                                                         notice_kind: str) -> None:
    """The relay shuts down on a message of one connection: the messages the other connection had already
    handed over are recorded as sent (not sent again by the next pass), the rest go back to the queue."""
    smtp_app.config.update(MAIL_MAX_CONNECTIONS=2, SEND_RATE_PER_SECOND=0, SEND_BATCH_SIZE=50)
    addresses = _queue(notice_kind, 12)
    smtp_sink.rcpt_replies["p2@example.org"] = "421 4.3.2 Service shutting down"
    first = pipeline.send_due()
    assert first.stopped.startswith("421")
    sent_first = len(smtp_sink.recipients())
    db.session.expire_all()
    recorded = db.session.scalar(sa.select(sa.func.count()).where(Delivery.status == "sent"))
    assert recorded == sent_first == first.sent  # every message the relay took is recorded as sent
    smtp_sink.rcpt_replies.clear()
    pipeline.send_due()
    counts = Counter(smtp_sink.recipients())
    assert set(counts) == set(addresses) and max(counts.values()) == 1


class _FakeConnection:
    """What _Session uses of smtplib.SMTP, recording each write and answering from a script."""

    def __init__(self, replies: list[tuple[int, bytes]], pipelining: bool = True) -> None:
        self.writes: list[bytes] = []
        self.replies = replies
        self.pipelining = pipelining
        self.sock: object | None = object()

    def ehlo_or_helo_if_needed(self) -> None:
        return None

    def has_extn(self, name: str) -> bool:
        return name == "pipelining" and self.pipelining

    def send(self, data: bytes) -> None:
        self.writes.append(data)

    def getreply(self) -> tuple[int, bytes]:
        return self.replies.pop(0)

    def rset(self) -> None:
        self.writes.append(b"RSET\r\n")

    def close(self) -> None:
        self.sock = None


def _envelope(name: str) -> Envelope:
    return Envelope("retours@example.org", [f"{name}@example.org"], f"Subject: {name}\r\n\r\nCorps\r\n".encode())


def test_pipelining_opens_the_next_transaction_with_the_current_content() -> None:
    ok, go, accepted = (250, b"OK"), (354, b"go"), (250, b"queued")
    connection = _FakeConnection([ok, ok, go, accepted, ok, ok, go, accepted])
    session = _Session(connection)  # type: ignore[arg-type]
    a, b = _envelope("a"), _envelope("b")
    session.send(a, following=b)
    session.send(b)
    opening = b"MAIL FROM:<retours@example.org>\r\nRCPT TO:<%s@example.org>\r\nDATA\r\n"
    assert connection.writes == [
        opening % b"a",
        b"Subject: a\r\n\r\nCorps\r\n.\r\n" + opening % b"b",  # one round trip for b's content and c's opening
        b"Subject: b\r\n\r\nCorps\r\n.\r\n",
    ]


def test_a_refused_content_drops_the_session_rather_than_send_the_next_message_unasked() -> None:
    """The next transaction was opened ahead and the relay waits for its content: only dropping the session
    is safe (the caller decides whether the next message goes at all)."""
    ok, go = (250, b"OK"), (354, b"go")
    connection = _FakeConnection([ok, ok, go, (554, b"5.7.1 rejected"), ok, ok, go])
    session = _Session(connection)  # type: ignore[arg-type]
    with pytest.raises(Exception) as refused:
        session.send(_envelope("a"), following=_envelope("b"))
    assert "rejected" in str(refused.value)
    assert connection.sock is None and len(connection.writes) == 2  # nothing more written: no content for b


def test_without_pipelining_the_plain_smtplib_transaction_is_used(smtp_sink: SmtpSink) -> None:
    import smtplib

    smtp_sink.pipelining = False
    connection = smtplib.SMTP(smtp_sink.host, smtp_sink.port)
    try:
        session = _Session(connection)
        assert not session.pipelining
        session.send(_envelope("a"), following=_envelope("b"))
        session.send(_envelope("b"))
    finally:
        connection.quit()
    assert smtp_sink.recipients() == ["a@example.org", "b@example.org"]


def test_tokens_signed_from_a_key_derived_once_read_back_as_before(app: Flask) -> None:
    value = [12, "secret-of-the-contact"]
    token = make_token("unsubscribe", value)
    assert read_token("unsubscribe", token) == value
    assert token.rsplit(".", 2)[0] == _serializer("unsubscribe").dumps(value).rsplit(".", 2)[0]
    long_value = list(range(200))  # compressed, as itsdangerous does
    assert read_token("unsubscribe", make_token("unsubscribe", long_value)) == long_value
    with pytest.raises(Exception):
        read_token("preferences", token)  # another purpose: another key
