"""The bounces page: what the reports did, and how many could not be tied to a mail of ours."""

from __future__ import annotations

from flask import Blueprint, render_template

from crm.bounces import services
from crm.security import protect_admin

bp = Blueprint("bounces", __name__, url_prefix="/admin/retours")
protect_admin(bp)


@bp.route("/")
def index() -> str:
    return render_template("bounces/index.html", figures=services.bounce_figures(),
                           unmatched=services.latest_bounces(applied=False),
                           applied=services.latest_bounces(applied=True), match_label=services.match_label)
