"""Back-office pages for segments. Thin: forms in, services out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.errors import ValidationError
from crm.forms import flash_errors, save_form, show_errors
from crm.security import protect_admin
from crm.segments import services
from crm.segments.forms import SegmentForm
from crm.segments.models import Segment
from crm.segments.services import SegmentCriteria

bp = Blueprint("segments", __name__, url_prefix="/admin/segments")
protect_admin(bp)


@bp.route("/")
def index() -> str:
    rows = [(segment, services.describe(services.criteria_of(segment)), services.count(services.criteria_of(segment)))
            for segment in services.all_segments()]
    return render_template("segments/index.html", rows=rows, delete_form=FlaskForm())


def _person(contact: Any) -> dict[str, str]:
    name = f"{contact.first_name} {contact.last_name}".strip() or contact.email or "—"
    return {"name": name, "organisation": contact.organisation.name if contact.organisation is not None else ""}


@bp.route("/compte")
def live_count() -> Response:
    """The live count and the first people matching, shown while the form is edited (GET with its fields)."""
    form = SegmentForm(request.args, meta={"csrf": False})
    criteria = form.criteria()
    try:
        services.validate(criteria)
    except ValidationError as exc:
        return jsonify(error=" ".join(exc.errors.values())), 400
    reached, left_out = services.newsletter_reach(criteria)
    return jsonify(count=services.count(criteria), confirmed=services.count_confirmed(criteria), reached=reached,
                   left_out=left_out, preview=[_person(contact) for contact in services.preview(criteria)])


def _edit(segment: Segment | None) -> Any:
    initial = SegmentForm.initial(segment.name, segment.description, services.criteria_of(segment)) if segment else {}
    form = SegmentForm(data=initial)
    counting = request.method == "POST" and "compter" in request.form  # "Compter" without JavaScript: no save
    if not counting and (saved := save_form(
            form, lambda: services.save_segment(form.name.data or "", form.description.data or "", form.criteria(),
                                                segment))):
        flash(_("Segment « %(name)s » enregistré.", name=saved.value.name), "success")
        return redirect(url_for("segments.index"))
    criteria = form.criteria() if request.method == "POST" else (
        services.criteria_of(segment) if segment else SegmentCriteria())
    reached, left_out, people = None, {}, []
    try:
        services.validate(criteria)
        current = services.count(criteria)
        reached, left_out = services.newsletter_reach(criteria)
        people = [_person(contact) for contact in services.preview(criteria)]
    except ValidationError as exc:
        current = None
        if counting:
            show_errors(form, exc, summary=False)
    status = 400 if request.method == "POST" and not counting else 200
    return render_template("segments/form.html", form=form, segment=segment, count=current, reached=reached,
                           left_out=left_out, people=people), status


@bp.route("/nouveau", methods=["GET", "POST"])
def create() -> Any:
    return _edit(None)


@bp.route("/<int:segment_id>", methods=["GET", "POST"])
def edit(segment_id: int) -> Any:
    return _edit(db.get_or_404(Segment, segment_id))


@bp.route("/<int:segment_id>/supprimer", methods=["POST"])
def delete(segment_id: int) -> Response:
    segment = db.get_or_404(Segment, segment_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.delete_segment(segment)
    except ValidationError as exc:
        flash_errors(exc)
        return redirect(url_for("segments.index"))
    db.session.commit()
    flash(_("Segment supprimé."), "success")
    return redirect(url_for("segments.index"))
