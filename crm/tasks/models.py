"""The team's own tasks: a due date, an owner (a back-office user), a status, and what they are about.

A task is about a contact or an organisation (kernel records, by foreign key: privacy finds the rows of a
person), or about a feature's record (a project, a request, an event) named by ``subject_kind`` and
``subject_id``: the feature that owns the kind says, through the ``tasks.subjects`` hook, how to name it and
where it lives. Tasks know no feature.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l

if TYPE_CHECKING:
    from crm.auth.models import User
    from crm.partners.models import Contact, Organisation


class TaskStatus(StrEnum):
    OPEN = "ouverte"
    DONE = "faite"
    CANCELLED = "annulee"


TASK_STATUS_LABELS = {
    TaskStatus.OPEN: _l("À faire"),
    TaskStatus.DONE: _l("Faite"),
    TaskStatus.CANCELLED: _l("Annulée"),
}


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_owner_status_due", "owner_id", "status", "due_on"),
        sa.Index("ix_tasks_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    due_on: Mapped[date]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(10), default=TaskStatus.OPEN.value)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(20), default="")
    subject_id: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    contact: Mapped[Contact | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def status_label(self) -> str:
        return TASK_STATUS_LABELS[TaskStatus(self.status)]

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN.value

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on < today


class TaskDigest(db.Model):
    """The daily digest mailed to one owner: one row a day, so that a second run of the job sends nothing."""

    __tablename__ = "task_digests"
    __table_args__ = (sa.UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date]
    tasks: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
