from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db


class Image(db.Model):
    """An image uploaded for a letter, checked and re-encoded: stored once under its content hash, served at a
    public address that never changes (``/medias/<digest>.<extension>``)."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the stored file
    extension: Mapped[str] = mapped_column(sa.String(5))
    content_type: Mapped[str] = mapped_column(sa.String(20))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    original_name: Mapped[str] = mapped_column(sa.String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def filename(self) -> str:
        return f"{self.digest}.{self.extension}"
