"""Everything the database holds about one contact, as JSON (machine) and as sections (readable page).

Generic over the metadata: every table with a foreign key to contacts is dumped, so tables added by other
features appear without a change here, under the title their feature declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.consent.mail_kinds import mail_kind
from crm.consent.services import is_suppressed
from crm.db import utcnow
from crm.extensions import db
from crm.partners.models import Contact, Organisation, language_name
from crm.privacy.references import jsonable, label_of, references_to, rows_of, title_of

COLUMN_LABELS = {
    "id": "N°", "civility": "Civilité", "first_name": "Prénom", "last_name": "Nom", "email": "E-mail",
    "phone": "Téléphone", "job_title": "Fonction", "organisation_id": "Structure", "ambassador_status": "Ambassadeur",
    "ambassador_since": "Ambassadeur depuis", "kit_sent_on": "Kit envoyé le", "language": "Langue",
    "created_at": "Créé le", "updated_at": "Modifié le", "name": "Nom", "kind": "Type", "kind_id": "Type",
    "siret": "SIRET", "naf_code": "Code NAF", "headcount_band": "Effectif", "address": "Adresse",
    "postal_code": "Code postal", "commune": "Commune", "department": "Département", "region": "Région",
    "website": "Site web", "status": "Statut", "action": "Action", "source": "Source", "at": "Date",
    "wording_version": "Version du texte", "wording": "Texte accepté", "ip": "Adresse IP", "detail": "Détail",
    "body": "Texte", "occurred_at": "Date", "done_at": "Fait le", "author_id": "Auteur", "topic_id": "Liste",
    "sector_id": "Filière", "axis_id": "Axe", "event_id": "Événement", "campaign_id": "Lettre",
    "sent_at": "Envoyé le", "answered_at": "Réponse le", "message": "Message", "summary": "Résumé",
    "changes": "Modifications", "entity_type": "Objet", "entity_id": "N° objet", "user_id": "Utilisateur",
    "requested_at": "Demandé le", "confirmed_at": "Confirmé le", "unsubscribed_at": "Désinscrit le",
    "action_id": "Action", "answer": "Réponse", "answer_count": "Nombre de réponses",
    "attendance_marked_at": "Présence notée le", "contact_id": "Contact", "contribution": "Contribution",
    "created_contact": "Fiche créée par l'inscription", "created_organisation": "Structure créée par l'inscription",
    "decided_at": "Décidé le", "decided_by_id": "Décidé par", "delivery_id": "Envoi", "erased_at": "Effacé le",
    "erased_by_id": "Effacé par", "field": "Champ", "flagged_at": "Signalé le", "last_error": "Dernière erreur",
    "last_initiative_at": "Dernière démarche de votre part le", "mail_queued_at": "Message préparé le",
    "note_id": "Tâche", "origin": "Origine", "permanent": "Définitif", "previous_status": "Statut précédent",
    "proposal_id": "Proposition", "purge_after": "À effacer après le", "reason": "Motif", "signup_id": "Inscription",
    "title": "Titre", "value": "Valeur", "email_hash": "Empreinte de l'adresse",
}
HIDDEN_COLUMNS = {"first_name_key", "last_name_key", "name_key", "commune_key", "email_hash", "link_secret"}
# What the readable version leaves out (the JSON keeps everything): the machinery's own columns, which tell the
# person nothing about themselves.
TECHNICAL_COLUMNS = HIDDEN_COLUMNS | {
    "id", "dedupe_key", "claim_token", "claimed_at", "token", "message_id", "attempts", "next_attempt_at",
    "report_key", "source_id", "delivery_id", "link_secret", "contact_id",
}
TECHNICAL_SUFFIXES = ("_key", "_hash", "_token", "_secret")


def technical(column: str) -> bool:
    return column in TECHNICAL_COLUMNS or column.endswith(TECHNICAL_SUFFIXES)


def column_label(column: str) -> str:
    """The French label of a column; a column no feature labelled yet gets a readable form of its name."""
    return COLUMN_LABELS.get(column) or column.replace("_id", "").replace("_", " ").capitalize()


def readable_value(table: sa.Table | None, column: str, value: Any, timezone: str = "Europe/Paris") -> Any:
    """A value as a person reads it: dates and times in Paris time, yes/no, the language's name."""
    if value is None or table is None or column not in table.c:
        return value
    python_type = _python_type(table.c[column])
    if python_type is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y à %H:%M")
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if python_type is bool:
        return "Oui" if value else "Non"
    if column == "language":
        return language_name(value)
    if column == "kind" and isinstance(value, str) and (kind := mail_kind(value)) is not None:
        return str(kind.label)  # a mail sent: what it was, not its code
    return value


