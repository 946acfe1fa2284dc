"""Back-office pages of the lettre d'information. Thin: forms in, services out; nothing is sent from here
except a single test message (after the commit)."""

from __future__ import annotations

from typing import Any

from babel.dates import format_time
from flask import (Blueprint, Response, abort, current_app, flash, jsonify, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from crm.campaigns import audience, content, editor, links, services
from crm.campaigns.forms import ActionForm, CampaignForm, ScheduleForm, TemplateForm, TestSendForm
from crm.campaigns.models import Campaign, LetterTemplate
from crm.campaigns.services import CampaignError
from crm.db import utcnow
from crm.extensions import db
from crm.i18n import local_tz
from crm.images.forms import UploadForm
from crm.forms import lazy_gettext as _l
from crm.forms import save_form, show_errors
from crm.security import protect_admin

bp = Blueprint("admin", __name__, url_prefix="/admin/lettres")
protect_admin(bp)


@bp.route("/")
def index() -> str:
    return render_template("campaigns/index.html", campaigns=services.list_campaigns())


def _editor_context(campaign: Campaign | None) -> dict[str, Any]:
    return {"fields": content.field_list(), "block_choices": editor.block_choices(),
            "templates": services.list_templates(), "template_form": TemplateForm(),
            "upload_form": UploadForm(), "image_max_mb": current_app.config["IMAGE_MAX_BYTES"] // (1024 * 1024)}


def _edit(campaign: Campaign | None, start: dict[str, Any] | None = None) -> Any:
    form = CampaignForm(obj=campaign, data=start if request.method == "GET" else None)
    if request.method == "GET" and campaign is not None:
        form.topic.data, form.segment_id.data = campaign.topic.code, campaign.segment_id or 0
    if saved := save_form(form, lambda: services.save_campaign(form.to_input(), campaign, author_id=current_user.id),
                          success=_("Lettre enregistrée.")):
        letter = saved.value
        for warning in content.field_warnings(letter.subject, letter.preheader, letter.body_markdown):
            flash(warning, "warning")
        if request.form.get("then") == "editor":
            return redirect(url_for("campaigns.admin.edit", campaign_id=letter.id))
        return redirect(url_for("campaigns.admin.show", campaign_id=letter.id))
    page = render_template("campaigns/form.html", form=form, campaign=campaign, **_editor_context(campaign))
    response = make_response(page, 400 if request.method == "POST" else 200)
    response.headers["Content-Security-Policy"] = editor.EDITOR_POLICY
    return response


@bp.route("/nouvelle", methods=["GET", "POST"])
def create() -> Any:
    start = None
    if request.method == "GET" and (request.args.get("modele") or request.args.get("depuis")):
        start = services.starting_point(request.args.get("modele", type=int),
                                        request.args.get("depuis", type=int))
        if start is None:
            abort(404)
    return _edit(None, start)


@bp.route("/<int:campaign_id>/modifier", methods=["GET", "POST"])
def edit(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not campaign.is_editable:
        flash(_("Une lettre en cours d'envoi ou envoyée ne se modifie plus."), "error")
        return redirect(url_for("campaigns.admin.show", campaign_id=campaign.id))
    return _edit(campaign)


@bp.route("/apercu-en-direct", methods=["POST"])
def live_preview() -> Response:
    """The editor's preview of what is typed, not saved: rendered by the mail's own code."""
    draft = content.preview_draft(request.form.get("subject", ""), request.form.get("preheader", ""),
                                  request.form.get("body_markdown", ""))
    return jsonify({"html": draft.html, "text": draft.text, "warnings": draft.warnings})


@bp.route("/<int:campaign_id>/brouillon", methods=["POST"])
def autosave(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        services.autosave(campaign, request.form.get("subject", ""), request.form.get("preheader", ""),
                          request.form.get("body_markdown", ""))
    except CampaignError as exc:
        db.session.rollback()
        return jsonify({"saved": False, "errors": exc.errors}), 400
    db.session.commit()
    return jsonify({"saved": True, "at": format_time(utcnow(), "HH:mm", tzinfo=local_tz(), locale="fr_FR")})


@bp.route("/modeles")
def templates() -> str:
    return render_template("campaigns/templates.html", templates=services.list_templates(), form=ActionForm())


@bp.route("/<int:campaign_id>/modele", methods=["POST"])
def save_template(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = TemplateForm()
    try:
        if not form.validate_on_submit():
            raise CampaignError({"name": " ".join(str(m) for m in form.name.errors) or "Donnez un nom au modèle."})
        template = services.save_as_template(campaign, form.name.data or "", author_id=current_user.id)
    except CampaignError as exc:
        show_errors(None, exc, summary=False)
        return redirect(request.referrer or url_for("campaigns.admin.show", campaign_id=campaign.id))
    db.session.commit()
    flash(_("Modèle « %(name)s » enregistré.", name=template.name), "success")
    return redirect(url_for("campaigns.admin.templates"))


@bp.route("/modeles/<int:template_id>/supprimer", methods=["POST"])
def delete_template(template_id: int) -> Any:
    template = db.get_or_404(LetterTemplate, template_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_template(template)
    db.session.commit()
    flash(_("Modèle supprimé."), "success")
    return redirect(url_for("campaigns.admin.templates"))


@bp.route("/<int:campaign_id>/supprimer", methods=["POST"])
def delete(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_draft(campaign)
    except CampaignError as exc:
        show_errors(None, exc, summary=False)
        return redirect(url_for("campaigns.admin.index"))
    db.session.commit()
    flash(_("Brouillon supprimé."), "success")
    return redirect(url_for("campaigns.admin.index"))


@bp.route("/<int:campaign_id>/archives", methods=["POST"])
def toggle_archive(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.set_public(campaign, not campaign.public)
    db.session.commit()
    flash(_("La lettre paraît dans les archives publiques une fois envoyée.") if campaign.public
          else _("La lettre est retirée des archives publiques."), "success")
    return redirect(url_for("campaigns.admin.index"))


def _show(campaign: Campaign, schedule_form: ScheduleForm | None = None, test_form: TestSendForm | None = None,
          status: int = 200) -> Any:
    html, text = content.preview(campaign)
    link_rows, clicks = links.statistics(campaign)
    page = render_template(
        "campaigns/show.html", campaign=campaign, progress=services.progress(campaign), link_rows=link_rows,
        clicks=clicks,
        audience_count=audience.count(campaign) if campaign.is_editable else None, text_preview=text,
        schedule_form=schedule_form or ScheduleForm(), test_form=test_form or TestSendForm(
            data={"email": getattr(current_user, "email", "")}), action_form=ActionForm(),
    )
    return page, status


@bp.route("/<int:campaign_id>")
def show(campaign_id: int) -> Any:
    return _show(db.get_or_404(Campaign, campaign_id))


@bp.route("/<int:campaign_id>/apercu.html")
def preview_html(campaign_id: int) -> Response:
    html, _text = content.preview(db.get_or_404(Campaign, campaign_id))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = editor.LETTER_FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/<int:campaign_id>/progression.json")
def progress(campaign_id: int) -> Response:
    return jsonify(services.progress(db.get_or_404(Campaign, campaign_id)).as_json())


@bp.route("/<int:campaign_id>/test", methods=["POST"])
def test_send(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        flash(_("Adresse de test invalide : aucun message envoyé."), "error")
        return _show(campaign, test_form=form, status=400)
    try:
        services.send_test(campaign, form.email.data or "")
    except CampaignError as exc:
        show_errors(form, exc)
        return _show(campaign, test_form=form, status=400)
    db.session.commit()
    flash(_("Message de test envoyé à %(email)s.", email=form.email.data), "success")
    return redirect(url_for("campaigns.admin.show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/programmer", methods=["POST"])
def schedule(campaign_id: int) -> Any:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            services.schedule(campaign, services.local_to_utc_or_error(form.send_date.data, form.send_time.data))
        except CampaignError as exc:
            show_errors(form, exc, summary=False)
        else:
            db.session.commit()
            flash(_("Lettre programmée."), "success")
            return redirect(url_for("campaigns.admin.show", campaign_id=campaign.id))
    flash(_("La lettre n'a pas été programmée."), "error")
    return _show(campaign, schedule_form=form, status=400)


ACTIONS = {
    "envoyer": (lambda c: services.schedule(c), _l("La lettre partira au prochain passage du planificateur.")),
    "deprogrammer": (services.unschedule, _l("La lettre est revenue en brouillon.")),
    "pause": (services.pause, _l("Envoi mis en pause.")),
    "reprendre": (services.resume, _l("Envoi repris.")),
    "annuler": (services.cancel, _l("Envoi annulé : le reste ne partira pas.")),
}


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.route("/<int:campaign_id>/<action>", methods=["POST"])
def change_state(campaign_id: int, action: str) -> Any:
    """A state change; asked for by the page's script (Accept: application/json), it answers JSON instead of
    redirecting."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if action not in ACTIONS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    change, message = ACTIONS[action]
    try:
        change(campaign)
    except CampaignError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(message=" ".join(exc.errors.values()), status=campaign.status), 409
        show_errors(None, exc, summary=False)
        return redirect(url_for("campaigns.admin.show", campaign_id=campaign.id))
    db.session.commit()
    if _wants_json():
        return jsonify(message=str(message), status=campaign.status, status_label=str(campaign.status_label))
    flash(str(message), "success")
    return redirect(url_for("campaigns.admin.show", campaign_id=campaign.id))
