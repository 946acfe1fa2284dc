"""The Maildir outbox: read for the back office (newest first, each message with its parts), and emptied of a
person's messages when their data is erased."""

from __future__ import annotations

import logging
import mailbox
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from flask import current_app

from crm.mail.after_commit import after_commit, on_commit
from crm.mail.transport import open_maildir
from crm.pagination import Page

log = logging.getLogger(__name__)
FORGET_KEY = "crm_outbox_forget"

_PARSER = BytesParser(policy=policy.default)


@dataclass
class OutboxMessage:
    key: str
    subject: str
    to: str
    sender: str
    date: datetime
    text: str = ""
    html: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


_KEY = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def _key_time(key: str) -> tuple[int, int, int]:
    """Maildir names start with seconds, microseconds and a per-process counter: newest first by those."""
    match = _KEY.match(key)
    if match is None:
        return (0, 0, 0)
    seconds, micros, counter = match.groups()
    return (int(seconds), int(micros), int(counter))


def _parse(box: mailbox.Maildir, key: str, with_body: bool) -> OutboxMessage:
    with box.get_file(key) as handle:
        raw = handle.read()
    message: EmailMessage = _PARSER.parsebytes(raw, headersonly=not with_body)  # type: ignore[assignment]
    item = OutboxMessage(
        key=key, subject=str(message.get("Subject", "")), to=str(message.get("To", "")),
        sender=str(message.get("From", "")), date=datetime.fromtimestamp(_key_time(key)[0], UTC),
        headers=[(k, str(v)) for k, v in message.items()],
    )
    if with_body:
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        item.text = text_part.get_content() if text_part is not None else ""
        item.html = html_part.get_content() if html_part is not None else None
        item.attachments = [part.get_filename() or "(sans nom)" for part in message.iter_attachments()]
    return item


def list_messages(path: str, page: int, per_page: int) -> Page[OutboxMessage]:
    box = open_maildir(path)
    keys = sorted(box.keys(), key=_key_time, reverse=True)
    page = max(1, page)
    chosen = keys[(page - 1) * per_page: page * per_page]
    return Page(items=[_parse(box, key, with_body=False) for key in chosen], total=len(keys), page=page,
                per_page=per_page)


def get_message(path: str, key: str) -> OutboxMessage | None:
    box = open_maildir(path)
    if "/" in key or key not in box:
        return None
    return _parse(box, key, with_body=True)


def _recipients(box: mailbox.Maildir, key: str) -> set[str]:
    with box.get_file(key) as handle:
        headers = _PARSER.parse(handle, headersonly=True)  # type: ignore[arg-type]
    values = [str(value) for name in ("To", "Cc", "Bcc") for value in headers.get_all(name, [])]
    return {address.lower() for _, address in getaddresses(values) if address}


def remove_messages_to(path: str, addresses: set[str]) -> int:
    """Deletes the outbox messages sent to any of these addresses; returns how many."""
    if not Path(path, "cur").is_dir() and not Path(path, "new").is_dir():
        return 0
    box = open_maildir(path)
    wanted = {address.lower() for address in addresses}
    removed = 0
    for key in list(box.keys()):
        try:
            if _recipients(box, key) & wanted:
                box.discard(key)
                removed += 1
        except FileNotFoundError:  # read or removed by someone else meanwhile
            continue
    return removed


def forget_after_commit(addresses: list[str]) -> None:
    """Once the transaction commits (an erasure), the outbox loses every message sent to these addresses; a
    rollback keeps them. Files cannot roll back, hence after the commit rather than during the transaction."""
    after_commit(FORGET_KEY, (current_app.config["MAILDIR_PATH"], addresses))


@on_commit(FORGET_KEY)
def _forget_pending(pending: list[tuple[str, list[str]]]) -> None:
    by_path: dict[str, set[str]] = {}
    for path, addresses in pending:
        by_path.setdefault(path, set()).update(addresses)
    for path, addresses in by_path.items():
        try:
            removed = remove_messages_to(path, addresses)
        except OSError:
            log.exception("outbox %s: could not remove the messages of an erased person", path)
            continue
        if removed:
            log.info("outbox %s: %s message(s) of an erased person removed", path, removed)
