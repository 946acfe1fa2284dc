"""The Tâches page: mine or everyone's, overdue first; a task added, done or reopened. Thin."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms import flash_errors, save_form
from crm.security import protect_admin
from crm.tasks import services
from crm.tasks.forms import TaskActionForm, TaskForm
from crm.tasks.models import Task

bp = Blueprint("tasks", __name__, url_prefix="/admin/taches")
protect_admin(bp)


def _safe_next(default: str) -> str:
    target = request.values.get("next", "")
    return target if target.startswith("/admin/") and not target.startswith("//") else default


@bp.route("/")
def index() -> str:
    which = request.args.get("qui", "mine")
    which = which if which in services.FILTERS else "mine"
    state = request.args.get("etat", "open")
    state = state if state in services.STATES else "open"
    owner = current_user.id if which == "mine" else None
    page = services.task_page(owner, state, request.args.get("page", 1, type=int) or 1,
                              current_app.config["PAGE_SIZE"])
    return render_template("tasks/index.html", page=page, which=which, state=state, today=services.today(),
                           links=services.links_of(page.items), action=TaskActionForm())


@bp.route("/nouvelle", methods=["GET", "POST"])
def create() -> str | Response:
    form = TaskForm()
    form.fill_choices()
    if request.method == "GET":
        for name in ("subject_kind", "subject_id", "contact_id", "organisation_id"):
            getattr(form, name).data = request.args.get(name, "")
        form.owner_id.data = current_user.id
        form.due_on.data = services.in_a_week()
    about = services.about(form.to_input())
    if save_form(form, lambda: services.create_task(form.to_input(), current_user.id), success=_("Tâche ajoutée.")):
        return redirect(_safe_next(url_for("tasks.index")))
    return render_template("tasks/form.html", form=form, about=about, next=_safe_next(""))


def _act(task_id: int, done: bool) -> Response:
    task = db.get_or_404(Task, task_id)
    if not TaskActionForm().validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page et recommencez."), "error")
        return redirect(_safe_next(url_for("tasks.index")))
    try:
        (services.complete if done else services.reopen)(task, current_user.id)
    except services.TaskError as exc:
        flash_errors(exc)
    else:
        db.session.commit()
        flash(_("Tâche marquée comme faite.") if done else _("Tâche rouverte."), "success")
    return redirect(_safe_next(url_for("tasks.index")))


@bp.route("/<int:task_id>/faite", methods=["POST"])
def done(task_id: int) -> Response:
    return _act(task_id, True)


@bp.route("/<int:task_id>/rouvrir", methods=["POST"])
def reopen(task_id: int) -> Response:
    return _act(task_id, False)
