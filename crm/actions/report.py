"""The progress report (état d'avancement): money and progress shown the French way, the bars drawn on the
server, and the spreadsheet. Everything reads a plan document (crm.actions.plan), live or frozen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font

from crm.actions import plan
from crm.actions.models import (
    ACTION_STATUS_LABELS,
    FUNDING_STATUS_LABELS,
    PARTNER_ROLE_LABELS,
    ActionStatus,
    FundingStatus,
    PartnerRole,
)
from crm.forms import untranslated

NBSP = "\u00a0"
NNBSP = "\u202f"


def euros(value: Any) -> str:
    """12500 -> « 12 500,00 € » (narrow no-break space between thousands, as French typography has it)."""
    amount = Decimal(value if value is not None else 0).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"


def number(value: Any) -> str:
    if value is None:
        return "—"
    text = plan._num(value)
    whole, _, decimals = text.partition(".")
    return whole + ("," + decimals if decimals else "")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}{NNBSP}%"


def status_label(code: str) -> str:
    return str(ACTION_STATUS_LABELS[ActionStatus(code)])


def funding_status_label(code: str) -> str:
    return str(FUNDING_STATUS_LABELS[FundingStatus(code)])


def role_label(code: str) -> str:
    return str(PARTNER_ROLE_LABELS[PartnerRole(code)])


def progress_bar(value: float | None, title: str, *, width: int = 160) -> Markup:
    """A small horizontal bar toward the target; text beside it says the same for those who cannot see it."""
    shown = 0.0 if value is None else value
    filled = round(width * shown, 1)
    label = f"{title} : {percent(value)}"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="progress-bar" viewBox="0 0 {width} 12" width="{width}" '
        f'height="12" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<rect x="0" y="0" width="{width}" height="12" rx="3" fill="#e3e7ee"/>'
        f'<rect x="0" y="0" width="{filled}" height="12" rx="3" fill="#1e6b35"/></svg>')


# --- The spreadsheet -----------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    return value


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def workbook(document: dict[str, Any]) -> bytes:
    """Three sheets (actions, funding lines, indicator values) and a summary of the totals per axis and plan;
    dates are dates, amounts numbers (exact: written from their decimal value)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Actions"
    axes = {a["id"]: a["label"] for a in document["axes"]}
    bold = Font(bold=True)

    def header(ws: Any, titles: list[str]) -> None:
        ws.append(titles)
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"

    header(sheet, ["Code", "Action", "Axe", "Statut", "Depuis", "Priorité", "Pilote", "Partenaires",
                   "Début prévu", "Fin prévue", "Début réel", "Fin réelle", "Avancement des indicateurs",
                   "Demandé (€)", "Accordé (€)", "Publique"])
    for a in document["actions"]:
        requested = sum((Decimal(f["requested"]) for f in a["funding"]), Decimal("0.00"))
        granted = sum((Decimal(f["granted"]) for f in a["funding"]), Decimal("0.00"))
        progress = plan.action_progress(a)
        sheet.append([_cell(v) for v in [
            a["code"], a["title"], axes.get(a["axis_id"], ""), untranslated(ACTION_STATUS_LABELS[ActionStatus(a["status"])]),
            _day(a["status_since"]), a["priority"], a["pilot"],
            ", ".join(f"{p['name']} ({untranslated(PARTNER_ROLE_LABELS[PartnerRole(p['role'])])})" for p in a["partners"]),
            _day(a["planned_start"]), _day(a["planned_end"]), _day(a["actual_start"]), _day(a["actual_end"]),
            None if progress is None else round(progress, 4), requested, granted, "oui" if a["public"] else "non"]])
    _formats(sheet, dates="EFGHIJKL", money="NO", percent="M")

    lines = book.create_sheet("Financements")
    header(lines, ["Code action", "Action", "Financeur", "Dispositif", "Statut", "Demandé (€)", "Accordé (€)",
                   "Demandé le", "Décidé le", "Versé le"])
    for a in document["actions"]:
        for f in a["funding"]:
            lines.append([_cell(v) for v in [
                a["code"], a["title"], f["funder"], f["scheme"],
                untranslated(FUNDING_STATUS_LABELS[FundingStatus(f["status"])]), Decimal(f["requested"]),
                Decimal(f["granted"]), _day(f["requested_on"]), _day(f["decided_on"]), _day(f["paid_on"])]])
    _formats(lines, dates="HIJ", money="FG")

    values = book.create_sheet("Valeurs des indicateurs")
    header(values, ["Code action", "Indicateur", "Unité", "Référence", "Cible", "Mesuré le", "Valeur"])
    for a in document["actions"]:
        for i in a["indicators"]:
            for measured_on, value in i["values"]:
                values.append([_cell(v) for v in [a["code"], i["name"], i["unit"], Decimal(i["baseline"]),
                                                  Decimal(i["target"]), _day(measured_on), Decimal(value)]])
    _formats(values, dates="F")

    summary = book.create_sheet("Totaux")
    header(summary, ["Axe", "Actions", "Lignes de financement", "Demandé (€)", "Accordé (€)"])
    sections, totals = plan.sections(document)
    for section in sections:
        summary.append([_cell(section.axis["label"]), section.totals.actions, section.totals.lines,
                        section.totals.requested, section.totals.granted])
    summary.append(["Plan d'actions", totals.actions, totals.lines, totals.requested, totals.granted])
    for cell in summary[summary.max_row]:
        cell.font = bold
    _formats(summary, money="DE")

    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _formats(ws: Any, *, dates: str = "", money: str = "", percent: str = "") -> None:
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.column_letter in dates and cell.value is not None:
                cell.number_format = "DD/MM/YYYY"
            elif cell.column_letter in money:
                cell.number_format = '#,##0.00 "€"'
            elif cell.column_letter in percent and cell.value is not None:
                cell.number_format = "0%"
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = 16


def isodate(value: str | None) -> str:
    """A date kept as ISO text in a plan document, as dd/mm/yyyy (the report of a French programme; Babel's
    formatting costs a locale lookup per date, too much for the thousands of dates of a large plan)."""
    return f"{value[8:10]}/{value[5:7]}/{value[:4]}" if value else ""


def labels() -> dict[str, dict[str, str]]:
    """The translated labels of the plan's codes, once per page (a lookup per action would cost more than
    the rest of the page)."""
    return {"status": {k.value: str(v) for k, v in ACTION_STATUS_LABELS.items()},
            "funding": {k.value: str(v) for k, v in FUNDING_STATUS_LABELS.items()},
            "role": {k.value: str(v) for k, v in PARTNER_ROLE_LABELS.items()}}


def last_measure(indicator: dict[str, Any]) -> tuple[str | None, Decimal | None]:
    return plan.last_value(indicator)


def indicator_progress(indicator: dict[str, Any]) -> float | None:
    return plan.indicator_progress(indicator)


def action_granted(action: dict[str, Any]) -> Decimal:
    return sum((Decimal(f["granted"]) for f in action["funding"]), Decimal("0.00"))
