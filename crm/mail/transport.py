"""Where mail goes: a Maildir outbox (the embedded default) or an SMTP relay through Flask-Mail."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_mail import Message, email_dispatched

from crm.extensions import mail


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
