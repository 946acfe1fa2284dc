"""Users: creation, authentication, role changes, passwords and sessions. Functions flush; callers commit."""

from __future__ import annotations

from functools import cache
from secrets import token_urlsafe

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from crm.auth import tokens
from crm.auth.models import Role, User, new_session_token
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db
from crm.forms import InvalidEmail, normalize_email

MIN_PASSWORD_LENGTH = 10


class UserError(ValidationError):
    """A user-facing error, worded in French."""


def email_key(raw: str) -> str:
    """An address as accounts are keyed (normalised), or the text tidied when it is not an address; for the
    rate limits per account."""
    try:
        return normalize_email(raw)
    except InvalidEmail:
        return raw.strip().lower()[:254]


def get_user_by_email(email: str) -> User | None:
    try:
        email = normalize_email(email)
    except InvalidEmail:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def get_user_by_session_token(session_token: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.session_token == session_token))


def _check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError({"password": f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."})


def create_user(email: str, password: str, role: str = Role.VIEWER, name: str = "") -> User:
    try:
        email = normalize_email(email)
    except InvalidEmail as exc:
        raise UserError({"email": str(exc)}) from exc
    if role not in {r.value for r in Role}:
        raise UserError({"role": f"Rôle inconnu : {role}."})
    _check_password_length(password)
    if get_user_by_email(email) is not None:
        raise UserError({"email": "Un utilisateur existe déjà avec cette adresse."})
    user = User(email=email, role=Role(role).value, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@cache
def _dummy_password_hash() -> str:
    """A hash made like the real ones, to check against when there is no account to check against."""
    return generate_password_hash(token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    user = get_user_by_email(email)
    # One hash check whatever the account (unknown, inactive or real): the answer time says nothing about it.
    matches = check_password_hash(user.password_hash if user else _dummy_password_hash(), password)
    if user is None or not user.active or not matches:
        return None
    user.last_login_at = utcnow()
    return user


def update_user(user: User, *, role: str, active: bool, name: str, password: str | None = None) -> User:
    if role not in {r.value for r in Role}:
        raise UserError({"role": f"Rôle inconnu : {role}."})
    if password:
        set_password(user, password)
    user.role, user.active, user.name = role, active, name
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Every session and remember-me cookie of the user stops working (they carry the old token)."""
    user.session_token = new_session_token()
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """A new password ends the sessions opened with the old one."""
    _check_password_length(password)
    user.set_password(password)
    end_sessions(user)


def account_for_reset(email: str) -> User | None:
    """The active account a password link may be sent to for ``email``, if any. Whoever asks learns nothing from
    the answer: the caller says the same either way."""
    user = get_user_by_email(email)
    return user if user is not None and user.active else None


def user_for_reset_token(token: str) -> User:
    """The user a password link was sent to; ``tokens.ResetLinkError`` if it expired, was used or is forged."""
    user_id, fingerprint = tokens.read_reset_token(token)
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise tokens.ResetLinkError()
    if fingerprint != tokens.password_fingerprint(user):
        raise tokens.ResetLinkUsed()  # the password changed since the link was sent: by this link or otherwise
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.email)))
