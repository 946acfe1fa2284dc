"""Back-office pages of the committee sessions (same blueprint as the actions)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.actions import committee, display, services
from crm.actions.forms import AgendaForm, ConfirmForm, DecisionForm, MinutesForm, SessionForm
from crm.actions.models import CommitteeSession
from crm.actions.views import bp
from crm.extensions import db
from crm.forms import choices, flash_errors, save_form


@bp.route("/comites/", methods=["GET", "POST"])
def sessions() -> str | WerkzeugResponse:
    form = SessionForm()
    form.event_id.choices = choices(committee.committee_events())
    if saved := save_form(form, lambda: committee.open_session(form.event_id.data),
                          success=_("Séance ouverte : composez l'ordre du jour.")):
        return redirect(url_for("actions.session", session_id=saved.value.id))
    return render_template("actions/sessions.html", sessions=committee.sessions(), form=form)


@bp.route("/comites/<int:session_id>")
def session(session_id: int) -> str:
    item = db.get_or_404(CommitteeSession, session_id)
    agenda = AgendaForm(formdata=None)
    present = {i.action_id for i in item.items}
    agenda.action_ids.choices = services.action_choices(present)
    decisions = []
    for entry in item.items:
        form = DecisionForm(formdata=None, prefix=f"d{entry.id}", item_id=entry.id, new_status=entry.new_status or "",
                            new_priority=entry.new_priority, remarks=entry.remarks)
        decisions.append((entry, form, display.indicator_rows(entry.action)))
    return render_template("actions/session.html", session=item, agenda_form=agenda, decisions=decisions,
                           minutes_form=MinutesForm(formdata=None, minutes=item.minutes), confirm_form=ConfirmForm())


def _back(item: CommitteeSession) -> WerkzeugResponse:
    return redirect(url_for("actions.session", session_id=item.id))


@bp.route("/comites/<int:session_id>/ordre-du-jour", methods=["POST"])
def add_to_agenda(session_id: int) -> WerkzeugResponse:
    item = db.get_or_404(CommitteeSession, session_id)
    form = AgendaForm()
    form.action_ids.choices = services.action_choices()
    save_form(form, lambda: committee.add_to_agenda(item, [form.action_ids.data]),
              success=_("Action inscrite à l'ordre du jour."))
    return _back(item)


@bp.route("/comites/<int:session_id>/decision/<int:item_id>", methods=["POST"])
def decide(session_id: int, item_id: int) -> WerkzeugResponse:
    item = db.get_or_404(CommitteeSession, session_id)
    form = DecisionForm(prefix=f"d{item_id}")
    if not save_form(form, lambda: committee.record_decision(item, item_id, form.new_status.data or None,
                                                             form.new_priority.data, form.remarks.data or ""),
                     success=_("Décision enregistrée.")):
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return _back(item)


@bp.route("/comites/<int:session_id>/releve", methods=["POST"])
def minutes(session_id: int) -> WerkzeugResponse:
    item = db.get_or_404(CommitteeSession, session_id)
    form = MinutesForm()
    save_form(form, lambda: committee.save_minutes(item, form.minutes.data or ""),
              success=_("Relevé de décisions enregistré."))
    return _back(item)


@bp.route("/comites/<int:session_id>/clore", methods=["POST"])
def close(session_id: int) -> WerkzeugResponse:
    item = db.get_or_404(CommitteeSession, session_id)
    if not ConfirmForm().validate_on_submit():
        return _back(item)
    try:
        version = committee.close(item)
    except services.ActionError as exc:
        flash_errors(exc)  # rolls back: no decision applied, no version
        flash(_("La séance n'est pas close : aucune décision n'a été appliquée."), "error")
        return _back(item)
    db.session.commit()
    flash(_("Séance close : décisions appliquées, version du plan figée."), "success")
    return redirect(url_for("actions.version", version_id=version.id))
