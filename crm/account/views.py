"""A back-office user's own account: their page (log out everywhere), and the forgotten-password flow by mail."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE_NAME
from werkzeug.wrappers import Response

from crm.account import mails
from crm.auth import services, tokens
from crm.auth.forms import ForgotPasswordForm, ResetPasswordForm
from crm.auth.views import email_key, too_many
from crm.extensions import db, limiter
from crm.forms import save_form

bp = Blueprint("account", __name__)


def _password_reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(_password_reset_limit, methods=["POST"], on_breach=too_many)
@limiter.limit(_password_reset_limit, methods=["POST"], key_func=email_key, on_breach=too_many)
def forgot_password() -> str | Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.account_for_reset(form.email.data or "")
        if user is not None:
            mails.send_password_reset(user)
        db.session.commit()
        # The same answer whether the account exists or not: nothing to learn about who has one.
        flash(_("Si un compte actif correspond à cette adresse, un message vient d'y être envoyé avec un lien pour "
                "choisir un nouveau mot de passe, valable %(minutes)s minutes.", minutes=tokens.max_age() // 60),
              "info")
        return redirect(url_for("auth.login"), code=303)
    return render_template("account/forgot_password.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    # A GET only shows the form (mail scanners follow links); the POST changes the password.
    try:
        user = services.user_for_reset_token(token)
    except tokens.ResetLinkError as exc:
        return render_template("account/reset_link_problem.html", problem=exc.problem), 400
    form = ResetPasswordForm()
    if save_form(form, lambda: services.set_password(user, form.password.data or ""), summary=False,
                 success=_("Votre mot de passe a été changé et toutes vos sessions ont été fermées. Connectez-vous "
                           "avec le nouveau.")):
        logout_user()
        return redirect(url_for("auth.login"), code=303)
    return (render_template("account/reset_password.html", form=form, min_length=services.MIN_PASSWORD_LENGTH),
            (400 if request.method == "POST" else 200))


# Every user's own page, a viewer's too: outside /admin/, where a viewer may only read.
@bp.route("/mon-compte")
@login_required
def index() -> str:
    return render_template("account/account.html")


@bp.route("/mon-compte/deconnexion-partout", methods=["POST"])
@login_required
def log_out_everywhere() -> Response:
    user = current_user._get_current_object()
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_NAME) in request.cookies
    services.end_sessions(user)
    db.session.commit()
    login_user(user, remember=remembered)  # this browser carries on with the new token
    flash(_("Vos sessions sur les autres appareils sont fermées."), "success")
    return redirect(url_for("account.index"), code=303)
