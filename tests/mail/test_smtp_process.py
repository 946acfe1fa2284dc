"""The SMTP connection held by a child process: order, failures, the messages held behind one, the child's end."""

from __future__ import annotations

import smtplib

import pytest

from crm.mail.smtp_process import Envelope, RelaySettings, SmtpProcess
from tests.fixtures import free_port
from tests.smtp_sink import SmtpSink


def _envelope(recipient: str) -> Envelope:
    data = f"Subject: Essai\r\nTo: {recipient}\r\n\r\nBonjour\r\n".encode()
    return Envelope("retours@example.org", [recipient], data)


def _process(sink: SmtpSink, **settings: object) -> SmtpProcess:
    return SmtpProcess(RelaySettings(host=sink.host, port=sink.port, **settings))  # type: ignore[arg-type]


def test_messages_go_in_order_over_one_connection(smtp_sink: SmtpSink) -> None:
    process = _process(smtp_sink)
    try:
        for name in ("a", "b", "c"):
            process.submit(_envelope(f"{name}@example.org"))
        for _ in range(3):
            process.result()
    finally:
        process.close()
    assert smtp_sink.recipients() == ["a@example.org", "b@example.org", "c@example.org"]
    assert smtp_sink.sessions == 1
    assert {item.mail_from for item in smtp_sink.received} == {"retours@example.org"}


def test_messages_queued_behind_a_refusal_are_sent_once_the_caller_goes_on(smtp_sink: SmtpSink) -> None:
    smtp_sink.rcpt_replies["gone@example.org"] = "550 5.1.1 No such user"
    process = _process(smtp_sink)
    try:
        for address in ("a@example.org", "gone@example.org", "b@example.org", "c@example.org"):
            process.submit(_envelope(address))
        process.result()
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            process.result()
        assert refused.value.recipients["gone@example.org"][0] == 550
        process.result()
        process.result()
    finally:
        process.close()
    assert smtp_sink.recipients() == ["a@example.org", "b@example.org", "c@example.org"]


def test_messages_queued_behind_a_failure_never_leave_if_the_caller_stops(smtp_sink: SmtpSink) -> None:
    smtp_sink.rcpt_replies["b@example.org"] = "421 4.3.2 Service shutting down"
    process = _process(smtp_sink)
    try:
        for name in ("a", "b", "c", "d"):
            process.submit(_envelope(f"{name}@example.org"))
        process.result()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            process.result()
    finally:
        process.close()  # the pipeline stops the pass here: c and d go back to the queue
    assert smtp_sink.recipients() == ["a@example.org"]


def test_a_relay_that_does_not_answer_fails_at_the_start() -> None:
    with pytest.raises(OSError):
        SmtpProcess(RelaySettings(host="127.0.0.1", port=free_port(), timeout=5))


def test_a_new_session_after_max_emails(smtp_sink: SmtpSink) -> None:
    process = _process(smtp_sink, max_emails=2)
    try:
        for index in range(5):
            process.submit(_envelope(f"n{index}@example.org"))
            process.result()
    finally:
        process.close()
    assert len(smtp_sink.recipients()) == 5
    assert smtp_sink.sessions == 3


def test_a_child_that_died_is_a_lost_connection(smtp_sink: SmtpSink) -> None:
    process = _process(smtp_sink)
    try:
        process._process.kill()
        process._process.wait()
        process.submit(_envelope("a@example.org"))
        with pytest.raises(smtplib.SMTPServerDisconnected):
            process.result()
    finally:
        process.close()
    assert smtp_sink.received == []


def test_the_child_ends_with_its_input_as_when_the_sender_is_killed(smtp_sink: SmtpSink) -> None:
    process = _process(smtp_sink)
    process.submit(_envelope("a@example.org"))
    process.result()
    child = process._process
    assert child.stdin is not None
    child.stdin.close()  # what the kernel does to the pipe when the parent is killed
    assert child.wait(timeout=10) == 0
    process.close()
    assert smtp_sink.recipients() == ["a@example.org"]


def test_messages_the_sender_still_holds_when_it_stops_never_leave(smtp_sink: SmtpSink) -> None:
    """Messages are handed to the child in groups once it has a few in hand: those not handed over yet when the
    sender stops are not sent (the pipeline puts them back in the queue, unsent)."""
    process = _process(smtp_sink)
    try:
        for name in "abcdef":
            process.submit(_envelope(f"{name}@example.org"))
    finally:
        process.close()
    sent = smtp_sink.recipients()
    assert sent == [f"{name}@example.org" for name in "abcd"]  # e and f were still held by the sender


def test_frames_are_read_whole_whatever_the_reads_cut() -> None:
    import os

    from crm.mail.smtp_process import _frame, _Frames

    frames = [("send", (f"n{i}", "x" * (i * 997 % 9000))) for i in range(60)]
    data = b"".join(_frame(frame) for frame in frames)
    read, write = os.pipe()
    stream = os.fdopen(read, "rb")
    reader = _Frames(stream)
    received = []
    position = 0
    sizes = [3, 5000, 1, 60000, 12345] + [60000] * (len(data) // 60000 + 1)
    for size in sizes:  # reads that cut frames anywhere (each under a pipe's capacity)
        chunk = data[position:position + size]
        position += len(chunk)
        os.write(write, chunk)
        while (ahead := reader.peek()) is not None:
            assert reader.peek() == ahead  # looked at twice, taken once
            received.append(reader.next())
            assert len(received) <= len(frames)
    os.close(write)
    assert received == frames and reader.next() is None
    stream.close()
    assert len(reader.buffer) < 2 * 65536  # what was read leaves the buffer
