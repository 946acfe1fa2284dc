"""Likely duplicates: same address after normalisation, same SIRET, or close names in the same commune.

Comparisons are made inside small blocks (same commune and same first letters of the name), so the search
stays linear in the size of the base.
"""

from __future__ import annotations

from collections.abc import Callable

from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Contact, Organisation
from crm.partners.normalize import InvalidEmail, normalize_email

NAME_RATIO = 0.85
MAX_BLOCK = 400


@dataclass
class DuplicatePair:
    kind: str  # "contact" or "organisation"
    first_id: int
    second_id: int
    first_label: str
    second_label: str
    reasons: list[str]


def _close(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a == b or SequenceMatcher(None, a, b).ratio() >= NAME_RATIO)


def _add(found: dict[tuple[int, int], DuplicatePair], kind: str, a: Any, b: Any, reason: str) -> None:
    first, second = (a, b) if a.id < b.id else (b, a)
    pair = found.get((first.id, second.id))
    if pair is None:
        found[(first.id, second.id)] = DuplicatePair(kind, first.id, second.id, first.label, second.label, [reason])
    elif reason not in pair.reasons:
        pair.reasons.append(reason)


def _email_key(email: str | None) -> str:
    if not email:
        return ""
    try:
        return normalize_email(email)
    except InvalidEmail:
        return email.strip().lower()


def contact_duplicates(limit: int = 500) -> list[DuplicatePair]:
    stmt = (sa.select(Contact.id, Contact.email, Contact.first_name, Contact.last_name, Contact.first_name_key,
                      Contact.last_name_key, Contact.organisation_id, Organisation.commune_key, Organisation.siret)
            .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
            .where(Contact.email.is_not(None)))
    people = []
    for row in db.session.execute(stmt):
        name = f"{row.first_name} {row.last_name}".strip()
        people.append(_Item(row.id, f"{name} <{row.email}>", f"{row.first_name_key} {row.last_name_key}".strip(),
                            row.commune_key or "", _email_key(row.email), row.siret or ""))
    found: dict[tuple[int, int], DuplicatePair] = {}
    _pair_sharing(people, lambda person: person.email, found, "contact", "même adresse e-mail")
    _close_names(people, found, "contact", "noms proches dans la même commune")
    by_name: dict[str, list[_Item]] = defaultdict(list)
    for person in people:
        if person.name:
            by_name[person.name].append(person)
    for group in by_name.values():
        unknown = [p for p in group if not p.commune]
        for person in unknown:
            for other in group:
                if other is not person:
                    _add(found, "contact", person, other, "même nom (commune inconnue pour l'un des deux)")
    return sorted(found.values(), key=lambda p: (p.first_label.lower(), p.second_id))[:limit]


def _pair_sharing(items: list[_Item], key: Callable[[_Item], str], found: dict[tuple[int, int], DuplicatePair],
                  kind: str, reason: str) -> None:
    """Pairs the first item of each group sharing a non-empty key with every other one of the group."""
    groups: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        if key(item):
            groups[key(item)].append(item)
    for group in groups.values():
        for other in group[1:]:
            _add(found, kind, group[0], other, reason)


def organisation_duplicates(limit: int = 500) -> list[DuplicatePair]:
    stmt = sa.select(Organisation.id, Organisation.name, Organisation.name_key, Organisation.commune,
                     Organisation.commune_key, Organisation.siret)
    items = [_Item(row.id, f"{row.name} ({row.commune or 'commune inconnue'})", row.name_key, row.commune_key,
                   "", row.siret or "") for row in db.session.execute(stmt)]
    found: dict[tuple[int, int], DuplicatePair] = {}
    _pair_sharing(items, lambda item: item.siret, found, "organisation", "même SIRET")
    _close_names(items, found, "organisation", "noms proches dans la même commune")
    return sorted(found.values(), key=lambda p: (p.first_label.lower(), p.second_id))[:limit]


@dataclass
class _Item:
    id: int
    label: str
    name: str
    commune: str
    email: str
    siret: str


def _close_names(items: list[_Item], found: dict[tuple[int, int], DuplicatePair], kind: str, reason: str) -> None:
    blocks: dict[tuple[str, str], list[_Item]] = defaultdict(list)
    for item in items:
        if item.commune and item.name:
            blocks[(item.commune, item.name[:2])].append(item)
    for block in blocks.values():
        block = block[:MAX_BLOCK]
        for index, a in enumerate(block):
            for b in block[index + 1:]:
                if a.siret and b.siret and a.siret != b.siret and kind == "organisation":
                    continue  # two establishments with their own SIRET are not duplicates
                if _close(a.name, b.name):
                    _add(found, kind, a, b, reason)