def _python_type(column: sa.Column[Any]) -> type | None:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # e.g. the UTC timestamps: the type it stores as
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def export_contact(contact: Contact) -> dict[str, Any]:
    db.session.flush()
    contact_row = db.session.execute(sa.select(Contact.__table__).where(Contact.__table__.c.id == contact.id)
                                     ).mappings().one()
    data: dict[str, Any] = {
        "generated_at": utcnow().isoformat(),
        "contact": jsonable(dict(contact_row)),
        "organisation": None,
        "on_suppression_list": bool(contact.email) and is_suppressed(contact.email),
        "tables": {},
        "references": {},
    }
    if contact.organisation_id:
        org = db.session.execute(sa.select(Organisation.__table__).where(
            Organisation.__table__.c.id == contact.organisation_id)).mappings().one()
        data["organisation"] = jsonable(dict(org))
    for ref in references_to("contacts"):
        rows = rows_of(ref, contact.id)
        if not rows:
            continue
        data["tables"][ref.name] = [jsonable(row) for row in rows]
        for other in ref.table.columns:  # name what the rows point at (an event's title, a campaign's subject)
            for fk in other.foreign_keys:
                if other is ref.column or fk.column.table.name in {"contacts", "users"}:
                    continue
                for row in rows:
                    if row[other.name] is not None:
                        key = f"{fk.column.table.name}#{row[other.name]}"
                        data["references"].setdefault(key, label_of(fk.column.table, row[other.name]))
    _second_hop(data)
    audit_table = AuditLog.__table__
    audit_rows = db.session.execute(sa.select(audit_table).where(
        audit_table.c.entity_type == "contact", audit_table.c.entity_id == contact.id).order_by(audit_table.c.id)
    ).mappings().all()
    data["tables"]["audit_logs"] = [jsonable(dict(row)) for row in audit_rows]
    return data


def _second_hop(data: dict[str, Any]) -> None:
    """Rows that point at the person's rows without naming the person (a bounce about one of their mails)."""
    direct = {name.partition(".")[0] for name in data["tables"]}
    for name, rows in list(data["tables"].items()):
        table_name = name.partition(".")[0]
        ids = [row["id"] for row in rows if isinstance(row.get("id"), int)]
        if not ids:
            continue
        for ref in references_to(table_name):
            if ref.table.name in direct or ref.table.name == "contacts":
                continue
            found = db.session.execute(sa.select(ref.table).where(ref.column.in_(ids))).mappings().all()
            if found:
                data["tables"].setdefault(ref.name, []).extend(jsonable(dict(row)) for row in found)


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[Any]]


def readable_sections(data: dict[str, Any], timezone: str = "Europe/Paris") -> list[Section]:
    """The JSON export as titled tables, for the page the person can read: French labels, Paris time, no
    technical columns (the JSON stays complete)."""
    def fields(table: sa.Table, row: dict[str, Any]) -> list[list[Any]]:
        return [[column_label(k), readable_value(table, k, v, timezone)] for k, v in row.items() if not technical(k)]

    sections = [Section("Identité", ["Champ", "Valeur"], fields(Contact.__table__, data["contact"]))]
    if data["organisation"]:
        sections.append(Section("Structure", ["Champ", "Valeur"],
                                fields(Organisation.__table__, data["organisation"])))
    references = data["references"]
    for name, rows in data["tables"].items():
        table_name, _, column = name.partition(".")
        table = db.metadata.tables.get(table_name)
        columns = [c for c in rows[0] if not technical(c) and c != column] if rows else []
        shown = []
        for row in rows:
            line = []
            for c in columns:
                value = row[c]
                fks = list(table.c[c].foreign_keys) if table is not None and c in table.c else []
                if fks and value is not None:
                    value = references.get(f"{fks[0].column.table.name}#{value}", value)
                else:
                    value = readable_value(table, c, value, timezone)
                line.append(value)
            shown.append(line)
        sections.append(Section(title_of(table_name), [column_label(c) for c in columns], shown))
    return sections
