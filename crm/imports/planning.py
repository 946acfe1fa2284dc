"""The dry run: what each row would do (create, update, leave, skip, refuse) and why.

Existing records are looked up in batches (one IN query per 500 keys on unique, indexed columns), so the cost
grows with the size of the file, never with the size of the base times the file.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from crm.consent.models import OptInStatus, Subscription, Suppression
from crm.consent.services import email_hash
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.imports.cleaning import CONTACT_FIELDS, ORGANISATION_FIELDS, CleanRow, Lookups, clean_row
from crm.imports.reading import Sheet
from crm.partners.models import (
    Contact,
    Organisation,
    OrganisationKind,
    Sector,
    contact_sectors,
    organisation_sectors,
)
from crm.partners.normalize import search_key
from crm.partners.services import contact_ids_by_other_email

CHUNK = 500
Progress = Callable[[int], None]


class Mode(StrEnum):
    SKIP = "skip"
    UPDATE = "update"
    FILL = "fill"


MODE_LABELS = {
    Mode.SKIP: _l("Ignorer les fiches existantes"),
    Mode.UPDATE: _l("Mettre à jour les fiches existantes"),
    Mode.FILL: _l("Compléter seulement les champs vides"),
}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"
    REFUSE = "refuse"
    CONFLICT = "conflict"  # the key finds a record with another name: left untouched unless the user accepts it


ACTION_LABELS = {
    Action.CREATE: _l("création"), Action.UPDATE: _l("mise à jour"), Action.UNCHANGED: _l("inchangé"),
    Action.SKIP: _l("ignoré"), Action.REFUSE: _l("refusé"), Action.CONFLICT: _l("conflit"),
}


class AcceptAll:
    """Every conflict accepted (``flask contacts import --accept-conflicts``)."""

    def __contains__(self, line: object) -> bool:
        return True


ACCEPT_ALL = AcceptAll()


@dataclass(frozen=True)
class Conflict:
    """A row's key (SIRET or e-mail) finds a record whose name differs beyond case and accents."""

    key: str  # "SIRET 732…" or "e-mail x@…"
    existing: str  # the record's name
    incoming: str  # the name in the file

    @property
    def message(self) -> str:
        return (f"{self.key} : la fiche existante s'appelle « {self.existing} », "
                f"le fichier dit « {self.incoming} ».")


@dataclass(slots=True)
class OrganisationPlan:
    key: str
    line: int
    action: Action
    existing_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)  # all values (create) or the changed ones (update)
    previous: dict[str, Any] = field(default_factory=dict)  # what the changed ones hold now (update)
    sector_ids: list[int] = field(default_factory=list)  # sectors to add


@dataclass(slots=True)
class RowPlan:
    line: int
    action: Action
    email: str | None = None
    contact_id: int | None = None
    contact_values: dict[str, Any] = field(default_factory=dict)
    contact_previous: dict[str, Any] | None = None  # what the changed ones hold now (update)
    organisation_key: str | None = None
    sector_ids: tuple[int, ...] = ()  # for a contact without organisation
    subscribe: bool = False
    messages: list[str] = field(default_factory=list)
    conflicts: tuple[Conflict, ...] = ()  # kept when the user accepted them

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class Plan:
    mode: Mode
    rows: list[RowPlan]
    organisations: dict[str, OrganisationPlan]
    # Sectors already linked to the matched records, so that only missing links count as an update.
    organisation_sectors: dict[int, set[int]] = field(default_factory=dict)
    contact_sectors: dict[int, set[int]] = field(default_factory=dict)
    kind_codes: dict[int, str] = field(default_factory=dict)  # the history keeps a kind by its code
    accepted: Container[int] = frozenset()  # lines whose conflict the user accepted
    # Each matched record is planned once, under the first key that found it (a SIRET, or a name).
    key_of_existing: dict[int, str] = field(default_factory=dict)

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action is action)

    @property
    def refused(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action is Action.REFUSE]

    @property
    def conflicts(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action is Action.CONFLICT]

    def organisations_with(self, action: Action) -> int:
        return sum(1 for plan in self.organisations.values() if plan.action is action)

    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "contacts_created": self.count(Action.CREATE), "contacts_updated": self.count(Action.UPDATE),
            "unchanged": self.count(Action.UNCHANGED), "skipped": self.count(Action.SKIP),
            "refused": self.count(Action.REFUSE), "conflicts": self.count(Action.CONFLICT),
            "organisations_created": self.organisations_with(Action.CREATE),
            "organisations_updated": self.organisations_with(Action.UPDATE),
            "subscribed": sum(1 for row in self.rows if row.subscribe),
        }


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def load_lookups() -> Lookups:
    kinds: dict[str, int] = {}
    kind_codes: dict[int, str] = {}
    for kind_id, code, label in db.session.execute(sa.select(OrganisationKind.id, OrganisationKind.code,
                                                             OrganisationKind.label)):
        kinds[search_key(code)] = kinds[search_key(label)] = kind_id
        kind_codes[kind_id] = code
    sectors: dict[str, int] = {}
    for sector_id, code, label in db.session.execute(sa.select(Sector.id, Sector.code, Sector.label)):
        sectors[search_key(code)] = sectors[search_key(label)] = sector_id
    return Lookups(kinds=kinds, sectors=sectors, kind_codes=kind_codes)


