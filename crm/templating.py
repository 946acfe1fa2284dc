"""Jinja filters and the back-office navigation shared by every template (each feature adds its menu entries
and filters through its declaration, crm.extensions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

from crm.extensions import nav_items


def _datetime(value: datetime | None, fmt: str = "short") -> str:
    return "" if value is None else format_datetime(value, fmt)


def _date(value: date | datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def _nav() -> dict[str, Any]:
    return {"admin_nav": nav_items(), "get_locale": get_locale}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(dt=_datetime, d=_date)
    app.context_processor(_nav)
