"""Privacy pages: register, a contact's data (JSON and readable), erasure, retention review. Thin."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.extensions import db
from crm.partners.models import Contact
from crm.privacy import erasure, export, register, retention
from crm.privacy.forms import ActionForm, EraseForm
from crm.privacy.models import RetentionReview, ReviewStatus
from crm.security import admin_only, protect_admin, require_admin

bp = Blueprint("privacy", __name__, url_prefix="/admin/rgpd")
protect_admin(bp)


@bp.route("/")
def register_page() -> str:
    years, grace = retention.retention_years(), retention.grace_days()
    return render_template("privacy/register.html", processings=register.processings(years, grace),
                           held=register.data_held(), years=years, grace=grace)


@bp.route("/contacts/<int:contact_id>")
def contact_page(contact_id: int) -> str:
    contact = db.get_or_404(Contact, contact_id)
    return render_template("privacy/contact.html", contact=contact, form=EraseForm(),
                           erased=contact.email is None)


@bp.route("/contacts/<int:contact_id>/export.json")
def contact_json(contact_id: int) -> Response:
    contact = db.get_or_404(Contact, contact_id)
    body = json.dumps(export.export_contact(contact), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.json"'})


@bp.route("/contacts/<int:contact_id>/donnees")
def contact_html(contact_id: int) -> str:
    contact = db.get_or_404(Contact, contact_id)
    data = export.export_contact(contact)
    return render_template("privacy/export.html", contact=contact, data=data,
                           sections=export.readable_sections(data, current_app.config["TIMEZONE"]),
                           generated_at=export.readable_value(Contact.__table__, "created_at", data["generated_at"],
                                                              current_app.config["TIMEZONE"]))


@bp.route("/contacts/<int:contact_id>/effacer", methods=["POST"])
@admin_only
def erase(contact_id: int) -> WerkzeugResponse | str:
    contact = db.get_or_404(Contact, contact_id)
    form = EraseForm()
    if not form.validate_on_submit() or (form.confirm.data or "").strip().upper() != "EFFACER":
        flash(_("Effacement non confirmé : tapez EFFACER dans la case."), "error")
        return redirect(url_for("privacy.contact_page", contact_id=contact_id))
    try:
        erasure.erase_contact(contact, user_id=current_user.id)
    except erasure.PrivacyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Données personnelles effacées ; l'adresse est sur la liste d'opposition."), "success")
    return redirect(url_for("privacy.contact_page", contact_id=contact_id))


@bp.route("/conservation")
def reviews() -> str:
    return render_template("privacy/reviews.html", reviews=retention.pending_reviews(), form=ActionForm(),
                           years=retention.retention_years(), grace=retention.grace_days())


@bp.route("/conservation/examiner", methods=["POST"])
def flag() -> WerkzeugResponse:
    if not ActionForm().validate_on_submit():
        abort(400)
    count = retention.flag_for_review()
    db.session.commit()
    flash(_("%(count)s prospect(s) ajouté(s) à la revue.", count=count), "success")
    return redirect(url_for("privacy.reviews"))


@bp.route("/conservation/<int:review_id>/<any(garder,effacer):decision>", methods=["POST"])
def decide(review_id: int, decision: str) -> WerkzeugResponse:
    if not ActionForm().validate_on_submit():
        abort(400)
    review = db.get_or_404(RetentionReview, review_id)
    if review.status != ReviewStatus.PENDING.value:
        flash(_("Cette fiche a déjà été traitée."), "error")
        return redirect(url_for("privacy.reviews"))
    if decision == "garder":
        retention.keep(review, current_user.id)
        message = _("Fiche conservée : elle ne sera pas proposée avant la prochaine échéance.")
    else:
        require_admin()  # keeping is the team's call; erasing is an admin's
        retention.purge(review, current_user.id)
        message = _("Fiche effacée.")
    db.session.commit()
    current_app.logger.info("retention review %s: %s by user %s", review_id, decision, current_user.id)
    flash(message, "success")
    return redirect(url_for("privacy.reviews"))
