"""Users: creation, authentication, role changes. Functions flush; callers commit."""

from __future__ import annotations

import sqlalchemy as sa

from crm.auth.models import Role, User
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db
from crm.forms import InvalidEmail, normalize_email

MIN_PASSWORD_LENGTH = 10


class UserError(ValidationError):
    """A user-facing error, worded in French."""


def get_user_by_email(email: str) -> User | None:
    try:
        email = normalize_email(email)
    except InvalidEmail:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def create_user(email: str, password: str, role: str = Role.VIEWER, name: str = "") -> User:
    try:
        email = normalize_email(email)
    except InvalidEmail as exc:
        raise UserError(str(exc)) from exc
    if role not in {r.value for r in Role}:
        raise UserError(f"Rôle inconnu : {role}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.")
    if get_user_by_email(email) is not None:
        raise UserError("Un utilisateur existe déjà avec cette adresse.")
    user = User(email=email, role=Role(role).value, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = get_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def update_user(user: User, *, role: str, active: bool, name: str, password: str | None = None) -> User:
    if role not in {r.value for r in Role}:
        raise UserError(f"Rôle inconnu : {role}.")
    if password:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.")
        user.set_password(password)
    user.role, user.active, user.name = role, active, name
    db.session.flush()
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.email)))
