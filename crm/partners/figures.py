"""The partners' key figures on the dashboard: each counts the very statement of the list it leads to, so the
figure and the list cannot disagree."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.partners import queries
from crm.partners.models import AmbassadorStatus, Note, NoteKind
from crm.partners.queries import PartnerFilters


def count_of(stmt: sa.Select[Any]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


def organisations(**filters: str) -> int:
    """The organisations list with these filters (``partners.organisations``)."""
    return count_of(queries.organisations_statement(PartnerFilters(**filters)))


def contacts(**filters: str) -> int:
    """The contacts list with these filters (``partners.contacts``)."""
    return count_of(queries.contacts_statement(PartnerFilters(**filters)))


def club_members(today: date | None = None) -> int:
    return count_of(queries.club_members_statement(today))


def open_tasks() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Note)
                             .where(Note.kind == NoteKind.TASK.value, Note.done_at.is_(None))) or 0


def ambassador_candidates() -> int:
    """A candidacy to examine is a contact whose status is "candidate", however it became one (the public form,
    the contact card, an import): the contacts list filtered on that status."""
    return contacts(ambassador=AmbassadorStatus.CANDIDATE.value)
