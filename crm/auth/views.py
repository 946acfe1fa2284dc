from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from crm.auth import services
from crm.auth.forms import LoginForm, UserCreateForm, UserEditForm
from crm.auth.models import User
from crm.auth.redirects import safe_next
from crm.extensions import db, limiter, login_manager
from crm.forms import lazy_gettext as _l
from crm.forms import save_form
from crm.security import protect_admin

bp = Blueprint("auth", __name__)
users_bp = Blueprint("users", __name__, url_prefix="/admin/utilisateurs")
protect_admin(users_bp, write_role="admin", read_role="admin")
bp.register_blueprint(users_bp)


def load_user(session_token: str) -> User | None:
    return services.get_user_by_session_token(session_token)


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.localize_callback = str  # the lazy message is rendered in the request's language
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def email_key() -> str:
    """The rate-limit key of a form posting an account's address."""
    return "account:" + services.email_key(request.form.get("email", ""))


def _failed_login(response: FlaskResponse) -> bool:
    return response.status_code != 302  # a login that succeeds redirects; only failures count against the account


def too_many(limit: RequestLimit) -> FlaskResponse:
    # flask-limiter uses the callback's answer only if it is a flask.Response.
    return FlaskResponse(render_template("auth/too_many.html"), status=429, mimetype="text/html")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], on_breach=too_many)
@limiter.limit(_login_account_limit, methods=["POST"], key_func=email_key, deduct_when=_failed_login,
               on_breach=too_many)
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            flash(_("Adresse e-mail ou mot de passe incorrect."), "error")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout() -> Response:
    # A cookie copied before the logout must not open the session again: the user gets a new session token.
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("auth.login"))


@users_bp.route("/")
def list_users() -> str:
    return render_template("auth/users.html", users=services.list_users())


@users_bp.route("/nouveau", methods=["GET", "POST"])
def create_user() -> str | Response:
    form = UserCreateForm()
    if save_form(form, lambda: services.create_user(form.email.data or "", form.password.data or "", form.role.data,
                                                    form.name.data or ""), success=_("Utilisateur créé.")):
        return redirect(url_for("auth.users.list_users"))
    return render_template("auth/user_form.html", form=form, user=None)


@users_bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> str | Response:
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if save_form(form, lambda: services.update_user(user, role=form.role.data, active=form.active.data,
                                                    name=form.name.data or "", password=form.password.data or None),
                 success=_("Utilisateur enregistré.")):
        return redirect(url_for("auth.users.list_users"))
    return render_template("auth/user_form.html", form=form, user=user)
