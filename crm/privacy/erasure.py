"""Erasure (right to be forgotten): anonymise in place, keep the counts, suppress the address hash.

What is scrubbed, generically over the metadata:
* the contact row: name, e-mail, phone, job title emptied;
* every row of every table pointing at the contact (found by introspection): free text (Text columns) is
  replaced, columns whose name says they hold personal data (email, recipient, phone, ip...) are emptied,
  and any other text or JSON value has the person's name, e-mail and phone cut out;
* audit entries about the contact: the same cut in their summary and their JSON changes;
* then every text and JSON column of every table is searched for the e-mail, the phone and the full name
  (a copy kept without a foreign key, a note on the organisation...) and those occurrences are cut out.
First and last names alone are cut only from rows about the person: elsewhere they may be someone else's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa

from crm.audit import services as audit
from crm.audit.models import AuditLog
from crm.consent import services as consent
from crm.consent.models import ConsentAction, OptInStatus, SuppressionReason
from crm.errors import ValidationError
from crm.extensions import db, hooks
from crm.mail import outbox
from crm.partners.models import Contact, new_link_secret
from crm.partners.services import addresses_of
from crm.partners.words import forget_contact_words
from crm.privacy.models import Erasure
from crm.privacy.references import is_json, is_text, primary_key_of, references_to, rule_of

REDACTED = "[effacé]"
ERASED_LAST_NAME = "Personne effacée"
SKIPPED_TABLES = {"suppressions", "erasures"}


class PrivacyError(ValidationError):
    """French message; nothing has been written."""


def _personal_column(column: sa.Column[Any]) -> bool:
    """A column its feature declares personal (``PrivacyTable.personal``): emptied on rows about the person."""
    return column.name in rule_of(column.table.name).personal


def _identities(contact: Contact) -> list[dict[str, str]]:
    """The person as they are now, and as they were in records merged into this one (from the merge log)."""
    people = [{"email": contact.email or "", "first_name": contact.first_name, "last_name": contact.last_name,
               "phone": contact.phone}]
    merges = db.session.scalars(sa.select(AuditLog.changes).where(
        AuditLog.entity_type == "contact", AuditLog.entity_id == contact.id, AuditLog.action == "merge"))
    for changes in merges:
        merged = (changes or {}).get("merged_contact") or {}
        people.append({k: str(merged.get(k) or "") for k in ("email", "first_name", "last_name", "phone")})
    for other in addresses_of(contact.id) - {contact.email or ""}:  # the person's other addresses
        people.append({"email": other, "first_name": "", "last_name": "", "phone": ""})
    return people


def personal_values(contact: Contact) -> tuple[list[str], list[str], list[str]]:
    """(values cut everywhere, values cut only from rows about the person, addresses), longest first."""
    everywhere: set[str] = set()
    local: set[str] = set()
    emails: set[str] = set()
    for person in _identities(contact):
        email, phone = person["email"].strip(), person["phone"].strip()
        first, last = person["first_name"].strip(), person["last_name"].strip()
        if email:
            emails.add(email)
            everywhere.add(email)
            local.add(email.split("@")[0])
        if first and last:
            everywhere |= {f"{first} {last}", f"{last} {first}"}
        if phone:
            everywhere.add(phone)
            digits = re.sub(r"\D", "", phone)
            if len(digits) >= 6:
                everywhere.add(digits)
        local |= {first, last}
    local |= everywhere
    order = lambda values: sorted({v for v in values if len(v) >= 2}, key=len, reverse=True)  # noqa: E731
    return order(everywhere), order(local), sorted(emails)


def _cut(text: str, values: list[str]) -> str:
    for value in values:
        text = re.sub(re.escape(value), REDACTED, text, flags=re.IGNORECASE)
        escaped = json.dumps(value)[1:-1]  # how the value looks inside JSON text with \\u escapes
        if escaped != value:
            text = text.replace(escaped, REDACTED)
    return text


def _cut_json(value: Any, values: list[str]) -> Any:
    if isinstance(value, str):
        return _cut(value, values)
    if isinstance(value, list):
        return [_cut_json(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _cut_json(v, values) for k, v in value.items()}
    return value


def _fit(column: sa.Column[Any], value: str) -> str:
    length = getattr(column.type, "length", None)
    return value[:length] if length else value


def _scrub_value(column: sa.Column[Any], value: Any, values: list[str], row_key: str, linked: bool) -> Any:
    if value is None:
        return None
    if is_json(column):
        return _cut_json(value, values)
    if not isinstance(value, str):
        return value
    if linked and _personal_column(column):
        if column.nullable:
            return None
        return _fit(column, f"efface-{row_key}") if column.unique else ""
    if linked and isinstance(column.type, sa.Text) and value:
        return REDACTED
    return _fit(column, _cut(value, values))


def _scrub_rows(table: sa.Table, where: Any, values: list[str], linked: bool) -> int:
    columns = [c for c in table.columns if (is_text(c) or is_json(c)) and not c.foreign_keys and not c.primary_key]
    pk = primary_key_of(table)
    if not columns or not pk:
        return 0
    changed = 0
    for row in db.session.execute(sa.select(*pk, *columns).where(where)).mappings().all():
        row_key = "-".join(str(row[c.name]) for c in pk)
        updates = {}
        for column in columns:
            new = _scrub_value(column, row[column.name], values, row_key, linked)
            if new != row[column.name]:
                updates[column.name] = new
        if updates:
            db.session.execute(sa.update(table).where(*(c == row[c.name] for c in pk)).values(updates))
            changed += 1
    return changed


def _mentions(table: sa.Table, values: list[str]) -> Any:
    conditions = []
    for column in table.columns:
        if column.foreign_keys or not (is_text(column) or is_json(column)):
            continue
        text = sa.cast(column, sa.Text) if is_json(column) else column
        for value in values:
            for form in {value, json.dumps(value)[1:-1]}:
                pattern = "%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                conditions.append(sa.func.lower(text).like(pattern.lower(), escape="\\"))
                conditions.append(text.like(pattern, escape="\\"))
    return sa.or_(*conditions) if conditions else None


CONTACT_ERASED_HOOK = "privacy.contact_erased"  # hook(contact), called before the erasure is flushed


def erase_contact(contact: Contact, *, user_id: int | None = None, reason: str = "request") -> Erasure:
    """Anonymises the contact in place; the caller commits (or rolls back: nothing half-erased)."""
    if not contact.email:
        raise PrivacyError("Ce contact a déjà été effacé.")
    db.session.flush()
    everywhere, local, emails = personal_values(contact)
    for email in emails:  # also the addresses of records merged into this one
        consent.suppress(email, SuppressionReason.ERASURE, "Effacement des données personnelles (RGPD)")
    outbox.forget_after_commit(emails)  # the copies of what was sent to the person, where mail goes to a Maildir
    if consent.subscription_of(contact).status != OptInStatus.NONE.value:
        consent.set_status(contact, OptInStatus.UNSUBSCRIBED)
    consent.set_topics(contact, set())
    forget_contact_words(contact.id)
    for ref in references_to("contacts"):
        if ref.table.name not in SKIPPED_TABLES:
            _scrub_rows(ref.table, ref.column == contact.id, local, linked=True)
    audit_table = AuditLog.__table__
    _scrub_rows(audit_table, sa.and_(audit_table.c.entity_type == "contact", audit_table.c.entity_id == contact.id),
                local, linked=False)
    contact.email = None
    contact.first_name = ""
    contact.last_name = ERASED_LAST_NAME
    contact.first_name_key, contact.last_name_key = "", "personne effacee"
    contact.phone = ""
    contact.job_title = ""
    contact.civility = ""
    contact.link_secret = new_link_secret()  # every link the person was sent stops working
    db.session.flush()
    for table in db.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        where = _mentions(table, everywhere)
        if where is not None:
            _scrub_rows(table, where, everywhere, linked=False)
    consent.record(contact, ConsentAction.ERASE, source="retention" if reason == "retention" else "admin",
                   detail="Effacement des données personnelles (RGPD)")
    for closed in hooks(CONTACT_ERASED_HOOK):  # e.g. the person's requests close: "personne effacée"
        closed(contact)
    erasure = Erasure(contact_id=contact.id, reason=reason, erased_by_id=user_id)
    db.session.add(erasure)
    audit.record("erase", "contact", contact.id,
                 "Données personnelles effacées (RGPD)" + (" : durée de conservation échue" if reason == "retention"
                                                          else " à la demande de la personne"),
                 {"reason": reason}, user_id=user_id)
    db.session.flush()
    db.session.expire_all()
    return erasure
