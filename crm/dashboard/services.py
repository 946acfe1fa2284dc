"""Figures for the semi-annual technical committee, each computed by one aggregate query.

The counts and sections of each feature come from its declaration (``Feature.figures``, ``Feature.panels``):
this module names no feature; it draws the partners' charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_date, get_locale

from crm.consent.models import Subscription
from crm.db import utcnow
from crm.extensions import db
from crm.extensions import Figure, figures, panels
from crm.forms import lazy_gettext as _l
from crm.forms import shown_label
from crm.partners import figures as partner_figures
from crm.partners.models import (
    AMBASSADOR_LABELS,
    AmbassadorStatus,
    Contact,
    Organisation,
    OrganisationKind,
    Sector,
    organisation_sectors,
)
from crm.partners.territory import NOT_GIVEN, department_label

MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


@dataclass
class Count:
    """One figure as shown: its label, its value, and the list it leads to."""

    label: Any
    value: int
    url: str | None


@dataclass
class Section:
    template: str
    context: dict[str, Any]


@dataclass
class Dashboard:
    today: date
    key: list[Count]
    by_kind: Chart
    by_sector: Chart
    by_department: Chart
    ambassadors: Chart
    subscribers_by_month: list[tuple[str, int]]
    club_by_year: list[tuple[str, int]]
    waiting: list[Count] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)



# Each chart's bars are (label, count, the list's filters): the bar leads to the list filtered to exactly the rows
# it counts (the organisations list for the structures, the contacts list for the ambassadors).


def _by_kind() -> list[tuple[str, int, dict[str, str]]]:
    rows = db.session.execute(
        sa.select(OrganisationKind.label, OrganisationKind.code, sa.func.count(Organisation.id))
        .select_from(Organisation).outerjoin(OrganisationKind, OrganisationKind.id == Organisation.kind_id)
        .group_by(OrganisationKind.label, OrganisationKind.code, OrganisationKind.position)
        .order_by(OrganisationKind.position))
    return [(shown_label(label) if label else str(_l("Non renseigné")), count, {"kind": code or NOT_GIVEN})
            for label, code, count in rows]


def _by_sector() -> list[tuple[str, int, dict[str, str]]]:
    rows = db.session.execute(
        sa.select(Sector.label, Sector.code, sa.func.count(organisation_sectors.c.organisation_id))
        .select_from(Sector).outerjoin(organisation_sectors, organisation_sectors.c.sector_id == Sector.id)
        .group_by(Sector.label, Sector.code, Sector.position).order_by(Sector.position))
    return [(shown_label(label), count, {"sector": code}) for label, code, count in rows]


def _by_department() -> list[tuple[str, int, dict[str, str]]]:
    department = sa.func.coalesce(sa.func.nullif(Organisation.department, ""), NOT_GIVEN)
    rows = db.session.execute(sa.select(department, sa.func.count()).group_by(department))
    return sorted(((department_label(d) if d != NOT_GIVEN else str(_l("Non renseigné")), n, {"department": d})
                   for d, n in rows), key=lambda item: (-item[1], item[0]))


def _ambassadors() -> list[tuple[str, int, dict[str, str]]]:
    counts = dict(db.session.execute(sa.select(Contact.ambassador_status, sa.func.count())
                                     .where(Contact.ambassador_status != AmbassadorStatus.NONE.value)
                                     .group_by(Contact.ambassador_status)).all())
    return [(str(AMBASSADOR_LABELS[s]), counts.get(s.value, 0), {"ambassador": s.value}) for s in
            (AmbassadorStatus.CANDIDATE, AmbassadorStatus.ACTIVE, AmbassadorStatus.FORMER)]


@dataclass
class Chart:
    """A bar chart's items, and per item the list it leads to (None when there is no such list)."""

    items: list[tuple[str, int]]
    links: list[str | None]


def _chart(bars: list[tuple[str, int, dict[str, str]]], endpoint: str,
           url_for: Callable[..., str] | None) -> Chart:
    return Chart([(label, value) for label, value, _ in bars],
                 [url_for(endpoint, **args) if url_for is not None else None for _, _, args in bars])


def _month(first: date) -> str:
    """A month's short name in the reader's language (French: the abbreviations of the French press)."""
    locale = get_locale()
    if locale is None or locale.language == "fr":
        return MONTHS_FR[first.month - 1]
    return format_date(first, "MMM")


def _month_ends(today: date, months: int) -> list[date]:
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        ends.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(ends))  # the first day of each month; the point is "at the start of next month"


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _subscribers_by_month(today: date, tz: ZoneInfo, months: int = 12) -> list[tuple[str, int]]:
    """Confirmed subscribers at the end of each of the last months (today for the current one)."""
    points = []
    columns = []
    for index, first in enumerate(_month_ends(today, months)):
        end = _next_month(first)
        moment = utcnow() if end > today else datetime.combine(end, time(), tz).astimezone(UTC)
        confirmed = sa.and_(Subscription.confirmed_at.is_not(None), Subscription.confirmed_at <= moment,
                            sa.or_(Subscription.unsubscribed_at.is_(None), Subscription.unsubscribed_at > moment,
                                   Subscription.unsubscribed_at < Subscription.confirmed_at))
        columns.append(sa.func.count().filter(confirmed).label(f"m{index}"))
        points.append(f"{_month(first)} {first.year % 100:02d}")
    row = db.session.execute(sa.select(*columns).select_from(Subscription)).one()
    return list(zip(points, list(row), strict=True))


def _club_by_year(today: date) -> list[tuple[str, int]]:
    """Members at the end of each of the last five years."""
    items = []
    for year in range(today.year - 4, today.year + 1):
        day = min(date(year, 12, 31), today)
        items.append((str(year), partner_figures.club_members(day)))
    return items


def scheduler_heartbeat(instance_path: str) -> datetime | None:
    """When the scheduler process last ticked (it writes this file every minute), or None if never."""
    from pathlib import Path

    from crm.jobs import HEARTBEAT_FILE

    try:
        return datetime.fromisoformat(Path(instance_path, HEARTBEAT_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _shown(figure: Figure, url_for: Callable[..., str] | None) -> Count:
    url = url_for(figure.endpoint, **figure.args) if figure.endpoint and url_for is not None else None
    return Count(figure.label, figure.count(), url)


def build(today: date | None = None, timezone: str = "Europe/Paris",
          url_for: Callable[..., str] | None = None) -> Dashboard:
    tz = ZoneInfo(timezone)
    today = today or datetime.now(tz).date()
    return Dashboard(
        today=today,
        key=[_shown(figure, url_for) for figure in figures("key")],
        by_kind=_chart(_by_kind(), "partners.organisations", url_for),
        by_sector=_chart(_by_sector(), "partners.organisations", url_for),
        by_department=_chart(_by_department(), "partners.organisations", url_for),
        ambassadors=_chart(_ambassadors(), "partners.contacts", url_for),
        subscribers_by_month=_subscribers_by_month(today, tz), club_by_year=_club_by_year(today),
        waiting=[_shown(figure, url_for) for figure in figures("waiting")],
        sections=[Section(panel.template, dict(panel.build())) for panel in panels()],
    )
