"""Import screens (upload, columns, simulation, run) and the duplicates screens. Thin: services do the work."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.imports import duplicates, merging, services
from crm.imports.fields import FIELD_LABELS
from crm.imports.forms import MergeForm, RunForm, UploadForm, mapping_form
from crm.imports.planning import ACTION_LABELS, MODE_LABELS, Action, Mode
from crm.imports.reading import ImportFileError
from crm.partners.models import Contact, Organisation
from crm.security import protect_admin

bp = Blueprint("imports", __name__, url_prefix="/admin/donnees")
protect_admin(bp)

SHOWN_ROWS = 1000


@bp.route("/import", methods=["GET", "POST"])
def upload() -> str | Response:
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        try:
            imported = services.save_upload(storage.filename or "import.csv", storage.read())
        except ImportFileError as exc:
            form.file.errors = [str(exc)]
        else:
            return redirect(url_for("imports.columns", token=imported.token))
    return render_template("imports/upload.html", form=form)


def _load(token: str) -> services.Upload | Response:
    try:
        return services.load_upload(token)
    except ImportFileError as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.upload"))


@bp.route(f"/import/<string(maxlength={services.MAX_TOKEN_LENGTH}):token>", methods=["GET", "POST"])
def columns(token: str) -> str | Response:
    upload = _load(token)
    if isinstance(upload, Response):
        return upload
    form = mapping_form(upload.header, upload.mapping, upload.mode, upload.strict,
                        formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        mapping = [getattr(form, name).data or "" for name in form.column_names]
        errors = services.set_choices(upload, mapping, form.mode.data, bool(form.strict.data))
        if not errors:
            db.session.commit()
            return redirect(url_for("imports.simulation", token=token))
        for message in errors:
            flash(message, "error")
    return render_template("imports/columns.html", form=form, upload=upload, samples=upload.samples)


@bp.route(f"/import/<string(maxlength={services.MAX_TOKEN_LENGTH}):token>/simulation")
def simulation(token: str) -> str | Response:
    upload = _load(token)
    if isinstance(upload, Response):
        return upload
    if not upload.mapping or not any(upload.mapping):
        return redirect(url_for("imports.columns", token=token))
    plan = services.simulate(upload)
    db.session.rollback()
    only = request.args.get("lignes", "problemes")
    rows = [r for r in plan.rows if only == "toutes" or r.action is Action.REFUSE or r.messages]
    return render_template(
        "imports/simulation.html", upload=upload, plan=plan, summary=plan.summary(), rows=rows[:SHOWN_ROWS],
        conflicts=plan.conflicts[:SHOWN_ROWS],
        hidden=max(0, len(rows) - SHOWN_ROWS), only=only, labels=ACTION_LABELS,
        mode_label=MODE_LABELS[Mode(upload.mode)], field_labels=FIELD_LABELS,
        form=RunForm(expected=json.dumps(plan.summary(), sort_keys=True)),
    )


@bp.route(f"/import/<string(maxlength={services.MAX_TOKEN_LENGTH}):token>/executer", methods=["POST"])
def run(token: str) -> Response:
    upload = _load(token)
    if isinstance(upload, Response):
        return upload
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        expected = json.loads(form.expected.data or "null")
    except ValueError:
        abort(400)
    try:
        _plan, summary = services.run_import(upload.sheet, upload.mapping, upload.mode, filename=upload.filename,
                                             user_id=current_user.id, strict=upload.strict, expected=expected,
                                             accepted=set(form.accept.data or []))
    except services.ImportRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("imports.simulation", token=token))
    db.session.commit()
    services.discard_upload(token)
    flash(_("Import terminé : %(created)s contact(s) créé(s), %(updated)s mis à jour, %(organisations)s structure(s) "
            "créée(s), %(refused)s ligne(s) refusée(s).", created=summary["contacts_created"],
            updated=summary["contacts_updated"], organisations=summary["organisations_created"],
            refused=summary["refused"]), "success")
    if summary["conflicts"]:
        flash(_("%(count)s ligne(s) en conflit laissée(s) de côté : les fiches concernées n'ont pas été "
                "modifiées.", count=summary["conflicts"]), "info")
    return redirect(url_for("partners.contacts"))


# --- Duplicates ---------------------------------------------------------------------------------

MODELS = {"contacts": Contact, "structures": Organisation}


@bp.route("/doublons")
def duplicates_list() -> str:
    return render_template("imports/duplicates.html", contacts=duplicates.contact_duplicates(),
                           organisations=duplicates.organisation_duplicates(), form=MergeForm())


@bp.route("/doublons/<any(contacts,structures):kind>/<int:first_id>/<int:second_id>")
def merge_preview(kind: str, first_id: int, second_id: int) -> str:
    model = MODELS[kind]
    first, second = db.get_or_404(model, first_id), db.get_or_404(model, second_id)
    kept = ({first.id: merging.contact_merge_preview(first, second), second.id: merging.contact_merge_preview(second, first)}
            if kind == "contacts" else {})
    return render_template("imports/merge.html", kind=kind, first=first, second=second, form=MergeForm(), kept=kept)


@bp.route("/doublons/<any(contacts,structures):kind>/fusionner", methods=["POST"])
def merge(kind: str) -> Response:
    form = MergeForm()
    if not form.validate_on_submit():
        abort(400)
    model = MODELS[kind]
    keep, drop = db.get_or_404(model, form.keep.data), db.get_or_404(model, form.drop.data)
    try:
        if kind == "contacts":
            report = merging.merge_contacts(keep, drop, user_id=current_user.id)
        else:
            report = merging.merge_organisations(keep, drop, user_id=current_user.id)
    except merging.MergeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("imports.duplicates_list"))
    db.session.commit()
    flash(_("Fusion faite : %(moved)s élément(s) rattaché(s), %(combined)s doublon(s) combiné(s) "
            "(détail dans l'historique).", moved=sum(report.moved.values()), combined=len(report.combined)),
          "success")
    if kind == "contacts":
        return redirect(url_for("partners.contact_detail", contact_id=report.kept_id))
    return redirect(url_for("partners.organisation_detail", organisation_id=report.kept_id))
