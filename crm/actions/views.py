"""Back-office pages of the action plan. Thin: forms in, services out, flash, redirect."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.actions import committee, display, letter_blocks, plan, services, versions
from crm.actions.forms import (
    ActionForm,
    FundingForm,
    IndicatorForm,
    MilestoneDoneForm,
    MilestoneForm,
    NoteForm,
    PartnerForm,
    StatusForm,
    ValueForm,
)
from crm.actions.models import Action, ActionStatus, FundingLine, PlanVersion, allowed_next
from crm.actions.report import workbook
from crm.extensions import db
from crm.forms import choices, save_form
from crm.security import protect_admin

bp = Blueprint("actions", __name__, url_prefix="/admin/plan-d-actions")
protect_admin(bp)


@bp.route("/")
def index() -> str:
    document = plan.load(people=True)
    status = request.args.get("statut", "")
    if status not in {s.value for s in ActionStatus}:
        status = ""
    else:  # the dashboard's "actions en cours" leads here
        document["actions"] = [action for action in document["actions"] if action["status"] == status]
    sections, totals = plan.sections(document)
    return render_template("actions/index.html", sections=sections, totals=totals, status=status)


@bp.route("/nouvelle", methods=["GET", "POST"])
def create() -> str | WerkzeugResponse:
    form = ActionForm()
    form.fill_choices()
    if saved := save_form(form, lambda: services.create_action(form.to_input()), success=_("Action créée.")):
        return redirect(url_for("actions.detail", action_id=saved.value.id))
    return render_template("actions/form.html", form=form, action=None)


@bp.route("/<int:action_id>")
def detail(action_id: int) -> str:
    action = db.get_or_404(Action, action_id)
    forms = display.detail_forms(action)
    return render_template("actions/detail.html", action=action, **forms,
                           indicators=display.indicator_rows(action),
                           history=services.history(action),
                           sessions=committee.sessions_of(action),
                           letters=letter_blocks.letters_mentioning(action),
                           next_statuses=sorted(allowed_next(ActionStatus(action.status))))


@bp.route("/<int:action_id>/modifier", methods=["GET", "POST"])
def edit(action_id: int) -> str | WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = ActionForm(obj=action)
    form.fill_choices()
    if request.method == "GET":
        form.pilot_contact_id.data = action.pilot.contact_id if action.pilot else None
    if save_form(form, lambda: services.update_action(action, form.to_input()), success=_("Action enregistrée.")):
        return redirect(url_for("actions.detail", action_id=action.id))
    return render_template("actions/form.html", form=form, action=action)


def _back(action: Action) -> WerkzeugResponse:
    return redirect(url_for("actions.detail", action_id=action.id))


def _post(action: Action, form: object, save: object, success: str) -> WerkzeugResponse:
    """A small form of the action page: saved, or its errors flashed (the page shows them at the top)."""
    if not save_form(form, save, success=success):  # type: ignore[arg-type]
        for errors in form.errors.values():  # type: ignore[attr-defined]
            for message in errors:
                flash(str(message), "error")
    return _back(action)


@bp.route("/<int:action_id>/statut", methods=["POST"])
def change_status(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = StatusForm()
    return _post(action, form, lambda: services.change_status(action, form.status.data, form.on.data),
                 _("Statut changé."))


@bp.route("/<int:action_id>/partenaires", methods=["POST"])
def add_partner(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = PartnerForm()
    form.organisation_id.choices = services.organisation_choices()
    return _post(action, form, lambda: services.add_partner(action, form.organisation_id.data, form.role.data),
                 _("Partenaire engagé."))


@bp.route("/<int:action_id>/jalons", methods=["POST"])
def add_milestone(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = MilestoneForm()
    return _post(action, form, lambda: services.add_milestone(action, form.title.data, form.due_on.data),
                 _("Jalon ajouté."))


@bp.route("/<int:action_id>/jalons/atteint", methods=["POST"])
def milestone_done(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = MilestoneDoneForm()
    return _post(action, form, lambda: services.mark_milestone_done(action, int(form.milestone_id.data or 0)),
                 _("Jalon atteint."))


@bp.route("/<int:action_id>/financements", methods=["POST"])
def add_funding(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = FundingForm()
    form.funder_id.choices = services.organisation_choices()
    return _post(action, form, lambda: services.add_funding(action, form.to_input()),
                 _("Ligne de financement ajoutée."))


@bp.route("/financements/<int:line_id>/modifier", methods=["GET", "POST"])
def edit_funding(line_id: int) -> str | WerkzeugResponse:
    line = db.get_or_404(FundingLine, line_id)
    if line.action_id is None:  # a firm's project's line: edited from the project's page
        abort(404)
    form = FundingForm(obj=line)
    form.funder_id.choices = services.organisation_choices()
    if request.method == "GET":
        form.funding_status.data = line.status
    if save_form(form, lambda: services.update_funding(line, form.to_input()),
                 success=_("Ligne de financement enregistrée.")):
        return redirect(url_for("actions.detail", action_id=line.action_id))
    return render_template("actions/funding_form.html", form=form, line=line)


@bp.route("/<int:action_id>/indicateurs", methods=["POST"])
def add_indicator(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = IndicatorForm()
    return _post(action, form, lambda: services.add_indicator(action, form.name.data, form.unit.data or "",
                                                              form.baseline.data, form.target.data),
                 _("Indicateur ajouté."))


@bp.route("/<int:action_id>/mesures", methods=["POST"])
def record_value(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = ValueForm()
    form.indicator_id.choices = choices((i.id, i.name) for i in action.indicators)
    indicator = next((i for i in action.indicators if i.id == form.indicator_id.data), None)
    if indicator is None:
        flash(_("Choisissez un indicateur de l'action."), "error")
        return _back(action)
    return _post(action, form, lambda: services.record_value(indicator, form.measured_on.data, form.value.data),
                 _("Valeur enregistrée."))


# --- Report, versions -------------------------------------------------------------------------


@bp.route("/etat-d-avancement")
def report() -> str:
    return render_template("actions/report.html", **display.report_context(request.args.get("depuis", type=int)))


@bp.route("/etat-d-avancement/imprimer")
def report_print() -> str:
    return render_template("actions/report_print.html",
                           **display.report_context(request.args.get("depuis", type=int)))


@bp.route("/etat-d-avancement.xlsx")
def report_xlsx() -> Response:
    body = workbook(plan.load())
    name = f"plan-d-actions-{date.today().isoformat()}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/versions/")
def version_list() -> str:
    return render_template("actions/versions.html", versions=versions.all_versions())


@bp.route("/versions/<int:version_id>")
def version(version_id: int) -> str:
    item = db.get_or_404(PlanVersion, version_id)
    sections, totals = plan.sections(item.snapshot)
    return render_template("actions/version.html", version=item, sections=sections, totals=totals,
                           previous=versions.previous(item))


@bp.route("/versions/comparer")
def compare() -> str | WerkzeugResponse:
    old = db.session.get(PlanVersion, request.args.get("de", type=int) or 0)
    new = db.session.get(PlanVersion, request.args.get("a", type=int) or 0)
    if old is None or new is None:
        flash(_("Choisissez deux versions à comparer."), "error")
        return redirect(url_for("actions.version_list"))
    return render_template("actions/compare.html", old=old, new=new,
                           changes=versions.compare(old.snapshot, new.snapshot))




@bp.route("/<int:action_id>/notes", methods=["POST"])
def note_add(action_id: int) -> WerkzeugResponse:
    action = db.get_or_404(Action, action_id)
    form = NoteForm()
    return _post(action, form, lambda: services.add_note(action, form.body.data or "", form.kind.data,
                                                         author_id=current_user.id), _("Note ajoutée."))
