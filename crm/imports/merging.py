"""Merges two contacts (or two organisations): every row pointing at the dropped one moves to the kept one.

Tables are found by introspection (crm.privacy.references), so deliveries, invitations, signups and whatever
other features add are moved too. When a move would break a unique constraint (both people got the same
campaign, both were invited to the same event, both have a subscription), the two rows are combined into the
kept one and nothing is lost:

* the row whose status went further wins (see STATUS_RANK; for subscriptions the most restrictive state wins,
  so an unsubscribe is never undone by a merge); on a tie the kept contact's row wins;
* columns left empty in the winner are filled from the other row;
* the dropped row is written in full in the merge log (an audit entry on the kept record).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from crm.audit import services as audit
from crm.audit.models import AuditLog
from crm.errors import ValidationError
from crm.extensions import db
from crm.partners.models import AmbassadorStatus, Contact, Organisation
from crm.partners.normalize import search_key
from crm.partners.services import addresses_of, coalesce_club_memberships, keep_other_email
from crm.partners.words import refresh_contact_words, refresh_organisation_words
from crm.privacy.references import Reference, jsonable, primary_key_of, references_to

# How far a row went; unknown statuses rank 0. Deliveries, invitations and signups share the scale.
STATUS_RANK: dict[str, int] = {
    "skipped": 0, "cancelled": 0, "canceled": 0, "draft": 0, "none": 0,
    "queued": 1, "pending": 1, "invited": 1, "scheduled": 1, "new": 1, "waiting": 1,
    "sending": 2, "maybe": 2, "tentative": 2, "waitlisted": 2,
    "failed": 3, "declined": 3, "refused": 3,
    "sent": 5, "accepted": 5, "registered": 5, "confirmed": 5, "yes": 5, "handled": 5, "done": 5,
    "bounced": 6, "delivered": 6, "no_show": 6, "absent": 6,
    "attended": 7, "present": 7,
}
# For a person's consent the most restrictive state wins.
TABLE_STATUS_RANK: dict[str, dict[str, int]] = {
    "subscriptions": {"none": 0, "pending": 1, "confirmed": 2, "unsubscribed": 3},
}
AMBASSADOR_RANK = {AmbassadorStatus.NONE.value: 0, AmbassadorStatus.FORMER.value: 1,
                   AmbassadorStatus.CANDIDATE.value: 2, AmbassadorStatus.ACTIVE.value: 3}
CONTACT_FILLABLE = ["civility", "first_name", "last_name", "phone", "job_title", "organisation_id",
                    "kit_sent_on", "language"]
ORGANISATION_FILLABLE = ["kind_id", "naf_code", "headcount_band", "address", "postal_code", "commune",
                         "department", "region", "website"]


class MergeError(ValidationError):
    """French message; nothing has been written."""


@dataclass
class MergeReport:
    kept_id: int
    dropped_id: int
    moved: dict[str, int] = field(default_factory=dict)
    combined: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"moved": self.moved, "combined": self.combined}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _rank(table: sa.Table, row: dict[str, Any]) -> int:
    ranks = TABLE_STATUS_RANK.get(table.name, STATUS_RANK)
    best = 0
    for name, value in row.items():
        if (name == "status" or name.endswith("_status")) and isinstance(value, str):
            best = max(best, ranks.get(value, 0))
    return best


def _combine(table: sa.Table, kept: dict[str, Any], dropped: dict[str, Any], fixed: set[str]) -> dict[str, Any]:
    """The values the kept row gets; ``fixed`` columns (keys, the reference) never change."""
    winner, loser = (dropped, kept) if _rank(table, dropped) > _rank(table, kept) else (kept, dropped)
    result = {}
    for name in kept:
        if name in fixed:
            continue
        value = winner[name] if not _empty(winner[name]) else loser[name]
        if value != kept[name]:
            result[name] = value
    return result


def _where_pk(table: sa.Table, row: dict[str, Any]) -> Any:
    return sa.and_(*(c == row[c.name] for c in primary_key_of(table)))


def _move(ref: Reference, keep_id: int, drop_id: int, report: MergeReport) -> None:
    table, column = ref.table, ref.column
    groups = ref.unique_groups()
    if not groups:
        result = db.session.execute(sa.update(table).where(column == drop_id).values({column.name: keep_id}))
        if result.rowcount:
            report.moved[ref.name] = result.rowcount
        return
    kept_rows = [dict(r) for r in db.session.execute(sa.select(table).where(column == keep_id)).mappings()]
    dropped_rows = [dict(r) for r in db.session.execute(sa.select(table).where(column == drop_id)).mappings()]
    pk_names = {c.name for c in primary_key_of(table)}
    moved = 0
    for row in dropped_rows:
        twin = next((k for k in kept_rows for others in groups
                     if all(k[c.name] == row[c.name] and row[c.name] is not None for c in others)), None)
        if twin is None:
            db.session.execute(sa.update(table).where(_where_pk(table, row)).values({column.name: keep_id}))
            moved += 1
            continue
        changes = _combine(table, twin, row, pk_names | {column.name})
        if pk_names == {"id"}:  # rows pointing at the dropped row (a bounce, a reminder) follow to the kept one
            for child in references_to(table.name):
                db.session.execute(sa.update(child.table).where(child.column == row["id"])
                                   .values({child.column.name: twin["id"]}))
        db.session.execute(sa.delete(table).where(_where_pk(table, row)))
        if changes:
            db.session.execute(sa.update(table).where(_where_pk(table, twin)).values(changes))
            twin.update(changes)
        report.combined.append({"table": table.name, "kept_row": jsonable({k: twin[k] for k in pk_names}),
                                "dropped_row": jsonable(row), "kept_values_taken": jsonable(changes)})
    if moved:
        report.moved[ref.name] = moved


def _snapshot(table: sa.Table, row_id: int) -> dict[str, Any]:
    row = db.session.execute(sa.select(table).where(table.c.id == row_id)).mappings().one()
    return jsonable(dict(row))


def _move_everything(table: sa.Table, entity_type: str, keep_id: int, drop_id: int) -> tuple[dict[str, Any],
                                                                                              MergeReport]:
    """Moves every row that points at the dropped record, and its history, to the kept one.
    Returns the dropped record as it was, and the report of what moved."""
    db.session.flush()
    before = _snapshot(table, drop_id)
    report = MergeReport(keep_id, drop_id)
    for ref in references_to(table.name):
        _move(ref, keep_id, drop_id, report)
    _move_audit(entity_type, keep_id, drop_id, report)
    return before, report


def merge_contacts(keep: Contact, drop: Contact, user_id: int | None = None) -> MergeReport:
    if keep.id == drop.id:
        raise MergeError("Choisissez deux contacts différents.")
    if not keep.email or not drop.email:
        raise MergeError("Un contact effacé (RGPD) ne peut pas être fusionné.")
    keep_id, drop_id = keep.id, drop.id
    before, report = _move_everything(Contact.__table__, "contact", keep_id, drop_id)
    filled = {}
    for name in CONTACT_FILLABLE:
        if _empty(getattr(keep, name)) and not _empty(before[name]):
            filled[name] = getattr(drop, name)
    if AMBASSADOR_RANK[drop.ambassador_status] > AMBASSADOR_RANK[keep.ambassador_status]:
        filled.update(ambassador_status=drop.ambassador_status, ambassador_since=drop.ambassador_since)
    db.session.execute(sa.delete(Contact.__table__).where(Contact.__table__.c.id == drop_id))
    db.session.expunge(drop)
    for name, value in filled.items():
        setattr(keep, name, value)
    # The dropped record's address stays the person's: another address, found by search, imports and bounces.
    if keep_other_email(keep_id, before["email"]):
        filled["other_email"] = before["email"]
    keep.first_name_key, keep.last_name_key = search_key(keep.first_name), search_key(keep.last_name)
    refresh_contact_words([keep_id])  # the dropped contact's went with it (ON DELETE CASCADE)
    audit.record("merge", "contact", keep_id, f"Fusion avec le contact n° {drop_id} ({before['email']})",
                 {"merged_contact": before, "filled": jsonable(filled), **report.as_json()}, user_id=user_id)
    db.session.flush()
    db.session.expire_all()
    return report


def contact_merge_preview(keep: Contact, drop: Contact) -> list[str]:
    """What merging ``drop`` into ``keep`` will keep, in French, exactly as merge_contacts does it."""
    lines = [f"Adresse principale (celle qui reçoit les messages) : {keep.email}."]
    others = sorted((addresses_of(drop.id) | addresses_of(keep.id)) - {keep.email or ""})
    if others:
        lines.append("Gardée(s) comme autre(s) adresse(s) de la personne (recherche, imports, rejets) : "
                     + ", ".join(others) + ".")
    labels = {"civility": "civilité", "first_name": "prénom", "last_name": "nom", "phone": "téléphone",
              "job_title": "fonction", "organisation_id": "structure", "kit_sent_on": "date d'envoi du kit",
              "language": "langue"}
    for name in CONTACT_FILLABLE:
        if _empty(getattr(keep, name)) and not _empty(getattr(drop, name)):
            value = drop.organisation.name if name == "organisation_id" and drop.organisation else getattr(drop, name)
            lines.append(f"Champ vide complété : {labels[name]} = {value}.")
    if AMBASSADOR_RANK[drop.ambassador_status] > AMBASSADOR_RANK[keep.ambassador_status]:
        lines.append(f"Statut d'ambassadeur repris de l'autre fiche : {drop.ambassador_label}.")
    rows = sum(db.session.scalar(sa.select(sa.func.count()).select_from(ref.table).where(ref.column == drop.id)) or 0
               for ref in references_to("contacts"))
    lines.append(f"{rows} élément(s) rattaché(s) à l'autre fiche (envois, invitations, inscriptions, notes…) "
                 "passent sur celle-ci ; en double, ils sont combinés sans perte.")
    lines.append("Les autres champs de l'autre fiche sont écartés ; ils restent lisibles dans l'historique.")
    return lines


def merge_organisations(keep: Organisation, drop: Organisation, user_id: int | None = None) -> MergeReport:
    if keep.id == drop.id:
        raise MergeError("Choisissez deux structures différentes.")
    keep_id, drop_id = keep.id, drop.id
    before, report = _move_everything(Organisation.__table__, "organisation", keep_id, drop_id)
    report.combined.extend(coalesce_club_memberships(keep_id))  # both may have been members of the Club
    filled = {name: getattr(drop, name) for name in ORGANISATION_FILLABLE
              if _empty(getattr(keep, name)) and not _empty(before[name])}
    siret = drop.siret if not keep.siret and drop.siret else None
    db.session.execute(sa.delete(Organisation.__table__).where(Organisation.__table__.c.id == drop_id))
    db.session.expunge(drop)
    db.session.flush()
    for name, value in filled.items():
        setattr(keep, name, value)
    if siret:
        keep.siret = siret
        filled["siret"] = siret
    keep.commune_key = search_key(keep.commune)
    refresh_organisation_words([keep_id])  # the dropped structure's went with it (ON DELETE CASCADE)
    audit.record("merge", "organisation", keep_id, f"Fusion avec la structure n° {drop_id} ({before['name']})",
                 {"merged_organisation": before, "filled": jsonable(filled), **report.as_json()}, user_id=user_id)
    db.session.flush()
    db.session.expire_all()
    return report


def _move_audit(entity_type: str, keep_id: int, drop_id: int, report: MergeReport) -> None:
    result = db.session.execute(sa.update(AuditLog.__table__).where(
        AuditLog.__table__.c.entity_type == entity_type, AuditLog.__table__.c.entity_id == drop_id,
    ).values(entity_id=keep_id))
    if result.rowcount:
        report.moved["audit_logs.entity_id"] = result.rowcount
