from __future__ import annotations

from flask import current_app, render_template
from flask_babel import format_date

from crm.dashboard import bp, charts, services
from crm.db import utcnow


def _render(template: str) -> str:
    data = services.build(timezone=current_app.config["TIMEZONE"])
    event_rows = [(f"{e.title} — {format_date(e.starts_at, 'short')}", e.answers) for e in data.events]
    heartbeat = services.scheduler_heartbeat(current_app.instance_path)
    stale = heartbeat is None or (utcnow() - heartbeat).total_seconds() > 600
    return render_template(template, data=data, charts=charts, answer_series=services.ANSWER_SERIES,
                           event_rows=event_rows, heartbeat=heartbeat, heartbeat_stale=stale)


@bp.route("/")
def index() -> str:
    return _render("dashboard/index.html")


@bp.route("/tableau-de-bord/imprimer")
def printable() -> str:
    return _render("dashboard/print.html")
