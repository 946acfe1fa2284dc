from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db


class Bounce(db.Model):
    """One failure report about one address; the address is kept only as the suppression list's SHA-256."""

    __tablename__ = "bounces"
    __table_args__ = (
        sa.Index("ix_bounces_email_hash_created_at", "email_hash", "created_at"),
        # A report read twice (the ingest stopped between its commit and marking the message seen) counts once.
        sa.UniqueConstraint("report_key", "email_hash", name="uq_bounces_report_key_email_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(sa.String(64))
    permanent: Mapped[bool]
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(sa.String(10))  # "smtp" (refused at send time) or "dsn" (mailbox)
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    # SHA-256 of the failure report as received (source "dsn"); none for a refusal at send time.
    report_key: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
