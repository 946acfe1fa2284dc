"""A contact's or organisation's timeline: notes and audited changes, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.audit.services import entries_for
from crm.extensions import db
from crm.partners.models import Note


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "note" or "audit"
    note: Note | None = None
    audit: AuditLog | None = None


def _notes(column: sa.ColumnElement[int | None], subject_id: int) -> list[Note]:
    return list(db.session.scalars(sa.select(Note).where(column == subject_id).order_by(Note.occurred_at.desc())))


def build(entity_type: str, entity_id: int) -> list[TimelineEntry]:
    column = Note.contact_id if entity_type == "contact" else Note.organisation_id
    entries = [TimelineEntry(at=n.occurred_at, kind="note", note=n) for n in _notes(column, entity_id)]
    entries += [TimelineEntry(at=a.at, kind="audit", audit=a) for a in entries_for(entity_type, entity_id)]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def open_tasks(entity_type: str, entity_id: int) -> list[Note]:
    column = Note.contact_id if entity_type == "contact" else Note.organisation_id
    stmt = sa.select(Note).where(column == entity_id, Note.kind == "task", Note.done_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Note.occurred_at)))
