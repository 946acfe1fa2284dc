"""Public pages: the form, the confirmation, preferences, unsubscribe (one-click too), the kit download.

A GET on any link from a mail only shows a page; only a POST acts (mail scanners follow GET links).
"""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from crm.consent.mail_kinds import refusable_labels, still_received
from crm.extensions import csrf, db, limiter
from crm.forms import InvalidEmail, normalize_email
from crm.signup import inbox, kit, links, preferences, services
from crm.signup.forms import ActionForm, PreferencesForm, ResendForm, SignupForm
from crm.security import TokenError, TokenExpired
from crm.signup.wording import CONSENT_VERSION

def consent_panel() -> dict[str, Any]:
    """The contact page includes signup/_contact_panel.html, which calls this (no query in the template)."""
    return {"consent_panel": preferences.panel_for}

bp = Blueprint("signup", __name__)


def _promises() -> dict[str, list[str]]:
    """What "unsubscribe from everything" stops and what it does not (crm.consent.mail_kinds)."""
    return {"stops": refusable_labels(), "still": still_received()}


def _client_ip() -> str | None:
    return request.remote_addr if current_app.config["SIGNUP_RECORD_IP"] else None


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _email_key() -> str:
    raw = request.form.get("email", "")
    try:
        return "signup-email:" + normalize_email(raw)
    except InvalidEmail:
        return "signup-email:" + raw.strip().lower()[:254]


def _too_many(limit: RequestLimit) -> FlaskResponse:
    # flask-limiter uses the callback's answer only if it is a flask.Response.
    page = render_template("signup/too_many.html")
    return FlaskResponse(page, status=429, headers={"Retry-After": "60"}, mimetype="text/html")


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError) -> tuple[str, int]:
    back = url_for("signup.signup") if request.blueprint == "signup" else url_for("signup.admin.inbox")
    return render_template("signup/expired_form.html", back=back), 400


def _submit(form: SignupForm) -> bool:
    for attempt in range(2):  # a twin signup racing this one: retry once, it then finds the row
        try:
            services.submit(form.to_input(_client_ip()))
            db.session.commit()
            return True
        except services.SignupError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name, form.email).errors = [message]
            return False
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
    return False


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"], on_breach=_too_many)
@limiter.limit(_signup_limit, methods=["POST"], key_func=_email_key, on_breach=_too_many)
def signup() -> str | Response | tuple[str, int]:
    form = SignupForm()
    if request.method == "GET":
        return render_template("signup/form.html", form=form, consent_version=CONSENT_VERSION)
    if form.is_bot():
        form.site_web.errors = [_("Ce champ doit rester vide : votre envoi n'a pas été pris en compte.")]
    elif form.validate_on_submit():
        if _submit(form):
            return redirect(url_for("signup.thanks"), code=303)
    else:
        for name, message in services.validation_errors(form.to_input(None)).items():
            field = getattr(form, name)
            if not field.errors:
                field.errors = [message]
    return render_template("signup/form.html", form=form, consent_version=CONSENT_VERSION), 400


@bp.route("/inscription/merci")
def thanks() -> str:
    # The same page whether the address was known or not: nothing to learn about who is registered.
    return render_template("signup/thanks.html")


