"""Reading delivery status notifications from a Maildir or an IMAP mailbox (flufl.bounce recognises them)."""

from __future__ import annotations

import email
import imaplib
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flufl.bounce import all_failures

from crm.bounces.services import BounceOutcome, record_bounce
from crm.extensions import db
from crm.mail.models import Delivery
from crm.partners.normalize import InvalidEmail, normalize_email

log = logging.getLogger(__name__)
SEEN = "S"


@dataclass
class IngestReport:
    messages: int = 0
    not_bounces: int = 0
    suppressed: list[str] = field(default_factory=list)
    scored: list[str] = field(default_factory=list)


def _verp_delivery_id(message: Message) -> int | None:
    """bounces+<id>@domain in the headers a receiving MTA writes (the bounce goes to our envelope sender)."""
    bounce = current_app.config.get("BOUNCE_ADDRESS") or ""
    if "@" not in bounce:
        return None
    local = re.escape(bounce.split("@", 1)[0])
    pattern = re.compile(rf"{local}\+(\d+)@", re.IGNORECASE)
    for header in ("Delivered-To", "X-Original-To", "Envelope-To", "To"):
        for value in message.get_all(header, []):
            match = pattern.search(str(value))
            if match:
                return int(match.group(1))
    return None


def _original_message_ids(message: Message) -> list[str]:
    """The Message-ID of the mail that bounced, where the report quotes it."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is None and isinstance(payload, str):
                inner = email.message_from_string(payload)
            if isinstance(inner, Message) and inner.get("Message-ID"):
                found.append(str(inner["Message-ID"]).strip())
    return found


def _delivery_for(message: Message) -> Delivery | None:
    delivery_id = _verp_delivery_id(message)
    if delivery_id is not None:
        return db.session.get(Delivery, delivery_id)
    for message_id in _original_message_ids(message):
        delivery = db.session.scalar(sa.select(Delivery).where(Delivery.message_id == message_id))
        if delivery is not None:
            return delivery
    return None


def _addresses(raw: frozenset[bytes]) -> set[str]:
    addresses = set()
    for item in raw:
        try:
            addresses.add(normalize_email(item.decode("utf-8", "replace")))
        except InvalidEmail:
            log.info("ignoring unparsable bounced address %r", item)
    return addresses


def process_message(raw: bytes, report: IngestReport) -> None:
    """One message: each permanently failed address is suppressed, each temporary one scored. Flushes."""
    report.messages += 1
    message = email.message_from_bytes(raw)
    temporary, permanent = all_failures(message)
    if not temporary and not permanent:
        report.not_bounces += 1
        return
    delivery = _delivery_for(message)
    delivery_email = delivery.contact.email if delivery is not None and delivery.contact is not None else None
    for address, is_permanent in [*((a, True) for a in _addresses(permanent)),
                                  *((a, False) for a in _addresses(temporary - permanent))]:
        tied = delivery.id if delivery is not None and delivery_email == address else None
        outcome = record_bounce(address, permanent=is_permanent, delivery_id=tied, source="dsn",
                                detail=("rejet définitif" if is_permanent else "rejet temporaire") + " (DSN)")
        if outcome is BounceOutcome.SUPPRESSED:
            report.suppressed.append(address)
        elif outcome is BounceOutcome.SCORED:
            report.scored.append(address)


def _maildir_messages(path: str) -> Iterator[tuple[bytes, mailbox.Maildir, str]]:
    for sub in ("tmp", "new", "cur"):
        (Path(path) / sub).mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in list(box.keys()):
        message = box.get_message(key)
        if SEEN in message.get_flags():
            continue
        with box.get_file(key) as handle:
            yield handle.read(), box, key


def ingest_maildir(path: str) -> IngestReport:
    """Reads every unseen message, then marks it seen; commits after each message."""
    report = IngestReport()
    for raw, box, key in _maildir_messages(path):
        process_message(raw, report)
        db.session.commit()
        message = box.get_message(key)
        message.set_subdir("cur")
        message.add_flag(SEEN)
        box[key] = message
    return report


def ingest_imap(host: str, user: str, password: str, folder: str = "INBOX") -> IngestReport:
    """Reads unseen messages over IMAPS, marks each seen once processed and committed."""
    report = IngestReport()
    with imaplib.IMAP4_SSL(host) as imap:
        imap.login(user, password)
        imap.select(folder)
        _, data = imap.search(None, "UNSEEN")
        for number in data[0].split():
            _, parts = imap.fetch(number, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            process_message(raw, report)
            db.session.commit()
            imap.store(number, "+FLAGS", "\\Seen")
    return report


def ingest_configured() -> IngestReport | None:
    """Whatever mailbox the configuration names; None when none is configured."""
    config = current_app.config
    if config.get("BOUNCE_MAILDIR"):
        return ingest_maildir(config["BOUNCE_MAILDIR"])
    if config.get("BOUNCE_IMAP_HOST"):
        return ingest_imap(config["BOUNCE_IMAP_HOST"], config["BOUNCE_IMAP_USER"] or "",
                           config["BOUNCE_IMAP_PASSWORD"] or "", config["BOUNCE_IMAP_FOLDER"])
    return None
