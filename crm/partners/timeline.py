"""A contact's or organisation's timeline: notes and audited changes, newest first.

Audited changes are stored as codes (crm.audit.services); here they are read with labels, in the reader's
language: a civility, an ambassador status, a kind or a sector by its label, a structure by its name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date

from crm.audit.display import ChangeLine, Format, change_lines, mapped, plain
from crm.audit.models import AuditLog
from crm.audit.services import FIELD_LABELS, entries_for
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.partners.models import (
    AMBASSADOR_LABELS,
    CIVILITIES,
    Axis,
    Note,
    Organisation,
    OrganisationKind,
    Sector,
)
from crm.partners.territory import department_label

# Entries whose changes are shown field by field; the others (creation, merge, erasure) say it in their summary.
DETAILED_ACTIONS = {"update", "ambassador"}
# Entries whose stored summary quotes codes: their title is said here instead.
TITLES = {"ambassador": _l("Statut ambassadeur modifié")}
LANGUAGES = {"fr": "Français", "en": "English"}


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "note" or "audit"
    note: Note | None = None
    audit: AuditLog | None = None
    title: str = ""
    changes: list[ChangeLine] = field(default_factory=list)


def _notes(column: sa.ColumnElement[int | None], subject_id: int) -> list[Note]:
    return list(db.session.scalars(sa.select(Note).where(column == subject_id).order_by(Note.occurred_at.desc())))


class _Labels:
    """The label maps of partner fields, each read from the database once per timeline, when first needed."""

    def __init__(self, entries: list[AuditLog]) -> None:
        self._entries = entries

    @cached_property
    def kinds(self) -> dict[Any, str]:
        rows = db.session.execute(sa.select(OrganisationKind.id, OrganisationKind.code, OrganisationKind.label))
        return {key: label for kind_id, code, label in rows for key in (kind_id, code)}

    @cached_property
    def sectors(self) -> dict[str, str]:
        return {code: label for code, label in db.session.execute(sa.select(Sector.code, Sector.label))}

    @cached_property
    def axes(self) -> dict[str, str]:
        return {code: label for code, label in db.session.execute(sa.select(Axis.code, Axis.label))}

    @cached_property
    def organisations(self) -> dict[Any, str]:
        """Names of the structures the entries mention: by id, and by the keys older imports stored
        ("siret:…", "name:…")."""
        ids: set[int] = set()
        sirets: set[str] = set()
        name_keys: set[str] = set()
        for entry in self._entries:
            value = entry.changes.get("organisation") if isinstance(entry.changes, dict) else None
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int):
                    ids.add(item)
                elif isinstance(item, str) and item.startswith("siret:"):
                    sirets.add(item.removeprefix("siret:"))
                elif isinstance(item, str) and item.startswith("name:"):
                    name_keys.add(item.removeprefix("name:"))
        names: dict[Any, str] = {}
        if not (ids or sirets or name_keys):
            return names
        stmt = sa.select(Organisation.id, Organisation.siret, Organisation.name_key, Organisation.name).where(
            sa.or_(Organisation.id.in_(ids), Organisation.siret.in_(sirets), Organisation.name_key.in_(name_keys)))
        for org_id, siret, name_key, name in db.session.execute(stmt):
            names[org_id] = name
            if siret:
                names[f"siret:{siret}"] = name
            names.setdefault(f"name:{name_key}", name)
        return names

    def organisation(self, value: Any) -> str:
        if isinstance(value, int) and value not in self.organisations:
            return str(_l("structure n° %(number)s (supprimée)", number=value))
        return mapped(self.organisations)(value)

    def formats(self) -> dict[str, Format]:
        return {
            "civility": mapped(CIVILITIES),
            "ambassador_status": mapped(AMBASSADOR_LABELS),
            "language": mapped(LANGUAGES),
            "kind": lambda value: mapped(self.kinds)(value),
            "kind_id": lambda value: mapped(self.kinds)(value),
            "sectors": lambda value: mapped(self.sectors)(value),
            "axes": lambda value: mapped(self.axes)(value),
            "organisation": self.organisation,
            "department": lambda value: department_label(value) or plain(value),
            "kit_sent_on": _date,
            "ambassador_since": _date,
        }


def _date(value: Any) -> str:
    try:
        return format_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return plain(value)


def _audit_entries(entries: list[AuditLog]) -> list[TimelineEntry]:
    labels = _Labels(entries)
    formats = labels.formats()
    result = []
    for entry in entries:
        title = str(TITLES[entry.action]) if entry.action in TITLES else entry.summary
        lines: list[ChangeLine] = []
        if entry.action in DETAILED_ACTIONS and isinstance(entry.changes, dict):
            lines = change_lines(entry.changes, {**FIELD_LABELS, "kind_id": FIELD_LABELS["kind"]}, formats)
        result.append(TimelineEntry(at=entry.at, kind="audit", audit=entry, title=title, changes=lines))
    return result


def build(entity_type: str, entity_id: int) -> list[TimelineEntry]:
    column = Note.contact_id if entity_type == "contact" else Note.organisation_id
    entries = [TimelineEntry(at=n.occurred_at, kind="note", note=n) for n in _notes(column, entity_id)]
    entries += _audit_entries(entries_for(entity_type, entity_id))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def open_tasks(entity_type: str, entity_id: int) -> list[Note]:
    column = Note.contact_id if entity_type == "contact" else Note.organisation_id
    stmt = sa.select(Note).where(column == entity_id, Note.kind == "task", Note.done_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Note.occurred_at)))
