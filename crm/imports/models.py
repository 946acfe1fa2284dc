"""What the import remembers: the last column mapping chosen for each header name."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db


class ImportMapping(db.Model):
    """One row per header (as a search key): the field it was last mapped to ('' = ignored)."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    header_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    field: Mapped[str] = mapped_column(sa.String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
