"""Import of an existing plan from a spreadsheet (same blueprint as the actions): upload, columns and dry run,
then the import itself, all or nothing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.actions import plan_import
from crm.actions.forms import plan_mapping_form
from crm.actions.services import ActionError
from crm.actions.views import bp
from crm.extensions import db
from crm.imports import services as imports
from crm.imports.forms import UploadForm
from crm.imports.reading import ImportFileError


@bp.route("/import", methods=["GET", "POST"])
def import_upload() -> str | Response:
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        try:
            upload = imports.save_upload(storage.filename or "plan.csv", storage.read())
        except ImportFileError as exc:
            form.file.errors = [str(exc)]
        else:
            return redirect(url_for("actions.import_columns", token=upload.token))
    return render_template("actions/import_upload.html", form=form)


@bp.route(f"/import/<string(maxlength={imports.MAX_TOKEN_LENGTH}):token>", methods=["GET", "POST"])
def import_columns(token: str) -> str | Response:
    try:
        upload = imports.load_upload(token)
    except ImportFileError as exc:
        flash(str(exc), "error")
        return redirect(url_for("actions.import_upload"))
    posted = request.method == "POST"
    form = plan_mapping_form(upload.header, plan_import.propose_mapping(upload.header),
                             formdata=request.form if posted else None)
    result, errors = None, []
    if posted and form.validate_on_submit():
        mapping = [getattr(form, name).data or "" for name in form.column_names]
        try:
            if request.form.get("step") == "run":
                expected = int(form.expected.data) if (form.expected.data or "").isdigit() else None
                done = plan_import.run(upload.sheet, mapping, expected=expected)
                db.session.commit()
                imports.discard_upload(token)
                flash(_("%(count)s action(s) importée(s).", count=done.creations), "success")
                return redirect(url_for("actions.index"))
            result = plan_import.simulate(upload.sheet, mapping)
            form.expected.data = str(result.creations)
        except ActionError as exc:
            db.session.rollback()
            errors = list(exc.errors.values())
            if request.form.get("step") == "run" and not plan_import.check_mapping(mapping):
                result = plan_import.simulate(upload.sheet, mapping)
    return render_template("actions/import_columns.html", upload=upload, form=form, result=result, errors=errors,
                           samples=upload.samples)