def key_filter(column: sa.ColumnElement[Any], chunk: list[Any]) -> sa.ColumnElement[bool]:
    """``column IN chunk``, matched through the index on every backend.

    On PostgreSQL a long IN list of bind parameters is matched by a sequential scan that compares every row with
    every value (the planner underestimates it, and the cost then grows with the table), so the keys are given as
    one array and unnested: one index probe per key, whatever the size of the table.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(chunk)
    element = sa.Integer() if chunk and isinstance(chunk[0], int) else sa.Text()
    values = sa.func.unnest(sa.literal(chunk, ARRAY(element))).table_valued("value").render_derived()
    return column.in_(sa.select(values.c.value))


def _rows_by(column: sa.Column[Any], keys: Iterable[Any], *extra: Any) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    unique = sorted(set(keys))
    for chunk in _chunks(unique):
        stmt = sa.select(column.table, *extra).where(key_filter(column, chunk))
        if extra:
            stmt = stmt.outerjoin(Subscription, Subscription.contact_id == column.table.c.id)
        for row in db.session.execute(stmt).mappings():
            found.setdefault(row[column.name], row)
    return found


def _links(owner: sa.Column[Any], ids: list[int]) -> dict[int, set[int]]:
    links: dict[int, set[int]] = {}
    for chunk in _chunks(sorted(set(ids))):
        for owner_id, sector_id in db.session.execute(sa.select(owner, owner.table.c.sector_id)
                                                      .where(key_filter(owner, chunk))):
            links.setdefault(owner_id, set()).add(sector_id)
    return links


def _suppressed(emails: list[str]) -> set[str]:
    hashes = {email_hash(e): e for e in emails}
    found: set[str] = set()
    for chunk in _chunks(list(hashes)):
        found.update(hashes[h] for h in db.session.scalars(sa.select(Suppression.email_hash)
                                                           .where(key_filter(Suppression.email_hash, chunk))))
    return found


def _changes(mode: Mode, new: dict[str, Any], current: Any, fields: Iterable[str],
             previous: dict[str, Any]) -> dict[str, Any]:
    """The new values that change the record; what they replace goes into ``previous`` (for the history)."""
    changes = {}
    for name in fields:
        value = new.get(name)
        if value in (None, ""):
            continue
        old = current[name]
        if mode is Mode.FILL and old not in (None, ""):
            continue
        if old != value:
            changes[name] = value
            previous[name] = old
    return changes


def _cleaned(sheet: Sheet, mapping: list[str], lookups: Lookups,
             emails: list[str | None] | None = None) -> Iterator[CleanRow]:
    """Each row cleaned; ``emails``: the addresses an earlier pass normalised, row by row."""
    columns = [(index, name) for index, name in enumerate(mapping) if name]
    for index, raw in enumerate(sheet.rows):
        yield clean_row(sheet.line_of(index), {name: raw[i] for i, name in columns}, lookups,
                        known_email=emails[index] if emails is not None else None)


def build_plan(sheet: Sheet, mapping: list[str], mode: Mode | str, progress: Progress | None = None, *,
               accepted: Container[int] = frozenset()) -> Plan:
    """``accepted``: the lines whose conflict the user accepted (planned as if there were none).

    Two passes over the rows, each cleaned row dropped as soon as it is used (a large file is never held twice
    in memory): the first collects the keys to look up in the base, the second plans each row."""
    mode = Mode(mode)
    lookups = load_lookups()
    normalised: list[str | None] = []  # each row's address, for the second pass
    emails: set[str] = set()
    sirets: set[str] = set()
    names: set[str] = set()
    consenting: set[str] = set()
    for row in _cleaned(sheet, mapping, lookups):
        normalised.append(row.email)
        if row.errors or row.empty:
            continue
        if row.email:
            emails.add(row.email)
            if row.consent:
                consenting.add(row.email)
        if row.organisation.get("siret"):
            sirets.add(row.organisation["siret"])
        if row.organisation.get("name"):
            names.add(search_key(row.organisation["name"]))
    contacts = _rows_by(Contact.__table__.c.email, emails, Subscription.status)
    # An address kept as another address of a person (a merge) finds that person, never a twin.
    other = contact_ids_by_other_email(sorted(emails - set(contacts)))
    if other:
        by_id = _rows_by(Contact.__table__.c.id, set(other.values()), Subscription.status)
        contacts.update({email: by_id[contact_id] for email, contact_id in other.items() if contact_id in by_id})
    by_siret = _rows_by(Organisation.__table__.c.siret, sirets)
    by_name = _rows_by(Organisation.__table__.c.name_key, names)
    suppressed = _suppressed(sorted(consenting))
    del emails, sirets, names, consenting
    plan = Plan(mode=mode, rows=[], organisations={}, kind_codes=lookups.kind_codes, accepted=accepted,
                organisation_sectors=_links(organisation_sectors.c.organisation_id,
                                            [r["id"] for r in (*by_siret.values(), *by_name.values())]),
                contact_sectors=_links(contact_sectors.c.contact_id, [r["id"] for r in contacts.values()]))
    first_line_of_email: dict[str, int] = {}
    first_line_of_org_row: dict[str, int] = {}
    for index, row in enumerate(_cleaned(sheet, mapping, lookups, normalised)):
        if progress and index % CHUNK == CHUNK - 1:
            progress(CHUNK)
        if row.empty:
            continue
        plan.rows.append(_plan_row(plan, row, contacts, by_siret, by_name, suppressed,
                                   first_line_of_email, first_line_of_org_row))
    if progress:
        progress(len(sheet.rows) % CHUNK)
    return plan


def _match_organisation(org: dict[str, Any], by_siret: dict[str, Any], by_name: dict[str, Any]) -> Any:
    """The structure of the base a row's structure is: the one with its SIRET, else the one with its name."""
    current = by_siret.get(org["siret"]) if org.get("siret") else None
    if current is None and org.get("name"):
        current = by_name.get(search_key(org["name"]))
        if current is not None and org.get("siret") and current["siret"] and current["siret"] != org["siret"]:
            current = None  # same name, another establishment
    return current


