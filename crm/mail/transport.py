"""Where mail goes: a Maildir outbox (the embedded default) or an SMTP relay through Flask-Mail.

``open_transport`` serves mail sent one at a time (requests, CLI). ``open_wire`` serves the sending pipeline:
one message submitted, its outcome collected before the next, over a connection held by a child process when
the mail goes to a relay (``crm.mail.smtp_process``).
"""

from __future__ import annotations

import mailbox
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_mail import BadHeaderError, Message, email_dispatched, sanitize_address, sanitize_addresses

from crm.extensions import mail
from crm.mail.smtp_process import Envelope, RelaySettings, SmtpProcess


class Transport(Protocol):
    def send(self, message: Message, envelope_from: str | None = None) -> None: ...


def open_maildir(path: str) -> mailbox.Maildir:
    for sub in ("tmp", "new", "cur"):
        (Path(path) / sub).mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(path, create=False)


class MaildirTransport:
    def __init__(self, path: str) -> None:
        self.box = open_maildir(path)

    def send(self, message: Message, envelope_from: str | None = None) -> None:
        if message.has_bad_headers():
            raise ValueError("bad header in message")
        self.box.add(message.as_bytes())
        email_dispatched.send(current_app._get_current_object(), message=message)  # type: ignore[attr-defined]


def uses_smtp() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


@contextmanager
def open_transport() -> Iterator[Transport]:
    """One connection for many messages; closed when the block ends."""
    if uses_smtp():
        with mail.connect() as connection:
            yield connection
    else:
        yield MaildirTransport(current_app.config["MAILDIR_PATH"])


def send_now(message: Message) -> None:
    with open_transport() as transport:
        transport.send(message)


class Wire(Protocol):
    """Messages are submitted ahead and answered in order: ``result`` is about the oldest one not answered."""

    def submit(self, message: Message, envelope_from: str | None = None) -> None:
        """Hands the message over; problems are raised by its ``result``."""

    depth: int  # messages to keep submitted ahead of their answers

    def flush(self) -> None:
        """Hands over what was submitted and is still held back (before the caller turns to other work)."""

    def result(self) -> None:
        """Waits until the oldest submitted message is accepted, or raises why not (smtplib's exceptions,
        OSError)."""

    def settle_after_failure(self) -> list[bool]:
        """After the oldest message's ``result`` raised and the caller stops: whether each later message was
        accepted, in order."""


def envelope_for(message: Message, envelope_from: str | None = None) -> Envelope:
    """What Flask-Mail's ``Connection.send`` would hand to smtplib. Uses ``message.serialised`` when the
    pipeline has already written the message; plain ASCII addresses are passed as they are (smtplib quotes them)."""
    assert message.send_to, "No recipients have been added"
    assert message.sender, "The message does not specify a sender"
    if message.has_bad_headers():
        raise BadHeaderError
    if message.date is None:
        message.date = time.time()
    sender = envelope_from or message.sender
    recipients = list(message.send_to)
    if not (isinstance(sender, str) and sender.isascii()):
        sender = sanitize_address(sender)
    if not all(isinstance(address, str) and address.isascii() for address in recipients):
        recipients = list(sanitize_addresses(recipients))
    data = getattr(message, "serialised", None) or message.as_bytes()
    return Envelope(sender, recipients, data, tuple(message.mail_options), tuple(message.rcpt_options))


class RelayWire:
    """To the SMTP relay, over persistent connections each held by a child process (``MAIL_MAX_CONNECTIONS``).
    Messages go to the connections in turn; answers are collected in the order of submission (each child
    answers its own messages in order, so the oldest message's answer is the next one of its child)."""

    def __init__(self, processes: list[SmtpProcess]) -> None:
        self.processes = processes
        # Eight messages per connection (under 64 KiB of pipe for a newsletter): the next ones wait while one
        # is on the wire, so a connection opens the next transaction in the same write as the current content,
        # and the connections stay busy while the renderer claims and loads the next batch.
        self.depth = 8 * len(processes)
        self._next = 0
        self._messages: deque[tuple[Message, SmtpProcess]] = deque()
        self._failed: SmtpProcess | None = None

    def submit(self, message: Message, envelope_from: str | None = None) -> None:
        process = self.processes[self._next]
        self._next = (self._next + 1) % len(self.processes)
        process.submit(envelope_for(message, envelope_from))
        self._messages.append((message, process))

    def flush(self) -> None:
        for process in self.processes:
            process.flush()

    def result(self) -> None:
        message, process = self._messages.popleft()
        try:
            process.result()
        except BaseException:
            self._failed = process
            raise
        email_dispatched.send(current_app._get_current_object(), message=message)  # type: ignore[attr-defined]

    def settle_after_failure(self) -> list[bool]:
        """After a ``result`` raised and the caller stops: for each message submitted after that one, in order, whether it was accepted. A message of another connection may be on its way or accepted
        already: its answer is awaited, so that it is recorded as sent rather than sent again later. Messages
        of the failed connection were held by its child (never sent): False."""
        failed = {self._failed} if self._failed is not None else set()
        answers = []
        for _message, process in self._messages:
            if process in failed:  # held behind its failure
                answers.append(False)
                continue
            try:
                process.result()
            except Exception:  # refused, or this connection failed too: not sent, nor what follows on it
                failed.add(process)
                answers.append(False)
                continue
            answers.append(True)
        self._messages.clear()
        return answers


class DirectWire:
    """Through a transport of this process: the Maildir outbox, or Flask-Mail when sending is suppressed.
    Each message is sent when its result is asked for, so none leaves after a failure that stops the caller."""

    depth = 2

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._submitted: deque[tuple[Message, str | None]] = deque()

    def settle_after_failure(self) -> list[bool]:
        """Messages behind a failure were not sent (each leaves only when its result is asked for)."""
        answers = [False] * len(self._submitted)
        self._submitted.clear()
        return answers

    def submit(self, message: Message, envelope_from: str | None = None) -> None:
        self._submitted.append((message, envelope_from))

    def flush(self) -> None:
        return None

    def result(self) -> None:
        message, envelope_from = self._submitted.popleft()
        self.transport.send(message, envelope_from=envelope_from)


def relay_settings() -> RelaySettings:
    state = current_app.extensions["mail"]
    return RelaySettings(host=state.server, port=state.port or 25, use_ssl=bool(state.use_ssl),
                         use_tls=bool(state.use_tls), username=state.username, password=state.password,
                         max_emails=state.max_emails)


@contextmanager
def open_wire() -> Iterator[Wire]:
    """Opens the relay connection (raises smtplib's exceptions or OSError when it cannot) for many messages."""
    if uses_smtp() and not current_app.extensions["mail"].suppress:
        settings = relay_settings()
        processes: list[SmtpProcess] = []
        try:
            # Started together, then waited for: the connections open at the same time.
            for _ in range(max(1, int(current_app.config.get("MAIL_MAX_CONNECTIONS", 2)))):
                processes.append(SmtpProcess(settings, wait=False))
            for process in processes:
                process.wait_ready()
            yield RelayWire(processes)
        finally:
            for process in processes:
                process.close()
    else:
        with open_transport() as transport:
            yield DirectWire(transport)