@bp.route("/inscription/nouveau-lien", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"], on_breach=_too_many)
@limiter.limit(_signup_limit, methods=["POST"], key_func=_email_key, on_breach=_too_many)
def resend() -> str | Response | tuple[str, int]:
    form = ResendForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data or "")
        db.session.commit()
        flash(_("Si une inscription attend confirmation pour cette adresse, un nouveau lien vient d'y être envoyé."),
              "info")
        return redirect(url_for("signup.thanks"), code=303)
    return render_template("signup/resend.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/abonnement/recevoir-un-lien", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"], on_breach=_too_many)
@limiter.limit(_signup_limit, methods=["POST"], key_func=_email_key, on_breach=_too_many)
def preferences_link() -> str | Response | tuple[str, int]:
    """Where a broken preference or unsubscribe link leads: the address in, a fresh link out by mail."""
    form = ResendForm()
    if form.validate_on_submit():
        services.send_preferences_link(form.email.data or "")
        db.session.commit()
        flash(_("Si cette adresse est connue, un lien pour gérer votre abonnement vient d'y être envoyé."), "info")
        return redirect(url_for("signup.preferences_link"), code=303)
    return render_template("signup/preferences_link.html", form=form), (400 if request.method == "POST" else 200)


def _bad_link(error: TokenError | None = None, status: int = 400, purpose: str = "confirm") -> tuple[str, int]:
    """``purpose``: what the link was for; a broken preference or unsubscribe link offers a new preference
    link by mail (not a confirmation link, which would not help)."""
    expired = isinstance(error, TokenExpired)
    return render_template("signup/bad_link.html", expired=expired, purpose=purpose), status


@bp.route("/inscription/confirmer/<token>", methods=["GET", "POST"])
def confirm(token: str) -> str | tuple[str, int]:
    try:
        contact, issued = links.read_person("confirm", token)
    except TokenError as exc:
        return _bad_link(exc)
    if not services.unconfirmed_signups(contact, issued):
        return render_template("signup/bad_link.html", used=True), 400
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("signup/confirm.html", form=form, contact=contact), 400
        try:
            services.confirm(contact, issued, _client_ip())
        except services.LinkAlreadyUsed:
            db.session.rollback()
            return render_template("signup/bad_link.html", used=True), 400
        db.session.commit()
        return render_template("signup/confirmed.html", contact=contact,
                               preferences_url=links.preferences_url(contact))
    return render_template("signup/confirm.html", form=form, contact=contact)


@bp.route("/preferences/<token>", methods=["GET", "POST"], endpoint="preferences")
def preferences_page(token: str) -> str | Response | tuple[str, int]:
    try:
        contact = links.read_person("preferences", token)[0]
    except TokenError as exc:
        return _bad_link(exc, purpose="preferences")
    form = PreferencesForm()
    if request.method == "GET":
        form.topics.data = sorted(preferences.current_topics(contact))
    elif form.validate_on_submit():
        preferences.update_topics(contact, set(form.topics.data or []), _client_ip())
        db.session.commit()
        flash(_("Vos préférences sont enregistrées."), "success")
        return redirect(url_for("signup.preferences", token=token), code=303)
    panel = preferences.panel_for(contact)
    return render_template("signup/preferences.html", form=form, contact=contact, panel=panel, token=token,
                           action=ActionForm(), consent_version=CONSENT_VERSION,
                           unsubscribe_url=links.unsubscribe_url(contact), **_promises())


@bp.route("/desinscription/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> str | tuple[str, int]:
    """RFC 8058: a bare POST (no cookie, no CSRF token) unsubscribes at once and answers 200, never a redirect."""
    try:
        contact = links.read_person("unsubscribe", token)[0]
    except TokenError as exc:
        return _bad_link(exc, purpose="preferences")
    if request.method == "POST":
        source = "one_click" if request.form.get("List-Unsubscribe") == "One-Click" else "email_link"
        preferences.unsubscribe(contact, source, _client_ip())
        db.session.commit()
        return render_template("signup/unsubscribed.html", contact=contact, **_promises())
    return render_template("signup/unsubscribe.html", contact=contact, **_promises())


@bp.route("/kit/<token>")
def kit_download(token: str) -> Response | tuple[str, int]:
    """The kit file is served only here, to a confirmed address the kit was sent to."""
    try:
        contact = links.read_person("kit", token)[0]
    except TokenError as exc:
        return _bad_link(exc, purpose="kit")
    current = kit.current_kit()
    if not inbox.kit_was_sent(contact) or current is None or not kit.kit_path(current).is_file():
        abort(404)
    return send_file(kit.kit_path(current), mimetype=current.content_type, as_attachment=True,
                     download_name=current.filename, max_age=0)
