"""Back-office pages of the projects pipeline: board, list, figures, exports, a project's page. Thin: forms in,
services out, flash, redirect."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.actions.models import FundingLine
from crm.errors import ValidationError
from crm.extensions import db
from crm.forms import save_form, show_errors
from crm.partners.models import Axis, Sector
from crm.projects import exports, figures, queries, services
from crm.projects.forms import FundingForm, NewProjectForm, NextStepForm, ProjectForm, StageForm
from crm.projects.models import Project, Stage, StageChange
from crm.security import protect_admin
from crm.tasks.services import team, today

bp = Blueprint("projects", __name__, url_prefix="/admin/projets")
protect_admin(bp)


def _filters_context(filters: queries.ProjectFilters) -> dict[str, object]:
    return {"filters": filters, "axes": db.session.scalars(db.select(Axis).order_by(Axis.position)).all(),
            "sectors": db.session.scalars(db.select(Sector).order_by(Sector.position)).all(),
            "schemes": queries.scheme_choices(), "team": team(), "stages": list(Stage)}


def _listed() -> tuple[queries.ProjectFilters, list[Project], dict]:
    filters = queries.ProjectFilters.from_args(request.args)
    items = queries.projects(filters, today())
    return filters, items, services.next_steps([p.id for p in items])


@bp.route("/")
def board() -> str:
    filters, items, steps = _listed()
    return render_template("projects/board.html", columns=queries.by_stage(items), steps=steps, today=today(),
                           stage_form=StageForm(), **_filters_context(filters))


@bp.route("/liste")
def listing() -> str:
    filters, items, steps = _listed()
    return render_template("projects/list.html", items=items, steps=steps, today=today(), **_filters_context(filters))


@bp.route("/chiffres")
def numbers() -> str:
    filters = queries.ProjectFilters.from_args(request.args)
    ids = queries.select_projects(filters, today()).with_only_columns(Project.id)
    return render_template("projects/figures.html", figures=figures.pipeline(ids), **_filters_context(filters))


@bp.route("/export.csv")
def export_csv() -> Response:
    _, items, steps = _listed()
    name = f"projets-{date.today().isoformat()}.csv"
    return Response(exports.projects_csv(items, steps), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/export.xlsx")
def export_xlsx() -> Response:
    _, items, steps = _listed()
    name = f"projets-{date.today().isoformat()}.xlsx"
    return Response(exports.projects_xlsx(items, steps),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/nouveau", methods=["GET", "POST"])
def create() -> str | WerkzeugResponse:
    form = NewProjectForm()
    if request.method == "GET":
        form.organisation_id.data = request.args.get("organisation_id", type=int)
        form.owner_id.data = current_user.id
        form.next_step_due.data = services.tasks.in_a_week()
    form.fill_choices()
    saved = save_form(form, lambda: services.create_project(form.to_input(), form.next_step.data or "",
                                                            form.next_step_due.data, current_user.id),
                      success=_("Projet créé."))
    if saved:
        return redirect(url_for("projects.detail", project_id=saved.value.id))
    return render_template("projects/form.html", form=form, project=None)


@bp.route("/<int:project_id>")
def detail(project_id: int) -> str:
    project = db.get_or_404(Project, project_id)
    step_form = NextStepForm()
    step_form.fill_choices()
    step_form.owner_id.data = project.owner_id
    funding_form = FundingForm()
    funding_form.funder_id.choices = services.actions.organisation_choices()
    changes = db.session.scalars(db.select(StageChange).where(StageChange.project_id == project.id)
                                 .order_by(StageChange.changed_at.desc(), StageChange.id.desc())).all()
    return render_template("projects/detail.html", project=project, stage_form=StageForm(stage=project.stage),
                           step_form=step_form, funding_form=funding_form, today=today(),
                           tasks=services.tasks.tasks_about(services.SUBJECT, project.id), stage_changes=changes,
                           history=services.history(project))


@bp.route("/<int:project_id>/modifier", methods=["GET", "POST"])
def edit(project_id: int) -> str | WerkzeugResponse:
    project = db.get_or_404(Project, project_id)
    form = ProjectForm(obj=project)
    if request.method == "GET":
        form.contact_id.data = project.person.contact_id if project.person else None
        form.action_ids.data = [a.id for a in project.actions]
        form.investment.data = "" if project.investment is None else str(project.investment)
    form.fill_choices(project.organisation_id, project.person.contact_id if project.person else None)
    if save_form(form, lambda: services.update_project(project, form.to_input(), current_user.id),
                 success=_("Projet enregistré.")):
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@bp.route("/<int:project_id>/etape", methods=["POST"])
def change_stage(project_id: int) -> WerkzeugResponse | tuple[Response, int]:
    """From the project's page, a card of the board (its form, or a card moved: the same POST made by script)."""
    project = db.get_or_404(Project, project_id)
    form = StageForm()
    back = request.form.get("next", "")
    back = back if back.startswith("/admin/") and not back.startswith("//") else url_for(
        "projects.detail", project_id=project.id)
    error = None
    if not form.validate_on_submit():
        error = _("Le formulaire a expiré : rechargez la page et recommencez.") if "csrf_token" in form.errors \
            else "; ".join(str(m) for messages in form.errors.values() for m in messages)
    else:
        try:
            services.change_stage(project, form.stage.data, form.reason.data or "", current_user.id)
        except ValidationError as exc:
            db.session.rollback()
            error = "; ".join(exc.errors.values())
    if error is None:
        db.session.commit()
        message = _("Étape changée : %(stage)s.", stage=project.stage_label)
        if _wants_json():
            return jsonify(ok=True, message=message, stage=project.stage), 200
        flash(message, "success")
    else:
        if _wants_json():
            return jsonify(ok=False, message=error), 400
        flash(error, "error")
    return redirect(back)


@bp.route("/<int:project_id>/financements", methods=["POST"])
def add_funding(project_id: int) -> WerkzeugResponse:
    project = db.get_or_404(Project, project_id)
    form = FundingForm()
    form.funder_id.choices = services.actions.organisation_choices()
    if not save_form(form, lambda: services.add_funding(project, form.to_input(), current_user.id),
                     success=_("Ligne de financement ajoutée.")):
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.route("/financements/<int:line_id>/modifier", methods=["GET", "POST"])
def edit_funding(line_id: int) -> str | WerkzeugResponse:
    line = db.get_or_404(FundingLine, line_id)
    if line.project_id is None:  # an action's line: edited from the action plan
        abort(404)
    project = db.get_or_404(Project, line.project_id)
    form = FundingForm(obj=line)
    form.funder_id.choices = services.actions.organisation_choices()
    if request.method == "GET":
        form.funding_status.data = line.status
        form.amount_granted.data = "" if line.amount_granted is None else str(line.amount_granted)
        form.amount_requested.data = str(line.amount_requested)
    if save_form(form, lambda: services.update_funding(line, form.to_input(), current_user.id),
                 success=_("Ligne de financement enregistrée.")):
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/funding_form.html", form=form, line=line, project=project)


@bp.route("/<int:project_id>/prochaine-etape", methods=["POST"])
def next_step(project_id: int) -> WerkzeugResponse:
    project = db.get_or_404(Project, project_id)
    form = NextStepForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            services.set_next_step(project, form.title.data or "", form.due_on.data, form.owner_id.data,
                                   current_user.id)
        except ValidationError as exc:
            show_errors(None, exc, summary=False)
        else:
            db.session.commit()
            flash(_("Prochaine étape enregistrée."), "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
    return redirect(url_for("projects.detail", project_id=project.id))
