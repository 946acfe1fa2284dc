from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from crm.dashboard import charts, services
from crm.db import utcnow
from crm.security import protect_admin
from crm.templating import render_sections

bp = Blueprint("dashboard", __name__, url_prefix="/admin")
protect_admin(bp)


def _render(template: str) -> str:
    data = services.build(timezone=current_app.config["TIMEZONE"], url_for=url_for)
    heartbeat = services.scheduler_heartbeat(current_app.instance_path)
    stale = heartbeat is None or (utcnow() - heartbeat).total_seconds() > 600
    # Each feature's section, drawn from its own template with the context it built.
    sections = render_sections(((section.template, section.context) for section in data.sections), charts=charts)
    return render_template(template, data=data, charts=charts, sections=sections, heartbeat=heartbeat,
                           heartbeat_stale=stale)


@bp.route("/")
def index() -> str:
    return _render("dashboard/index.html")


@bp.route("/tableau-de-bord/imprimer")
def printable() -> str:
    return _render("dashboard/print.html")