def _conflicts(plan: Plan, row: CleanRow, contact: Any, by_siret: dict[str, Any]) -> tuple[Conflict, ...]:
    """Where the row's key finds a record whose name is not the row's (case and accents aside): the row says
    something about another partner or person, and applying it would rename the record."""
    found = []
    org = row.organisation
    current = by_siret.get(org["siret"]) if org.get("siret") else None
    if current is not None and org.get("name") and search_key(org["name"]) != search_key(current["name"]):
        found.append(Conflict(f"SIRET {org['siret']}", current["name"], org["name"]))
    if contact is not None and plan.mode is not Mode.SKIP:  # skipped anyway: nothing would change
        if any(row.contact[n] and contact[n] and search_key(row.contact[n]) != search_key(contact[n])
               for n in ("first_name", "last_name")):
            found.append(Conflict(f"E-mail {row.email}", f"{contact['first_name']} {contact['last_name']}".strip(),
                                  f"{row.contact['first_name']} {row.contact['last_name']}".strip()))
    return tuple(found)


def _plan_organisation(plan: Plan, row: CleanRow, by_siret: dict[str, Any], by_name: dict[str, Any]) -> str | None:
    key = row.organisation_key
    if key is None:
        return None
    org = row.organisation
    existing = plan.organisations.get(key)
    current = None if existing is not None else _match_organisation(org, by_siret, by_name)
    if current is not None and current["id"] in plan.key_of_existing:  # found by its SIRET and by its name
        key = plan.key_of_existing[current["id"]]
        existing = plan.organisations[key]
    if existing is not None:  # another row already names it: complete what is still unknown
        for name in ORGANISATION_FIELDS:
            if existing.action is Action.CREATE and org.get(name) and not existing.values.get(name):
                existing.values[name] = org[name]
        if existing.action is Action.CREATE:
            existing.values.setdefault("department", org.get("department"))
        linked = plan.organisation_sectors.get(existing.existing_id or 0, set())
        added = [s for s in row.sector_ids if s not in existing.sector_ids and s not in linked]
        if added and existing.action in (Action.CREATE, Action.UPDATE, Action.UNCHANGED):
            existing.sector_ids.extend(added)
            if existing.action is Action.UNCHANGED:
                existing.action = Action.UPDATE
        return existing.key  # one string shared by all the rows naming it
    if current is None:
        values = {name: org.get(name) for name in ORGANISATION_FIELDS}
        values.update(department=org.get("department"), region=org.get("region"))
        plan.organisations[key] = OrganisationPlan(key, row.line, Action.CREATE, values=values,
                                                   sector_ids=list(row.sector_ids))
        return key
    plan.key_of_existing[current["id"]] = key
    if plan.mode is Mode.SKIP:
        plan.organisations[key] = OrganisationPlan(key, row.line, Action.SKIP, existing_id=current["id"])
        return key
    previous: dict[str, Any] = {}
    changes = _changes(plan.mode, org, current, ORGANISATION_FIELDS, previous)
    if "postal_code" in changes:
        changes.update(department=org["department"], region=org["region"])
        previous.update(department=current["department"], region=current["region"])
    added = [s for s in row.sector_ids if s not in plan.organisation_sectors.get(current["id"], set())]
    action = Action.UPDATE if changes or added else Action.UNCHANGED
    plan.organisations[key] = OrganisationPlan(key, row.line, action, existing_id=current["id"], values=changes,
                                               previous=previous, sector_ids=added)
    return key


