"""Jinja filters and the back-office navigation shared by every template."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

from crm.partners.models import CIVILITIES
from crm.partners.territory import department_label


def N_(text: str) -> str:
    """Marks a string for ``pybabel extract`` without translating it: base.html translates nav labels."""
    return text


# (endpoint, label) in menu order; features add theirs with ``add_nav_item``.
ADMIN_NAV: list[tuple[str, str]] = [
    ("dashboard.index", N_("Tableau de bord")),
    ("partners.organisations", N_("Structures")),
    ("partners.contacts", N_("Contacts")),
    ("partners.club_members", N_("Club des Industriels")),
    ("signup.admin.inbox", N_("Demandes")),
    ("events.index", N_("Événements")),
    ("segments.index", N_("Segments")),
    ("campaigns.admin.index", N_("Lettres d'information")),
    ("mail.index", N_("Boîte d'envoi")),
    ("imports.upload", N_("Import")),
    ("privacy.register_page", N_("RGPD")),
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
