"""Tying a failure report to a mail we sent: only such a report may suppress an address.

Anyone can send a delivery status notification to the bounce mailbox, naming any address. A report applies to
an address only when it can be tied to a delivery we made to that very address:

1. by VERP: it came back to ``bounces+<delivery id>@`` (the envelope sender of that delivery, see
   ``crm.mail.pipeline._envelope_from`` and the setting ``BOUNCE_ADDRESS``);
2. by the Message-ID of the mail that bounced, quoted in the report (``Delivery.message_id``, in the sender's
   domain and random);
3. for a report that names only an address: that address was sent a mail within ``BOUNCE_MATCH_DAYS`` (30).

Anything else is recorded as unmatched (counted on the bounces page, logged) and applied to nothing.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message

import sqlalchemy as sa
from flask import current_app

from crm.bounces.models import BounceMatch
from crm.db import utcnow
from crm.extensions import db
from crm.mail.models import Delivery, DeliveryStatus
from crm.partners.models import Contact

# A delivery we made: the relay accepted it (a bounce may have come back since).
MADE = (DeliveryStatus.SENT.value, DeliveryStatus.BOUNCED.value)


@dataclass(frozen=True)
class Quoted:
    """The delivery a report points at (by VERP or by Message-ID), with its recipient's address."""

    delivery_id: int
    email: str | None
    matched_by: BounceMatch


def verp_delivery_id(message: Message) -> int | None:
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


def original_message_ids(message: Message) -> list[str]:
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


def _made(condition: sa.ColumnElement[bool]) -> tuple[int, str | None] | None:
    row = db.session.execute(
        sa.select(Delivery.id, Contact.email).outerjoin(Contact, Contact.id == Delivery.contact_id)
        .where(condition, Delivery.status.in_(MADE)).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def quoted_deliveries(message: Message) -> list[Quoted]:
    """The deliveries of ours the report names, by VERP first, then by quoted Message-ID."""
    found: list[Quoted] = []
    delivery_id = verp_delivery_id(message)
    if delivery_id is not None and (row := _made(Delivery.id == delivery_id)) is not None:
        found.append(Quoted(row[0], row[1], BounceMatch.VERP))
    for message_id in original_message_ids(message):
        if (row := _made(Delivery.message_id == message_id)) is not None:
            found.append(Quoted(row[0], row[1], BounceMatch.MESSAGE_ID))
    return found


def recent_delivery_id(address: str) -> int | None:
    """The latest delivery of ours to this address within BOUNCE_MATCH_DAYS, if any."""
    since = utcnow() - timedelta(days=current_app.config["BOUNCE_MATCH_DAYS"])
    return db.session.scalar(
        sa.select(Delivery.id).join(Contact, Contact.id == Delivery.contact_id)
        .where(Contact.email == address, Delivery.status.in_(MADE), Delivery.sent_at >= since)
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc()).limit(1))


def tie(address: str, quoted: list[Quoted]) -> tuple[int, BounceMatch] | None:
    """The delivery this report about ``address`` is tied to, and how; None when it is tied to none."""
    for item in quoted:
        if item.email == address:
            return item.delivery_id, item.matched_by
    recent = recent_delivery_id(address)
    if recent is not None:
        return recent, BounceMatch.ADDRESS
    return None
