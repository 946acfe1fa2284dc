"""Jinja filters and the back-office navigation shared by every template (each feature adds its menu entries
and filters through its declaration, crm.extensions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from collections.abc import Iterable, Mapping

from flask import Flask, render_template
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup

from crm.extensions import hooks, nav_items


def _datetime(value: datetime | None, fmt: str = "short") -> str:
    return "" if value is None else format_datetime(value, fmt)


def _date(value: date | datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def render_sections(sections: Iterable[tuple[str, Mapping[str, Any]] | None], **shared: Any) -> list[Markup]:
    """Sections features add to a page (their template and the context they built), drawn in order."""
    return [Markup(render_template(template, **shared, **context)) for template, context in filter(None, sections)]


def hook_sections(name: str, *args: Any) -> list[Markup]:
    """The sections every feature's ``name`` hook returns for ``args`` (None: nothing to show)."""
    return render_sections(hook(*args) for hook in hooks(name))


def _nav() -> dict[str, Any]:
    return {"admin_nav": nav_items(), "get_locale": get_locale}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(dt=_datetime, d=_date)
    app.context_processor(_nav)
