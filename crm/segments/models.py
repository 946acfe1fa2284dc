from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import TimestampMixin
from crm.extensions import db


class Segment(TimestampMixin, db.Model):
    """A saved filter; ``criteria`` holds the fields of ``SegmentCriteria`` that are set."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    criteria: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    def __str__(self) -> str:
        return self.name
