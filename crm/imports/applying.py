"""The real run: applies a plan with bulk statements, in the caller's transaction (all or nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.consent.services import email_hash
from crm.consent.models import ConsentAction, ConsentRecord, OptInStatus, Subscription, Topic, contact_topics
from crm.db import utcnow
from crm.extensions import db
from crm.imports.planning import Action, Plan, Progress, RowPlan, _chunks, key_filter
from crm.partners.models import Contact, Organisation, contact_sectors, contact_words, organisation_sectors
from crm.partners.normalize import search_key
from crm.partners.words import contact_word_rows, refresh_contact_words, refresh_organisation_words

IMPORT_SOURCE = "import"
NEWSLETTER_TOPIC = "lettre"
IMPORT_WORDING = "Consentement à la lettre d'information recueilli avant l'outil et déclaré dans le fichier importé."


class ImportRefused(ValueError):
    """Raised before anything is written (strict mode with refused rows)."""


def _insert_returning(table: sa.Table, rows: list[dict[str, Any]], *keys: str) -> Iterator[Any]:
    """Batched INSERT ... RETURNING id and the given unique keys (rows come back in no particular order:
    asking for parameter order makes SQLite insert one row per statement)."""
    for chunk in _chunks(rows):
        stmt = sa.insert(table).returning(table.c.id, *(table.c[k] for k in keys))
        yield from db.session.execute(stmt, chunk)


def _bulk_update(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """One UPDATE per set of changed columns, executed many times (no per-row SELECT)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        values = {k: v for k, v in row.items() if k != "id"}
        groups.setdefault(tuple(sorted(values)), []).append(
            {"_id": row["id"], **{f"v_{k}": v for k, v in values.items()}})
    for names, params in groups.items():
        stmt = (sa.update(table).where(table.c.id == sa.bindparam("_id"))
                .values({name: sa.bindparam(f"v_{name}") for name in names}))
        if "updated_at" in table.c and "updated_at" not in names:
            stmt = stmt.values(updated_at=utcnow())
        for chunk in _chunks(params):
            db.session.connection().execute(stmt, chunk)


def _organisation_row(values: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in values.items() if v is not None or k in {"siret", "postal_code", "kind_id"}}
    row.setdefault("name", "")
    for name in ("address", "commune", "website"):
        row[name] = row.get(name) or ""
    row["name_key"] = search_key(row["name"])
    row["commune_key"] = search_key(row["commune"])
    return row


def _history(plan: Plan, new: dict[str, Any], old: dict[str, Any]) -> dict[str, list[Any]]:
    """[old, new] per changed field, as crm.audit.services records them: a kind by its code."""
    changes = {}
    for name, value in new.items():
        before = old.get(name)
        if name == "kind_id":
            name, before, value = "kind", plan.kind_codes.get(before), plan.kind_codes.get(value)
        changes[name] = [before, value]
    return changes


