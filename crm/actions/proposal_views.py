"""The team's side of the proposals (same blueprint as the actions)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.actions import proposals, services
from crm.actions.forms import DeclineForm, InviteForm, MergeForm, RetainForm, SupportForm, TeamProposalForm
from crm.actions.models import Proposal
from crm.actions.views import bp
from crm.extensions import db
from crm.forms import save_form
from crm.partners.models import Contact


def _forms() -> dict[str, object]:
    merge = MergeForm(formdata=None)
    merge.action_id.choices = services.action_choices()
    invite = InviteForm(formdata=None)
    invite.contact_id.choices = services.contact_choices()
    record = TeamProposalForm(formdata=None)
    record.fill_choices()
    support = SupportForm(formdata=None)
    support.contact_id.choices = invite.contact_id.choices
    return {"retain_form": RetainForm(formdata=None), "merge_form": merge, "decline_form": DeclineForm(formdata=None),
            "invite_form": invite, "record_form": record, "support_form": support}


@bp.route("/propositions/")
def proposal_list() -> str:
    return render_template("actions/proposals.html", proposals=proposals.all_proposals(), **_forms())


def _flash_form_errors(form: object) -> None:
    for errors in form.errors.values():  # type: ignore[attr-defined]
        for message in errors:
            flash(str(message), "error")


@bp.route("/propositions/inviter", methods=["POST"])
def invite() -> WerkzeugResponse:
    form = InviteForm()
    form.contact_id.choices = services.contact_choices()
    if saved := save_form(form, lambda: proposals.invite(db.get_or_404(Contact, form.contact_id.data))):
        flash(_("Lien de proposition envoyé.") if saved.value else
              _("Ce contact ne reçoit pas ces envois (désinscrit ou sans adresse) : rien n'est parti."),
              "success" if saved.value else "warning")
    else:
        _flash_form_errors(form)
    return redirect(url_for("actions.proposal_list"))


@bp.route("/propositions/<int:proposal_id>/retenir", methods=["POST"])
def retain(proposal_id: int) -> WerkzeugResponse:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = RetainForm()
    if saved := save_form(form, lambda: proposals.retain(proposal, form.code.data or ""),
                          success=_("Proposition retenue : elle devient une action du plan.")):
        return redirect(url_for("actions.detail", action_id=saved.value.id))
    _flash_form_errors(form)
    return redirect(url_for("actions.proposal_list"))


@bp.route("/propositions/<int:proposal_id>/fusionner", methods=["POST"])
def merge(proposal_id: int) -> WerkzeugResponse:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = MergeForm()
    form.action_id.choices = services.action_choices()
    if saved := save_form(form, lambda: proposals.merge(proposal, form.action_id.data),
                          success=_("Proposition fusionnée dans l'action.")):
        return redirect(url_for("actions.detail", action_id=saved.value.id))
    _flash_form_errors(form)
    return redirect(url_for("actions.proposal_list"))


@bp.route("/propositions/<int:proposal_id>/decliner", methods=["POST"])
def decline(proposal_id: int) -> WerkzeugResponse:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = DeclineForm()
    if not save_form(form, lambda: proposals.decline(proposal, form.reason.data or ""),
                     success=_("Proposition déclinée : la raison est envoyée à la personne.")):
        _flash_form_errors(form)
    return redirect(url_for("actions.proposal_list"))


@bp.route("/propositions/saisir", methods=["POST"])
def record() -> WerkzeugResponse:
    form = TeamProposalForm()
    form.fill_choices()
    if not save_form(form, lambda: proposals.record_proposal(form.contact_id.data, form.title.data or "",
                                                             form.axis_id.data, form.contribution.data or ""),
                     success=_("Proposition enregistrée.")):
        _flash_form_errors(form)
    return redirect(url_for("actions.proposal_list"))


@bp.route("/propositions/<int:proposal_id>/soutien", methods=["POST"])
def record_support(proposal_id: int) -> WerkzeugResponse:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = SupportForm()
    form.contact_id.choices = services.contact_choices()
    saved = save_form(form, lambda: proposals.record_support(form.contact_id.data, proposal.id))
    if saved:
        flash(_("Soutien enregistré.") if saved.value else
              _("Cette structure soutient déjà la proposition (ou l'a faite) : rien n'a changé."),
              "success" if saved.value else "warning")
    else:
        _flash_form_errors(form)
    return redirect(url_for("actions.proposal_list"))
