"""Back office: the requests inbox and the communication kit (login required, editors act)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms import save_form
from crm.security import protect_admin
from crm.signup import inbox, kit, proposals
from crm.signup.forms import ActionForm, ChangesForm, KitUploadForm
from crm.signup.models import REQUEST_LABELS, RequestKind, Signup, SignupRequest

admin_bp = Blueprint("admin", __name__, url_prefix="/admin/demandes")
protect_admin(admin_bp)


def _back() -> Response:
    target = request.form.get("next", "")
    if target.startswith("/admin/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("signup.admin.inbox"))


@admin_bp.route("/", endpoint="inbox")
def inbox_view() -> str:
    which = request.args.get("filtre", "open")
    if which not in inbox.FILTERS:
        which = "open"
    kind = request.args.get("demande", "")
    if kind not in REQUEST_LABELS or which != "open":
        kind = ""
    page = inbox.inbox_page(which, request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"],
                            kind or None)
    return render_template("signup/inbox.html", page=page, which=which, filters=inbox.FILTERS, kind=kind,
                           kind_label=REQUEST_LABELS[RequestKind(kind)] if kind else "",
                           action=ActionForm(), changes_form=ChangesForm(), reviews=proposals.reviews(page.items),
                           current_kit=kit.current_kit(), open_count=inbox.open_count(),
                           accepts_projects=inbox.accepts_projects())


@admin_bp.route("/inscriptions/<int:signup_id>/modifications", methods=["POST"])
def decide_changes(signup_id: int) -> Response:
    """Apply the proposed changes ticked (the others are dismissed), or dismiss them all: one POST."""
    signup = db.get_or_404(Signup, signup_id)
    form = ChangesForm()
    saved = save_form(form, lambda: proposals.decide(signup, form.decision.data or "", form.fields.data or [],
                                                     current_user.id))
    if saved is not None:
        if saved.value.applied:
            flash(_("Modifications appliquées : %(fields)s.", fields=", ".join(saved.value.applied_labels)), "success")
        else:
            flash(_("Modifications proposées écartées : la fiche n'a pas changé."), "success")
    return _back()


def _act(request_id: int, action: str) -> Response:
    item = db.get_or_404(SignupRequest, request_id)
    if not ActionForm().validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page et recommencez."), "error")
        return _back()
    try:
        if action == "done":
            inbox.mark_done(item, current_user.id)
            message = _("Demande marquée comme traitée.")
        elif action == "project":
            created = inbox.accept_project(item, current_user.id)
            message = _("Projet « %(title)s » créé, suivi par %(owner)s.", title=created["title"],
                        owner=created["owner"])
        elif action in {"accept", "decline"}:
            inbox.decide_ambassador(item, action == "accept", current_user.id)
            message = _("Candidature acceptée.") if action == "accept" else _("Candidature refusée.")
        else:
            inbox.resend_kit(item, current_user.id)
            message = _("Le lien de téléchargement du kit a été envoyé.")
    except inbox.InboxError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back()
    db.session.commit()
    flash(message, "success")
    return _back()


@admin_bp.route("/<int:request_id>/traitee", methods=["POST"])
def mark_done(request_id: int) -> Response:
    return _act(request_id, "done")


@admin_bp.route("/<int:request_id>/projet", methods=["POST"])
def accept_project(request_id: int) -> Response:
    return _act(request_id, "project")


@admin_bp.route("/<int:request_id>/accepter", methods=["POST"])
def accept_ambassador(request_id: int) -> Response:
    return _act(request_id, "accept")


@admin_bp.route("/<int:request_id>/refuser", methods=["POST"])
def decline_ambassador(request_id: int) -> Response:
    return _act(request_id, "decline")


@admin_bp.route("/<int:request_id>/envoyer-kit", methods=["POST"])
def send_kit(request_id: int) -> Response:
    return _act(request_id, "kit")


@admin_bp.route("/kit", methods=["GET", "POST"])
def kit_upload() -> str | Response | tuple[str, int]:
    form = KitUploadForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                uploaded = kit.store_kit(form.file.data, current_user.id)
                sent = inbox.send_waiting_kits(current_user.id)
            except kit.KitError as exc:
                db.session.rollback()
                form.file.errors = [str(exc)]
            else:
                db.session.commit()
                flash(_("Kit « %(name)s » déposé ; %(count)s demande(s) en attente servie(s).",
                        name=uploaded.filename, count=sent), "success")
                return redirect(url_for("signup.admin.kit_upload"))
        return render_template("signup/kit.html", form=form, current_kit=kit.current_kit()), 400
    return render_template("signup/kit.html", form=form, current_kit=kit.current_kit())