class _History:
    """The audit entries of a run, inserted by batches as they come (a large import never holds them all)."""

    BATCH = 1000

    def __init__(self, user_id: int | None, now: Any) -> None:
        self.user_id, self.now = user_id, now
        self._rows: list[dict[str, Any]] = []

    def add(self, entry: dict[str, Any]) -> None:
        self._rows.append({"user_id": self.user_id, "at": self.now, **entry})
        if len(self._rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            db.session.execute(sa.insert(AuditLog.__table__), self._rows)
            self._rows = []


def apply_plan(plan: Plan, *, filename: str = "", user_id: int | None = None, strict: bool = False,
               progress: Progress | None = None) -> dict[str, int]:
    """Writes what the plan says; the caller commits, or rolls back on any error (nothing half-written)."""
    if strict and plan.refused:
        raise ImportRefused(f"{len(plan.refused)} ligne(s) refusée(s) : rien n'a été importé (mode tout ou rien).")
    now = utcnow()
    history = _History(user_id, now)
    org_ids = _apply_organisations(plan, filename, now, history)
    _apply_contacts(plan, org_ids, filename, now, history, progress)
    _subscribe(plan, filename, now)
    summary = plan.summary()
    history.add({"action": "import", "entity_type": "import", "entity_id": None,
                 "summary": f"Import de {filename or 'fichier'} : {summary['contacts_created']} créé(s), "
                            f"{summary['contacts_updated']} mis à jour, {summary['refused']} refusé(s)",
                 "changes": summary})
    history.flush()
    db.session.flush()
    return summary


def _apply_organisations(plan: Plan, filename: str, now: Any, history: _History) -> dict[str, int]:
    table = Organisation.__table__
    org_ids = {key: p.existing_id for key, p in plan.organisations.items() if p.existing_id is not None}
    creating = [p for p in plan.organisations.values() if p.action is Action.CREATE]
    rows = [{**_organisation_row(p.values), "created_at": now, "updated_at": now} for p in creating]
    by_key = {p.key: p for p in creating}
    for new_id, siret, name_key in _insert_returning(table, rows, "siret", "name_key"):
        org_plan = by_key[f"siret:{siret}" if siret else f"name:{name_key}"]
        org_ids[org_plan.key] = new_id
        history.add({"action": "create", "entity_type": "organisation", "entity_id": new_id,
                     "summary": f"Structure créée par import ({filename}, ligne {org_plan.line})", "changes": {}})
    updating = [p for p in plan.organisations.values() if p.action is Action.UPDATE and p.values]
    updates = []
    for org_plan in updating:
        values = dict(org_plan.values)
        if "name" in values:
            values["name_key"] = search_key(values["name"])
        if "commune" in values:
            values["commune_key"] = search_key(values["commune"])
        updates.append({"id": org_plan.existing_id, **values})
        history.add({"action": "update", "entity_type": "organisation", "entity_id": org_plan.existing_id,
                     "summary": f"Structure mise à jour par import ({filename})",
                     "changes": _history(plan, org_plan.values, org_plan.previous)})
    _bulk_update(table, updates)
    _add_links(organisation_sectors, "organisation_id",
               [(org_ids[p.key], s) for p in plan.organisations.values()
                if p.action in (Action.CREATE, Action.UPDATE) for s in p.sector_ids])
    refresh_organisation_words([org_ids[p.key] for p in creating] +
                               [u["id"] for u in updates if "name_key" in u or "commune_key" in u])
    return org_ids


def _add_links(table: sa.Table, owner: str, pairs: list[tuple[int, int]]) -> None:
    """Adds (owner, sector) links that are not there yet."""
    if not pairs:
        return
    wanted = set(pairs)
    owners = sorted({o for o, _ in wanted})
    for chunk in _chunks(owners):
        existing = db.session.execute(sa.select(table.c[owner], table.c.sector_id).where(key_filter(table.c[owner], chunk)))
        wanted -= {(o, s) for o, s in existing}
    rows = [{owner: o, "sector_id": s} for o, s in sorted(wanted)]
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(table), chunk)


def _new_contact(row: RowPlan, org_ids: dict[str, int], now: Any) -> dict[str, Any]:
    values = dict(row.contact_values)
    values.update(first_name_key=search_key(values["first_name"]), last_name_key=search_key(values["last_name"]),
                  ambassador_status="none", language="fr", created_at=now, updated_at=now,
                  organisation_id=org_ids.get(row.organisation_key) if row.organisation_key else None)
    if "email_hash" in Contact.__table__.c:  # kept in step by an ORM listener, which bulk inserts bypass
        values["email_hash"] = email_hash(values["email"])
    return values


