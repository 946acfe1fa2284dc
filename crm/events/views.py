"""Back-office pages for events. Thin: forms in, services out, flash, redirect."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.events import audience, display, queries, services
from crm.events import door as walk_ins
from crm.events.forms import (
    ConfirmForm,
    WalkInForm,
    EventForm,
    InviteByHandForm,
    InviteeFilterForm,
    InviteSegmentForm,
    format_reminders,
)
from crm.events.models import Event, EventKind, Invitation, InvitationStatus
from crm.events.services import EventValidationError
from crm.errors import ValidationError
from crm.extensions import db
from crm.partners.models import Contact
from crm.forms import flash_errors, save_form
from crm.security import protect_admin

bp = Blueprint("events", __name__, url_prefix="/admin/evenements")
protect_admin(bp)


@bp.app_template_filter("event_when")
def _event_when(event: Event) -> str:
    return display.when(event)


@bp.app_template_filter("paris_dt")
def _paris_dt(value: object) -> str:
    return display.long_datetime(value)  # type: ignore[arg-type]


@bp.route("/")
def index() -> str:
    return render_template("events/index.html", upcoming=queries.events_with_counts(upcoming=True),
                           past=queries.events_with_counts(upcoming=False))


@bp.route("/nouveau", methods=["GET", "POST"])
def create() -> str | WerkzeugResponse:
    form = EventForm()
    if request.method == "GET":
        form.reminders.data = ", ".join(f"{m // 1440} j" for m in services.default_reminder_minutes(
            EventKind.TECHNICAL_COMMITTEE))
    if saved := save_form(form, lambda: services.create_event(form.to_input(keep_default_reminders=True)),
                          success=_("Événement créé. Ajoutez maintenant les invités.")):
        return redirect(url_for("events.detail", event_id=saved.value.id))
    return render_template("events/form.html", form=form, event=None)


@bp.route("/<int:event_id>")
def detail(event_id: int) -> str:
    event = db.get_or_404(Event, event_id)
    filters = queries.InviteeFilters.from_args(request.args)
    page = queries.invitees(event, filters, request.args.get("page", 1, type=int) or 1,
                            current_app.config["PAGE_SIZE"])
    segment_form = InviteSegmentForm()
    segment_form.segment.choices = audience.segment_choices()
    return render_template(
        "events/detail.html", event=event, counts=services.counts(event), page=page, filters=filters,
        filter_form=InviteeFilterForm(request.args), segment_form=segment_form, hand_form=InviteByHandForm(),
        confirm_form=ConfirmForm(), reminders=format_reminders(event),
        pending=services.count_unsent(event), statuses=InvitationStatus,
    )


@bp.route("/<int:event_id>/modifier", methods=["GET", "POST"])
def edit(event_id: int) -> str | WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    if event.is_cancelled:
        flash(_("Un événement annulé ne peut plus être modifié."), "error")
        return redirect(url_for("events.detail", event_id=event.id))
    form = EventForm(obj=event)
    if request.method == "GET":
        form.fill_from(event)
    if saved := save_form(form, lambda: services.update_event(event, form.to_input(keep_default_reminders=False)),
                          success=_("Événement enregistré.")):
        if saved.value:
            flash(_("Les invités recevront la mise à jour pour leur agenda."), "info")
        return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=event)


@bp.route("/<int:event_id>/annuler", methods=["POST"])
def cancel(event_id: int) -> WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    if ConfirmForm().validate_on_submit():
        queued = services.cancel_event(event)
        db.session.commit()
        flash(_("Événement annulé : %(count)s invité(s) recevront l'annulation ; les rappels sont arrêtés.",
            count=queued), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/dupliquer", methods=["POST"])
def duplicate(event_id: int) -> WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("events.detail", event_id=event.id))
    copy = services.duplicate_event(event)
    db.session.commit()
    flash(_("Copie créée six mois plus tard : vérifiez la date, le lieu et la date limite."), "success")
    return redirect(url_for("events.edit", event_id=copy.id))


def _report_invites(result: services.InviteResult, unknown: list[str] | None = None) -> None:
    flash(_("%(count)s invité(s) ajouté(s).", count=len(result.added))
          + (" " + _("%(count)s déjà invité(s).", count=result.already) if result.already else ""), "success")
    if result.left_out:  # who the rule leaves out, and why (crm.consent.mail_kinds)
        flash(_("Non invités :") + " " + " ; ".join(f"{number} {reason}" for reason, number in result.left_out.items())
              + ".", "warning")
    if unknown:
        flash(_("Adresses sans contact (créez d'abord le contact) :") + " " + ", ".join(unknown[:20])
              + (" …" if len(unknown) > 20 else ""), "error")


@bp.route("/<int:event_id>/inviter/segment", methods=["POST"])
def invite_segment(event_id: int) -> WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    form = InviteSegmentForm()
    form.segment.choices = audience.segment_choices()
    if not form.validate_on_submit():
        flash(_("Choisissez un segment existant."), "error")
        return redirect(url_for("events.detail", event_id=event.id))
    try:
        result = services.invite_contacts(event, audience.segment_contact_ids(int(form.segment.data)),
                                          send=bool(form.send.data))
    except EventValidationError as exc:
        flash_errors(exc)
    else:
        db.session.commit()
        _report_invites(result)
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/inviter/adresses", methods=["POST"])
def invite_by_hand(event_id: int) -> WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    form = InviteByHandForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("events.detail", event_id=event.id))
    ids, unknown = services.contact_ids_for_emails(form.emails.data or "")
    try:
        result = services.invite_contacts(event, ids, send=bool(form.send.data))
    except EventValidationError as exc:
        flash_errors(exc)
    else:
        db.session.commit()
        _report_invites(result, unknown)
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/envoyer", methods=["POST"])
def send_pending(event_id: int) -> WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    if ConfirmForm().validate_on_submit():
        count = services.send_pending_invitations(event)
        db.session.commit()
        flash(_("%(count)s invitation(s) confiées au planificateur d'envoi.", count=count), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/relancer", methods=["POST"])
def resend(event_id: int) -> WerkzeugResponse:
    event = db.get_or_404(Event, event_id)
    if ConfirmForm().validate_on_submit():
        try:
            count = services.resend_to_unanswered(event)
        except EventValidationError as exc:
            flash_errors(exc)
        else:
            db.session.commit()
            flash(_("Relance programmée pour %(count)s invité(s) sans réponse.", count=count), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/invites/<int:invitation_id>/retirer", methods=["POST"])
def withdraw(event_id: int, invitation_id: int) -> WerkzeugResponse:
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.event_id != event_id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.withdraw_invitation(invitation)
        db.session.commit()
        flash(_("Invitation de %(name)s retirée : son lien ne fonctionne plus.", name=invitation.contact.full_name),
              "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/<int:event_id>/export.csv")
def export(event_id: int) -> Response:
    event = db.get_or_404(Event, event_id)
    filters = queries.InviteeFilters.from_args(request.args)
    return Response(stream_with_context(queries.invitees_csv(event, filters)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="evenement-{event.id}-invites.csv"'})


@bp.route("/<int:event_id>/accueil")
def door(event_id: int) -> str:
    event = db.get_or_404(Event, event_id)
    q = (request.args.get("q") or "").strip()
    return render_template("events/door.html", event=event, invitations=queries.door_list(event, q), q=q,
                           counts=services.counts(event), form=ConfirmForm(), statuses=InvitationStatus,
                           candidates=walk_ins.candidates(event, q), walk_in=WalkInForm())


@bp.route("/<int:event_id>/accueil/contact/<int:contact_id>", methods=["POST"])
def walk_in_known(event_id: int, contact_id: int) -> WerkzeugResponse:
    """A known contact who was not invited turns up: added and marked present."""
    event = db.get_or_404(Event, event_id)
    contact = db.get_or_404(Contact, contact_id)
    if ConfirmForm().validate_on_submit():
        return _admitted(event, lambda: walk_ins.admit(event, contact))
    flash(_("Requête invalide : rechargez la page."), "error")
    return redirect(url_for("events.door", event_id=event_id))


@bp.route("/<int:event_id>/accueil/nouvelle-personne", methods=["POST"])
def walk_in_new(event_id: int) -> WerkzeugResponse:
    """A person the base does not know: the door (the team) creates the contact and marks them present."""
    event = db.get_or_404(Event, event_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("events.door", event_id=event_id))
    data = walk_ins.WalkIn(first_name=form.first_name.data or "", last_name=form.last_name.data or "",
                       organisation=form.organisation.data or "", email=form.email.data or "")
    return _admitted(event, lambda: walk_ins.admit_new_person(event, data))


def _admitted(event: Event, act: Callable[[], Invitation]) -> WerkzeugResponse:
    try:
        invitation = act()
    except ValidationError as exc:
        flash_errors(exc)
        return redirect(url_for("events.door", event_id=event.id))
    db.session.commit()
    flash(_("%(name)s : présent(e).", name=invitation.contact.full_name), "success")
    return redirect(url_for("events.door", event_id=event.id) + f"#invitation-{invitation.id}")


@bp.route("/<int:event_id>/accueil/<int:invitation_id>", methods=["POST"])
def mark(event_id: int, invitation_id: int) -> WerkzeugResponse | Response | tuple[Response, int]:
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.event_id != event_id:
        abort(404)
    came = request.form.get("came")
    wants_json = request.accept_mimetypes.best == "application/json"
    if not ConfirmForm().validate_on_submit() or came not in {"1", "0"}:
        if wants_json:
            return jsonify(error=_("Requête invalide : rechargez la page.")), 400
        flash(_("Requête invalide : rechargez la page."), "error")
        return redirect(url_for("events.door", event_id=event_id))
    try:
        services.mark_attendance(invitation, came == "1")
    except EventValidationError as exc:
        if wants_json:
            db.session.rollback()
            return jsonify(error=next(iter(exc.errors.values()))), 409
        flash_errors(exc)
        return redirect(url_for("events.door", event_id=event_id))
    db.session.commit()
    if wants_json:
        counts = services.counts(invitation.event)
        return jsonify(status=invitation.status, label=str(invitation.status_label), came=counts["came"])
    flash(f"{invitation.contact.full_name} : {invitation.status_label.lower()}.", "success")
    return redirect(url_for("events.door", event_id=event_id, q=request.args.get("q") or None)
                    + f"#invitation-{invitation.id}")
