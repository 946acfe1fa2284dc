"""The site's déclaration d'accessibilité (RGAA 4.1): one row, the conformity status and the texts an admin keeps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l


class Conformity(StrEnum):
    """The three states of the RGAA model declaration."""

    FULL = "totale"
    PARTIAL = "partielle"
    NONE = "non"


# As the RGAA asks them to be written: "Accessibilité : partiellement conforme" in the footer, and in the page.
CONFORMITY_LABELS = {
    Conformity.FULL: _l("totalement conforme"),
    Conformity.PARTIAL: _l("partiellement conforme"),
    Conformity.NONE: _l("non conforme"),
}


class AccessibilityStatement(db.Model):
    """The one declaration of the site (id 1). Free texts are Markdown, shown sanitised (nh3)."""

    __tablename__ = "accessibility_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=Conformity.PARTIAL.value)
    audit_summary: Mapped[str] = mapped_column(sa.Text, default="")
    non_accessible: Mapped[str] = mapped_column(sa.Text, default="")
    contact: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def conformity(self) -> Conformity:
        try:
            return Conformity(self.status)
        except ValueError:
            return Conformity.NONE
