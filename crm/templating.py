"""Jinja filters and the back-office navigation shared by every template."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

from crm.partners.models import CIVILITIES
from crm.partners.territory import department_label

# (endpoint, label) in menu order; features add theirs with ``add_nav_item``.
ADMIN_NAV: list[tuple[str, str]] = [
    ("dashboard.index", "Tableau de bord"),
    ("partners.organisations", "Structures"),
    ("partners.contacts", "Contacts"),
    ("partners.club_members", "Club des Industriels"),
    ("mail.index", "Boîte d'envoi"),
]


def _datetime(value: datetime | None, fmt: str = "short") -> str:
    return "" if value is None else format_datetime(value, fmt)


def _date(value: date | datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def _civility(value: str | None) -> str:
    return CIVILITIES.get(value or "", "")


def _nav() -> dict[str, Any]:
    return {"admin_nav": ADMIN_NAV, "get_locale": get_locale}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(dt=_datetime, d=_date, department=department_label, civility=_civility)
    app.context_processor(_nav)
