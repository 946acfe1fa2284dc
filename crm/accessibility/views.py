"""The public déclaration d'accessibilité, and its admin-only edit page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.accessibility import services
from crm.accessibility.forms import StatementForm
from crm.accessibility.models import CONFORMITY_LABELS
from crm.extensions import db
from crm.security import protect_admin

bp = Blueprint("accessibility", __name__)
admin_bp = Blueprint("accessibility_admin", __name__, url_prefix="/admin/accessibilite")
protect_admin(admin_bp, write_role="admin", read_role="admin")


@bp.route("/accessibilite")
def statement() -> str:
    item = services.current()
    return render_template("accessibility/statement.html", statement=item,
                           conformity_label=CONFORMITY_LABELS[item.conformity], render=services.rendered)


@admin_bp.route("/", methods=["GET", "POST"])
def edit() -> str | Response | tuple[str, int]:
    item = services.current()
    form = StatementForm(obj=item)
    if form.validate_on_submit():
        services.save(services.StatementInput(status=form.status.data or "", audit_summary=form.audit_summary.data or "",
                                              non_accessible=form.non_accessible.data or "",
                                              contact=form.contact.data or ""), current_user.id)
        db.session.commit()
        flash(_("Déclaration d'accessibilité enregistrée."), "success")
        return redirect(url_for("accessibility_admin.edit"), code=303)
    return render_template("accessibility/edit.html", form=form), (400 if request.method == "POST" else 200)
