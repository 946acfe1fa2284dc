from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from markupsafe import Markup

from crm.dashboard import charts, services
from crm.db import utcnow
from crm.security import protect_admin

bp = Blueprint("dashboard", __name__, url_prefix="/admin")
protect_admin(bp)


def _render(template: str) -> str:
    data = services.build(timezone=current_app.config["TIMEZONE"], url_for=url_for)
    heartbeat = services.scheduler_heartbeat(current_app.instance_path)
    stale = heartbeat is None or (utcnow() - heartbeat).total_seconds() > 600
    # Each feature's section, drawn from its own template with the context it built.
    sections = [Markup(render_template(section.template, charts=charts, **section.context))
                for section in data.sections]
    return render_template(template, data=data, charts=charts, sections=sections, heartbeat=heartbeat,
                           heartbeat_stale=stale)


@bp.route("/")
def index() -> str:
    return _render("dashboard/index.html")


@bp.route("/tableau-de-bord/imprimer")
def printable() -> str:
    return _render("dashboard/print.html")
