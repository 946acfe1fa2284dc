"""The projects list as CSV (French Excel: BOM, semicolons) and XLSX, formulas neutralised in every text cell
(crm.security.neutralise); amounts are exact numbers, dates dates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from crm.forms import untranslated
from crm.partners.export import csv_rows
from crm.projects.models import Project
from crm.security import neutralise
from crm.tasks.models import Task


def _day(value: Any) -> date | None:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


COLUMNS: list[tuple[str, Callable[[Project, Task | None], Any]]] = [
    ("N°", lambda p, t: p.id),
    ("Projet", lambda p, t: p.title),
    ("Entreprise", lambda p, t: p.organisation.name),
    ("Nature", lambda p, t: untranslated(p.kind_label)),
    ("Axe", lambda p, t: p.axis.label if p.axis else ""),
    ("Étape", lambda p, t: untranslated(p.stage_label)),
    ("Depuis le", lambda p, t: _day(p.stage_since)),
    ("Commune", lambda p, t: p.commune),
    ("Zone d'activités", lambda p, t: p.zone),
    ("Investissement prévu (€)", lambda p, t: p.investment),
    ("Emplois à créer", lambda p, t: p.jobs_created),
    ("Emplois maintenus", lambda p, t: p.jobs_kept),
    ("Financement demandé (€)", lambda p, t: p.requested),
    ("Financement accordé (€)", lambda p, t: p.granted),
    ("Dispositifs", lambda p, t: ", ".join(sorted({line.scheme for line in p.funding_lines if line.scheme}))),
    ("Suivi par", lambda p, t: p.owner.display_name if p.owner else ""),
    ("Prochaine étape", lambda p, t: t.title if t else ""),
    ("Échéance", lambda p, t: t.due_on if t else None),
    ("Actions du plan", lambda p, t: ", ".join(a.code for a in p.actions)),
]


def _values(project: Project, step: Task | None) -> list[Any]:
    return [get(project, step) for _, get in COLUMNS]


def _csv_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def projects_csv(items: list[Project], steps: dict[int, Task]) -> Iterator[str]:
    return csv_rows([title for title, _ in COLUMNS],
                    ([_csv_value(v) for v in _values(p, steps.get(p.id))] for p in items))


def projects_xlsx(items: list[Project], steps: dict[int, Task]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Projets"
    sheet.append([title for title, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for project in items:
        sheet.append([neutralise(value) for value in _values(project, steps.get(project.id))])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, Decimal | float) or (isinstance(cell.value, int) and cell.column > 1):
                cell.number_format = "#,##0.00" if isinstance(cell.value, Decimal | float) else "0"
            elif isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