def _plan_row(plan: Plan, row: CleanRow, contacts: dict[str, Any], by_siret: dict[str, Any],
              by_name: dict[str, Any], suppressed: set[str], first_line_of_email: dict[str, int],
              first_line_of_org_row: dict[str, int]) -> RowPlan:
    result = RowPlan(line=row.line, action=Action.REFUSE, email=row.email, messages=list(row.errors))
    if row.email and row.email in first_line_of_email:
        result.messages.append(f"Doublon dans le fichier : même e-mail qu'à la ligne {first_line_of_email[row.email]}.")
    if not row.email and not row.errors and row.organisation_key in first_line_of_org_row:
        result.messages.append("Doublon dans le fichier : même structure qu'à la ligne "
                               f"{first_line_of_org_row[row.organisation_key]}.")
    current = contacts.get(row.email) if row.email else None
    if row.email and current is None and not row.errors and not (row.contact["first_name"] or row.contact["last_name"]):
        result.messages.append("Nom ou prénom manquant pour créer le contact.")
    if (row.organisation and not row.organisation.get("name") and row.organisation.get("siret")
            and row.organisation["siret"] not in by_siret and row.organisation_key not in plan.organisations):
        result.messages.append(f"Nom de la structure manquant pour le SIRET {row.organisation['siret']}.")
    if result.messages:
        return result
    result.messages = list(row.warnings)
    if row.email:
        first_line_of_email[row.email] = row.line
    elif row.organisation_key:
        first_line_of_org_row[row.organisation_key] = row.line
    result.conflicts = _conflicts(plan, row, current, by_siret)
    if result.conflicts:
        accepted = row.line in plan.accepted
        result.messages[:0] = [("Conflit accepté : " if accepted else "Conflit : ") + c.message
                               for c in result.conflicts]
        if not accepted:
            result.action = Action.CONFLICT
            result.messages.append("Ligne laissée de côté : rien ne sera modifié, sauf si vous l'acceptez.")
            return result
    result.organisation_key = _plan_organisation(plan, row, by_siret, by_name)
    org_plan = plan.organisations.get(result.organisation_key) if result.organisation_key else None
    if not row.email:  # a row about an organisation only
        result.action = org_plan.action if org_plan else Action.UNCHANGED
        return result
    if current is None:
        result.action = Action.CREATE
        result.contact_values = {**row.contact, "email": row.email}
        result.sector_ids = () if org_plan else tuple(row.sector_ids)
        result.subscribe = _may_subscribe(row, None, suppressed, result)
        return result
    result.contact_id = current["id"]
    if plan.mode is Mode.SKIP:
        result.action = Action.SKIP
        result.messages.insert(0, "Contact déjà présent : ignoré (mode « ignorer les fiches existantes »).")
        return result
    previous: dict[str, Any] = {}
    changes = _changes(plan.mode, row.contact, current, CONTACT_FIELDS, previous)
    if org_plan is not None and (org_plan.existing_id is None or current["organisation_id"] != org_plan.existing_id):
        if plan.mode is Mode.UPDATE or current["organisation_id"] is None:
            changes["organisation"] = result.organisation_key
            previous["organisation"] = current["organisation_id"]
    result.contact_values, result.contact_previous = changes, previous
    linked = plan.contact_sectors.get(current["id"], set())
    result.sector_ids = () if org_plan else tuple(s for s in row.sector_ids if s not in linked)
    result.subscribe = _may_subscribe(row, current["status"], suppressed, result)
    org_changed = org_plan is not None and org_plan.action is Action.UPDATE and org_plan.line == row.line
    result.action = Action.UPDATE if changes or result.subscribe or result.sector_ids or org_changed \
        else Action.UNCHANGED
    return result


def _may_subscribe(row: CleanRow, status: str | None, suppressed: set[str], result: RowPlan) -> bool:
    if not row.consent:
        return False
    if row.email in suppressed:
        result.messages.append("Adresse sur la liste d'opposition : la personne ne sera pas abonnée.")
        return False
    if status == OptInStatus.UNSUBSCRIBED.value:
        result.messages.append("La personne s'est désinscrite : le consentement du fichier est ignoré.")
        return False
    if status == OptInStatus.CONFIRMED.value:
        return False
    result.messages.append("Consentement indiqué : abonnement à la lettre (source : import).")
    return True
