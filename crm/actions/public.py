"""Public pages: the published plan, and the proposal page reached by a personal link from a mail (GET shows,
POST acts; rate limited)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.actions import plan, proposals, services, versions
from crm.actions.forms import ConfirmForm, ProposalForm
from crm.extensions import limiter
from crm.forms import save_form
from crm.security import TokenError

bp = Blueprint("actions_public", __name__, url_prefix="/plan-d-actions")


def _limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _too_many(limit: RequestLimit) -> Response:
    return Response(render_template("signup/too_many.html"), status=429, headers={"Retry-After": "60"},
                    mimetype="text/html")


@bp.route("/")
def published() -> str:
    version = versions.latest()
    document = versions.public_document(version) if version else None
    sections = plan.sections(document)[0] if document else []
    return render_template("actions/public.html", version=version, sections=sections)


def _contact_or_error(token: str) -> tuple[object | None, str | None]:
    try:
        return proposals.read_link(token), None
    except TokenError as exc:
        return None, str(exc)


@bp.route("/proposer/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"], on_breach=_too_many)
def propose(token: str) -> str | WerkzeugResponse | tuple[str, int]:
    contact, problem = _contact_or_error(token)
    if contact is None:
        return render_template("actions/link_problem.html", problem=problem), 400
    form = ProposalForm()
    form.axis_id.choices = services.axis_choices()
    if save_form(form, lambda: proposals.propose(contact, form.title.data or "", form.axis_id.data,  # type: ignore[arg-type]
                                                 form.contribution.data or ""),
                 success=_("Merci : votre proposition est transmise à l'équipe Territoires d'industrie.")):
        return redirect(url_for("actions_public.propose", token=token))
    return render_template("actions/propose.html", form=form, contact=contact, token=token,
                           open_proposals=proposals.open_proposals(), support_form=ConfirmForm())


@bp.route("/soutenir/<token>/<int:proposal_id>", methods=["POST"])
@limiter.limit(_limit, methods=["POST"], on_breach=_too_many)
def support(token: str, proposal_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    contact, problem = _contact_or_error(token)
    if contact is None:
        return render_template("actions/link_problem.html", problem=problem), 400
    if saved := save_form(ConfirmForm(), lambda: proposals.support(contact, proposal_id), summary=False):  # type: ignore[arg-type]
        flash(_("Votre structure soutient cette proposition.") if saved.value else
              _("Votre structure soutient déjà cette proposition."), "success")
    return redirect(url_for("actions_public.propose", token=token))


