"""The progress report: the same totals on screen, in print and in the spreadsheet, exact to the cent."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from crm.actions import plan, versions
from crm.actions.demo import build_plan
from crm.actions.models import FundingLine, GRANTED_STATUSES
from crm.actions.report import euros, safe_text
from crm.extensions import db
from tests.actions.helpers import action, organisation, granted_line
from tests.actions.query_count import count_queries


def _database_totals() -> tuple[Decimal, Decimal]:
    requested = db.session.scalar(sa.select(sa.func.sum(FundingLine.amount_requested)))
    granted = db.session.scalar(sa.select(sa.func.sum(FundingLine.amount_granted)).where(
        FundingLine.status.in_(GRANTED_STATUSES)))
    return Decimal(requested), Decimal(granted)


def _cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_screen_print_and_spreadsheet_give_the_same_totals(client, login) -> None:
    build_plan(26, lines_per_action=6)  # 156 funding lines with cents
    db.session.commit()
    requested, granted = _database_totals()
    login("viewer")
    screen = client.get("/admin/plan-d-actions/etat-d-avancement").get_data(as_text=True)
    printed = client.get("/admin/plan-d-actions/etat-d-avancement/imprimer").get_data(as_text=True)
    for page in (screen, printed):
        assert re.search(r'data-plan-requested>([^<]+)<', page).group(1) == euros(requested)
        assert re.search(r'data-plan-granted>([^<]+)<', page).group(1) == euros(granted)
        assert re.search(r'data-plan-actions>(\d+)<', page).group(1) == "26"
    response = client.get("/admin/plan-d-actions/etat-d-avancement.xlsx")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    lines = list(book["Financements"].iter_rows(min_row=2, values_only=True))
    assert len(lines) == 156
    assert all(isinstance(row[5], int | float) and isinstance(row[6], int | float) for row in lines)
    assert sum(_cents(row[5]) for row in lines) == requested
    assert sum(_cents(row[6]) for row in lines) == granted
    actions = list(book["Actions"].iter_rows(min_row=2, values_only=True))
    assert len(actions) == 26 and sum(_cents(row[14]) for row in actions) == granted
    last = list(book["Totaux"].iter_rows(values_only=True))[-1]
    assert last[0] == "Plan d'actions" and last[1] == 26 and _cents(last[3]) == requested
    assert _cents(last[4]) == granted
    # Screen, print and file say per axis what they say in total.
    axis_sums = [_cents(row[4]) for row in list(book["Totaux"].iter_rows(min_row=2, values_only=True))[:-1]]
    assert sum(axis_sums) == granted
    assert {euros(value) for value in axis_sums} <= set(re.findall(r'data-granted>([^<]+)<', screen))


def test_spreadsheet_cells_are_typed_and_formula_text_is_neutralised(client, login) -> None:
    item = action("4.1", "=HYPERLINK(\"http://evil\")", axis_code="foncier", planned_start=date(2025, 3, 1))
    granted_line(item, organisation("+Financeur (démo)"), "1234.56", "1000")
    db.session.commit()
    login("viewer")
    book = load_workbook(BytesIO(client.get("/admin/plan-d-actions/etat-d-avancement.xlsx").data))
    row = next(book["Actions"].iter_rows(min_row=2, values_only=True))
    assert row[1] == "'=HYPERLINK(\"http://evil\")"
    assert row[8].date() == date(2025, 3, 1)
    line = next(book["Financements"].iter_rows(min_row=2, values_only=True))
    assert line[2] == "'+Financeur (démo)" and line[5] == 1234.56
    for start in "=+-@\t\r":
        assert safe_text(start + "x") == "'" + start + "x"
    assert safe_text("Région") == "Région"


def test_the_report_and_the_file_take_the_same_number_of_queries_at_any_size(client, login) -> None:
    build_plan(5)
    versions.freeze()
    db.session.commit()
    login("viewer")
    counts = []
    for more in (0, 80):
        build_plan(more) if more else None
        db.session.commit()
        with count_queries() as page:
            assert client.get("/admin/plan-d-actions/etat-d-avancement").status_code == 200
        with count_queries() as sheet:
            assert client.get("/admin/plan-d-actions/etat-d-avancement.xlsx").status_code == 200
        counts.append((page.count, sheet.count))
    assert counts[0] == counts[1]
    assert len(plan.load()["actions"]) == 85
