"""Public pages: answering an invitation from the link in the mail (no account), and the calendar feed.

A GET only shows; a POST records. A forged, expired or other-event link gets a clear page and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from crm.db import utcnow
from types import SimpleNamespace

from crm.events import answers, display, ics, letter_blocks, services
from crm.errors import ValidationError
from crm.events.models import Event, Invitation, InvitationStatus
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


def _letter_page(event_id: int, token: str) -> tuple[Any, Any] | tuple[str, int]:
    contact = letter_blocks.read(event_id, token)
    event = db.session.get(Event, event_id)
    if contact is None or event is None:
        return _problem(TokenProblem.INVALID)
    return contact, event


@bp.route("/evenements/<int:event_id>/lettre/<token>", methods=["GET"])
def letter_answer_page(event_id: int, token: str) -> tuple[str, int]:
    """The answer link of an event card in the letter: the person's invitation, or one to answer."""
    found = _letter_page(event_id, token)
    if isinstance(found[0], str):
        return found  # type: ignore[return-value]
    contact, event = found
    invitation = letter_blocks.invitation_of(event.id, contact.id)
    if invitation is not None:
        return _page(invitation)
    not_yet = SimpleNamespace(contact=contact, event=event, status=InvitationStatus.INVITED.value,
                              status_label=_("Pas encore répondu"))
    return _page(not_yet)  # type: ignore[arg-type]


@bp.route("/evenements/<int:event_id>/lettre/<token>", methods=["POST"])
@limiter.limit("30 per minute")
def letter_answer_post(event_id: int, token: str) -> tuple[str, int]:
    found = _letter_page(event_id, token)
    if isinstance(found[0], str):
        return found  # type: ignore[return-value]
    contact, event = found
    choice = request.form.get("answer")
    if not AnswerForm().validate_on_submit() or choice not in {"yes", "no"}:
        return letter_answer_page(event_id, token)
    invitation = letter_blocks.invitation_of(event.id, contact.id)
    if invitation is None:
        try:
            added = services.invite_contacts(event, [contact.id], send=False).added
        except ValidationError as exc:
            db.session.rollback()
            return render_template("events/rsvp_problem.html", message="; ".join(exc.errors.values())), 409
        if not added:
            db.session.rollback()
            return render_template("events/rsvp_problem.html", message=_(
                "Nous ne pouvons pas enregistrer de réponse pour cette adresse. Contactez l'équipe Territoires "
                "d'industrie.")), 409
        invitation = added[0]
    outcome = answers.answer(invitation.id, choice == "yes")
    db.session.commit()
    status = 409 if outcome in (answers.Outcome.CLOSED, answers.Outcome.EVENT_CANCELLED,
                                answers.Outcome.NOT_ANSWERABLE) else 200
    answered = db.session.get(Invitation, invitation.id)
    assert answered is not None
    return _page(answered, OUTCOME_MESSAGES[outcome], status)


@bp.route("/evenements.ics")
def feed() -> Response:
    body = ics.feed_ics(services.upcoming_public_events())
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="evenements.ics"',
                             "Cache-Control": "public, max-age=900"})
