from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from crm.audit.models import AuditLog
from crm.extensions import db
from crm.forms import lazy_gettext as _l

FIELD_LABELS = {
    "name": _l("nom"), "kind": _l("type"), "siret": _l("SIRET"), "naf_code": _l("code NAF"),
    "headcount_band": _l("effectif"), "address": _l("adresse"), "postal_code": _l("code postal"),
    "commune": _l("commune"), "website": _l("site web"), "first_name": _l("prénom"), "last_name": _l("nom"),
    "email": _l("e-mail"), "phone": _l("téléphone"), "job_title": _l("fonction"), "organisation": _l("structure"),
    "ambassador_status": _l("statut ambassadeur"), "kit_sent_on": _l("kit envoyé le"), "sectors": _l("filières"),
    "axes": _l("axes"), "civility": _l("civilité"), "language": _l("langue"), "department": _l("Département"),
    "region": _l("Région"), "ambassador_since": _l("depuis le"),
}


def _jsonable(value: Any) -> Any:
    """What the log keeps of a value: codes, not labels (a label is chosen when the entry is shown, in the
    reader's language). A reference entry (a sector, a kind) is kept by its code, another record by its id."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, int | float | bool | str):
        return value
    code = getattr(value, "code", None)
    if isinstance(code, str):
        return code
    identity = getattr(value, "id", None)
    if isinstance(identity, int):
        return identity
    return str(value)


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {field: _jsonable(getattr(obj, field)) for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


@contextmanager
def track_changes(entity_type: str, obj: Any, fields: list[str], *, creating: bool,
                  created: Callable[[], str], updated: str) -> Iterator[None]:
    """Audits what the block changes on ``obj``: a "create" entry with every field, or an "update" with the diff."""
    before = {} if creating else snapshot(obj, fields)
    yield
    db.session.flush()
    changes = diff(before, snapshot(obj, fields))
    if creating:
        record("create", entity_type, obj.id, created(), changes)
    elif changes:
        record("update", entity_type, obj.id, updated, changes)


def record(action: str, entity_type: str, entity_id: int | None, summary: str = "",
           changes: dict[str, Any] | None = None, user_id: int | None = None) -> AuditLog:
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    entry = AuditLog(action=action, entity_type=entity_type, entity_id=entity_id, summary=summary[:300],
                     changes=changes or {}, user_id=user_id)
    db.session.add(entry)
    return entry


def entries_for(entity_type: str, entity_id: int, limit: int = 200) -> list[AuditLog]:
    stmt = (sa.select(AuditLog).where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.at.desc()).limit(limit))
    return list(db.session.scalars(stmt))
