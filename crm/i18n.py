"""Locale and time zone: French by default, English on request, dates shown in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, redirect, request, session, url_for
from werkzeug.wrappers import Response


def select_locale() -> str:
    """The reader's choice within a request; outside one (scheduler jobs, the CLI), the default language."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def local_tz() -> ZoneInfo:
    """The zone times are shown and typed in (``TIMEZONE``, Europe/Paris); they are stored in UTC."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(value: datetime) -> datetime:
    return value.astimezone(local_tz())


def local_to_utc(local: datetime) -> datetime:
    """A wall-clock time typed in the local zone -> aware UTC. A time that does not exist that day (skipped by
    the spring change) raises ValueError."""
    zone = local_tz()
    aware = local.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise ValueError("nonexistent local time")
    return aware.astimezone(UTC)


def set_language(code: str) -> Response:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.referrer or url_for("dashboard.index")
    if not target.startswith(request.host_url):
        target = url_for("dashboard.index")
    return redirect(target)


def init_app(app: Flask) -> None:
    app.add_url_rule("/langue/<code>", "set_language", set_language, methods=["POST"])
