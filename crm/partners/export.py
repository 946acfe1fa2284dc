"""CSV exports that French Excel opens as they are: UTF-8 with BOM, semicolons, CRLF, no formula run."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.forms import untranslated
from crm.partners.models import CIVILITIES, Contact, Organisation
from crm.partners.territory import department_label
from crm.security import neutralise

BOM = "\ufeff"


def csv_rows(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """Stream a CSV, one chunk per row, so a large export never sits whole in memory; every cell is neutralised
    (a value starting with "=" is not a formula), which covers every CSV export built on this."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow([neutralise(title) for title in header])
    yield BOM + flush()
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        yield flush()


CONTACT_COLUMNS: list[tuple[str, Callable[[Contact], Any]]] = [
    ("Civilité", lambda c: CIVILITIES.get(c.civility, "")), ("Prénom", lambda c: c.first_name), ("Nom", lambda c: c.last_name),
    ("E-mail", lambda c: c.email), ("Téléphone", lambda c: c.phone), ("Fonction", lambda c: c.job_title),
    ("Structure", lambda c: c.organisation.name if c.organisation else ""),
    ("Commune", lambda c: c.organisation.commune if c.organisation else ""),
    ("Département", lambda c: department_label(c.organisation.department) if c.organisation else ""),
    ("Filières", lambda c: ", ".join(s.label for s in c.sectors)),
    ("Axes", lambda c: ", ".join(a.label for a in c.axes)),
    ("Ambassadeur", lambda c: untranslated(c.ambassador_label)),  # French, as the headers: for French Excel
    ("Kit envoyé le", lambda c: c.kit_sent_on.strftime("%d/%m/%Y") if c.kit_sent_on else ""),
]
ORGANISATION_COLUMNS: list[tuple[str, Callable[[Organisation], Any]]] = [
    ("Nom", lambda o: o.name), ("Type", lambda o: o.kind.label if o.kind else ""), ("SIRET", lambda o: o.siret),
    ("Code NAF", lambda o: o.naf_code), ("Effectif", lambda o: o.headcount_band), ("Adresse", lambda o: o.address),
    ("Code postal", lambda o: o.postal_code), ("Commune", lambda o: o.commune),
    ("Département", lambda o: department_label(o.department)), ("Région", lambda o: o.region),
    ("Filières", lambda o: ", ".join(s.label for s in o.sectors)), ("Site web", lambda o: o.website),
    ("Membre du Club", lambda o: "oui" if o.current_membership else "non"),
]


def _stream(stmt: sa.Select[Any], columns: list[tuple[str, Callable[[Any], Any]]], loaders: list[Any]) -> Iterator[str]:
    stmt = stmt.options(*loaders).execution_options(yield_per=500)
    objects = db.session.scalars(stmt)
    yield from csv_rows([title for title, _ in columns], ([get(obj) for _, get in columns] for obj in objects))


def contacts_csv(stmt: sa.Select[Any]) -> Iterator[str]:
    return _stream(stmt, CONTACT_COLUMNS, [selectinload(Contact.sectors), selectinload(Contact.axes)])


def organisations_csv(stmt: sa.Select[Any]) -> Iterator[str]:
    return _stream(stmt, ORGANISATION_COLUMNS,
                   [selectinload(Organisation.sectors), selectinload(Organisation.club_memberships)])
