from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db


class BounceMatch(StrEnum):
    """How a report was tied to a mail we sent (crm.bounces.matching); none: not tied, never applied."""

    VERP = "verp"  # sent back to bounces+<delivery>@ (the envelope sender of that delivery)
    MESSAGE_ID = "message_id"  # the report quotes the Message-ID a delivery was sent with
    ADDRESS = "address"  # names only the address, which was sent a mail within BOUNCE_MATCH_DAYS
    SMTP = "smtp"  # refused by the relay while we sent it


class Bounce(db.Model):
    """One failure report about one address; the address is kept only as the suppression list's SHA-256.

    A report that cannot be tied to a delivery we made (``applied`` false, ``matched_by`` none) is kept only to be
    counted on the bounces page: it suppresses nothing and scores nothing. Rows older than the matching have
    ``matched_by`` none and ``applied`` true."""

    __tablename__ = "bounces"
    __table_args__ = (
        sa.Index("ix_bounces_email_hash_created_at", "email_hash", "created_at"),
        # A report read twice (the ingest stopped between its commit and marking the message seen) counts once.
        sa.UniqueConstraint("report_key", "email_hash", name="uq_bounces_report_key_email_hash"),
        # The bounces page: the latest reports, and those that could not be tied to a mail of ours.
        sa.Index("ix_bounces_applied_created_at", "applied", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(sa.String(64))
    permanent: Mapped[bool]
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(sa.String(10))  # "smtp" (refused at send time) or "dsn" (mailbox)
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    # SHA-256 of the failure report as received (source "dsn"); none for a refusal at send time.
    report_key: Mapped[str | None] = mapped_column(sa.String(64))
    applied: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    matched_by: Mapped[str | None] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
