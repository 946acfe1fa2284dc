"""Public pages: answering an invitation from the link in the mail (no account), and the calendar feed.

A GET only shows; a POST records. A forged, expired or other-event link gets a clear page and changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from crm.db import utcnow
from crm.events import answers, display, ics, services
from crm.events.models import Invitation, InvitationStatus
from crm.events.tokens import TokenProblem, read_token
from crm.extensions import db, limiter
from crm.forms import lazy_gettext as _l

bp = Blueprint("rsvp", __name__)

PROBLEM_MESSAGES = {
    TokenProblem.INVALID: _l("Ce lien de réponse n'est pas valide. Vérifiez qu'il a été copié en entier depuis "
                             "le message d'invitation."),
    TokenProblem.EXPIRED: _l("Ce lien de réponse a expiré. Contactez l'équipe Territoires d'industrie si vous "
                             "souhaitez encore répondre."),
    TokenProblem.OTHER_EVENT: _l("Ce lien de réponse concerne un autre événement. Utilisez le lien reçu dans "
                                 "l'invitation à cet événement."),
}
OUTCOME_MESSAGES = {
    answers.Outcome.ACCEPTED: _l("Merci, votre participation est enregistrée. Une confirmation vous est envoyée "
                                 "par e-mail avec l'invitation pour votre agenda."),
    answers.Outcome.WAITLISTED: _l("L'événement est complet : vous êtes inscrit(e) sur la liste d'attente. "
                                   "Nous vous écrirons si une place se libère."),
    answers.Outcome.DECLINED: _l("Merci, nous avons bien noté que vous ne pourrez pas venir."),
    answers.Outcome.CLOSED: _l("Les réponses sont closes pour cet événement : "
                               "votre réponse n'a pas été enregistrée."),
    answers.Outcome.EVENT_CANCELLED: _l("Cet événement a été annulé : votre réponse n'a pas été enregistrée."),
    answers.Outcome.NOT_ANSWERABLE: _l("Cette invitation ne peut plus recevoir de réponse."),
}


class AnswerForm(FlaskForm):
    """Only the CSRF token: the answer is the button pressed."""


def _problem(problem: TokenProblem) -> tuple[str, int]:
    status = 410 if problem is TokenProblem.EXPIRED else 404
    return render_template("events/rsvp_problem.html", message=PROBLEM_MESSAGES[problem]), status


def _page(invitation: Invitation, message: str | None = None, status: int = 200) -> tuple[str, int]:
    event = invitation.event
    return render_template(
        "events/rsvp.html", invitation=invitation, event=event, when=display.when(event),
        deadline=display.long_datetime(event.answer_deadline), open=event.answers_open(utcnow()),
        message=message, form=AnswerForm(), statuses=InvitationStatus,
    ), status


@bp.route("/evenements/<int:event_id>/reponse/<token>", methods=["GET"])
def answer_page(event_id: int, token: str) -> tuple[str, int]:
    found = read_token(event_id, token)
    if isinstance(found, TokenProblem):
        return _problem(found)
    return _page(found)


@bp.route("/evenements/<int:event_id>/reponse/<token>", methods=["POST"])
@limiter.limit("30 per minute")
def answer_post(event_id: int, token: str) -> tuple[str, int]:
    found = read_token(event_id, token)
    if isinstance(found, TokenProblem):
        return _problem(found)
    form = AnswerForm()
    choice = request.form.get("answer")
    if not form.validate_on_submit() or choice not in {"yes", "no"}:
        return _page(found, _("Votre réponse n'a pas pu être lue : choisissez « Je viendrai » ou "
                              "« Je ne viendrai pas »."), 400)
    outcome = answers.answer(found.id, choice == "yes")
    db.session.commit()
    status = 409 if outcome in (answers.Outcome.CLOSED, answers.Outcome.EVENT_CANCELLED,
                                answers.Outcome.NOT_ANSWERABLE) else 200
    invitation = db.session.get(Invitation, found.id)
    assert invitation is not None
    return _page(invitation, OUTCOME_MESSAGES[outcome], status)


@bp.route("/evenements.ics")
def feed() -> Response:
    body = ics.feed_ics(services.upcoming_public_events())
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="evenements.ics"',
                             "Cache-Control": "public, max-age=900"})
