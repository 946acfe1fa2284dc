from __future__ import annotations

from flask import render_template

from crm.dashboard import bp, services


@bp.route("/")
def index() -> str:
    return render_template("dashboard/index.html", figures=services.key_figures())
