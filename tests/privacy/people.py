"""Fictional people with something in every table that can point at them, including the tables other
features add (deliveries, events and invitations, signups) when their models are present."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from crm.consent import services as consent
from crm.consent.models import ConsentAction, OptInStatus
from crm.db import utcnow
from crm.extensions import db
from crm.partners import services as partners
from crm.partners.models import Contact


def table(name: str) -> sa.Table | None:
    return db.metadata.tables.get(name)


def make_organisation(name: str = "Ateliers Fictifs du Perche", commune: str = "Alençon") -> Any:
    return partners.save_organisation(partners.OrganisationInput(name=name, kind="entreprise",
                                                                 sectors=["plasturgie"], postal_code="61000",
                                                                 commune=commune))


def make_person(first: str, last: str, email: str, phone: str, organisation: Any = None,
                events: list[int] | None = None, status: str = "invited") -> Contact:
    contact = partners.save_contact(partners.ContactInput(
        email=email, first_name=first, last_name=last, phone=phone, job_title="Gérante",
        organisation_id=organisation.id if organisation else None, sectors=["plasturgie"], axes=["innovation"]))
    partners.save_contact(partners.ContactInput(  # an update: the audit log gets a diff with the old values
        email=email, first_name=first, last_name=last, phone=phone, job_title="Directrice",
        organisation_id=organisation.id if organisation else None, sectors=["plasturgie"], axes=["innovation"]),
        contact)
    partners.add_note(f"Appel de {first} {last} au sujet d'un projet d'extension.", "call", contact=contact)
    partners.add_note("Rendez-vous sur site prévu.", "meeting", contact=contact)
    if organisation is not None:
        partners.add_note(f"{first} {last} ({email}, {phone}) représentera la structure.", "remark",
                          organisation=organisation)
    consent.record(contact, ConsentAction.SUBSCRIBE, source="form", wording_version="v1",
                   wording="J'accepte de recevoir la lettre.", ip="192.0.2.10", detail=f"demande de {email}")
    consent.set_status(contact, OptInStatus.PENDING)
    consent.record(contact, ConsentAction.CONFIRM, source="email_link", ip="192.0.2.10")
    consent.set_status(contact, OptInStatus.CONFIRMED)
    consent.set_topics(contact, {"lettre", "evenements"})
    _deliveries(contact)
    for event_id in events or []:
        _invite(contact, event_id, status)
    db.session.flush()
    return contact


def _deliveries(contact: Contact) -> None:
    deliveries = table("deliveries")
    if deliveries is None:
        return
    now = utcnow()
    for n in range(2):
        row: dict[str, Any] = {"kind": "newsletter", "contact_id": contact.id, "dedupe_key": f"test:{contact.id}:{n}",
                               "status": "sent", "attempts": 1, "next_attempt_at": now, "sent_at": now,
                               "created_at": now, "message_id": f"<d{contact.id}{n}@example.org>"}
        for column in deliveries.columns:  # columns added later by the newsletter helper
            if column.name not in row and not column.nullable and column.default is None \
                    and column.server_default is None and not column.primary_key:
                row[column.name] = 0 if isinstance(column.type, sa.Integer) else ""
        db.session.execute(sa.insert(deliveries).values(row))


def make_event(title: str, days: int = 20) -> int | None:
    events = table("events")
    if events is None:
        return None
    now = utcnow()
    result = db.session.execute(sa.insert(events).values(
        uid=secrets.token_hex(8), kind=_first_kind(), title=title, description="", starts_at=now + timedelta(days=days),
        ends_at=now + timedelta(days=days, hours=2), place="Alençon", status="planned", is_public=False, sequence=0,
        created_at=now, updated_at=now))
    return result.inserted_primary_key[0]


def _first_kind() -> str:
    from crm.events.models import EventKind

    return next(iter(EventKind)).value


def _invite(contact: Contact, event_id: int, status: str) -> None:
    invitations = table("invitations")
    if invitations is None:
        return
    now = utcnow()
    db.session.execute(sa.insert(invitations).values(
        event_id=event_id, contact_id=contact.id, status=status, token=secrets.token_urlsafe(24),
        answer_count=1 if status != "invited" else 0, answered_at=now if status != "invited" else None,
        created_at=now))


def generic_dump(contact_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table with a foreign key to contacts.id that points at this contact."""
    dump: dict[str, list[dict[str, Any]]] = {}
    for tbl in db.metadata.sorted_tables:
        for column in tbl.columns:
            if any(fk.column.table.name == "contacts" for fk in column.foreign_keys):
                stmt = sa.select(tbl).where(column == contact_id).order_by(*tbl.primary_key.columns)
                rows = db.session.execute(stmt).mappings().all()
                if rows:
                    dump[f"{tbl.name}.{column.name}"] = [as_json(dict(r)) for r in rows]
    return dump


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def count_rows_pointing_at(contact_id: int) -> dict[str, int]:
    return {name: len(rows) for name, rows in generic_dump(contact_id).items()}


def text_occurrences(needles: list[str]) -> list[str]:
    """Every (table.column, row) where one of the needles appears, in any text or JSON column."""
    found = []
    lowered = [n.lower() for n in needles if n]
    for tbl in db.metadata.sorted_tables:
        columns = [c for c in tbl.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)
                   or isinstance(getattr(c.type, "impl", None), sa.String | sa.Text)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).mappings():
            for column in columns:
                value = row[column.name]
                if value is None:
                    continue
                text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                for needle in lowered:
                    if needle in text.lower():
                        found.append(f"{tbl.name}.{column.name}: {text[:120]}")
    return found