def _apply_contacts(plan: Plan, org_ids: dict[str, int], filename: str, now: Any, history: _History,
                    progress: Progress | None) -> None:
    """Creates, then updates, contacts by batches of 500: the rows written are never all held at once."""
    table = Contact.__table__
    creating = [row for row in plan.rows if row.action is Action.CREATE and row.email]
    for chunk in _chunks(creating):
        by_email = {row.email: row for row in chunk}
        word_rows: list[dict[str, object]] = []
        new_rows = [_new_contact(row, org_ids, now) for row in chunk]
        for new_id, email, first_key, last_key in _insert_returning(table, new_rows, "email", "first_name_key",
                                                                    "last_name_key"):
            row = by_email[email]
            row.contact_id = new_id
            word_rows.extend(contact_word_rows(new_id, first_key, last_key))
            history.add({"action": "create", "entity_type": "contact", "entity_id": new_id,
                         "summary": f"Contact créé par import ({filename}, ligne {row.line})",
                         "changes": {"email": [None, row.email]}})
        if word_rows:
            db.session.execute(sa.insert(contact_words), word_rows)
        if progress:
            progress(len(chunk))
    updating = [row for row in plan.rows
                if row.action is Action.UPDATE and row.contact_id is not None and row.contact_values]
    for chunk in _chunks(updating):
        updates = []
        for row in chunk:
            values = dict(row.contact_values)
            changes = dict(values)
            if "organisation" in values:
                values["organisation_id"] = changes["organisation"] = org_ids[values.pop("organisation")]
            for name in ("first_name", "last_name"):
                if name in values:
                    values[f"{name}_key"] = search_key(values[name])
            updates.append({"id": row.contact_id, **values})
            history.add({"action": "update", "entity_type": "contact", "entity_id": row.contact_id,
                         "summary": f"Contact mis à jour par import ({filename}, ligne {row.line})",
                         "changes": _history(plan, changes, row.contact_previous or {})})
        _bulk_update(table, updates)
        refresh_contact_words([u["id"] for u in updates if "first_name_key" in u or "last_name_key" in u])
    _add_links(contact_sectors, "contact_id",
               [(row.contact_id, s) for row in plan.rows if row.contact_id and row.action in
                (Action.CREATE, Action.UPDATE) for s in row.sector_ids])
    if progress:
        progress(len(plan.rows) - len(creating))


def _subscribe(plan: Plan, filename: str, now: Any) -> None:
    rows = [row for row in plan.rows if row.subscribe and row.contact_id]
    if not rows:
        return
    ids = [row.contact_id for row in rows]
    existing: set[int] = set()
    for chunk in _chunks(ids):
        existing.update(db.session.scalars(sa.select(Subscription.contact_id)
                                           .where(key_filter(Subscription.contact_id, chunk))))
    fresh = [{"contact_id": i, "status": OptInStatus.CONFIRMED.value, "requested_at": now, "confirmed_at": now,
              "updated_at": now} for i in ids if i not in existing]
    for chunk in _chunks(fresh):
        db.session.execute(sa.insert(Subscription.__table__), chunk)
    stale = [{"id": i, "status": OptInStatus.CONFIRMED.value, "confirmed_at": now} for i in ids if i in existing]
    if stale:
        table = Subscription.__table__
        stmt = (sa.update(table).where(table.c.contact_id == sa.bindparam("_id"))
                .values(status=sa.bindparam("v_status"), confirmed_at=sa.bindparam("v_confirmed_at"), updated_at=now))
        db.session.connection().execute(stmt, [{"_id": r["id"], "v_status": r["status"],
                                                "v_confirmed_at": r["confirmed_at"]} for r in stale])
    ledger = [{"contact_id": row.contact_id, "kind": "newsletter", "action": ConsentAction.IMPORT.value,
               "source": IMPORT_SOURCE, "wording_version": "import", "wording": IMPORT_WORDING,
               "detail": f"Fichier {filename}, ligne {row.line}"[:300], "at": now} for row in rows]
    for chunk in _chunks(ledger):
        db.session.execute(sa.insert(ConsentRecord.__table__), chunk)
    topic_id = db.session.scalar(sa.select(Topic.id).where(Topic.code == NEWSLETTER_TOPIC))
    if topic_id is not None:
        has = set()
        for chunk in _chunks(ids):
            has.update(db.session.scalars(sa.select(contact_topics.c.contact_id).where(
                contact_topics.c.topic_id == topic_id, key_filter(contact_topics.c.contact_id, chunk))))
        links = [{"contact_id": i, "topic_id": topic_id} for i in ids if i not in has]
        for chunk in _chunks(links):
            db.session.execute(sa.insert(contact_topics), chunk)
