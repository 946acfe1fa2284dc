"""`flask users`: the back-office accounts from the command line."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from crm.auth import services as user_services
from crm.auth.models import Role
from crm.extensions import db

users_cli = AppGroup("users", help="Comptes du back-office.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value)
@click.option("--name", default="")
@click.option("--password-env", default="CRM_USER_PASSWORD", show_default=True,
              help="Variable d'environnement d'où lire le mot de passe ; sinon il est demandé.")
def create_user_command(email: str, role: str, name: str, password_env: str) -> None:
    """Crée un utilisateur (le mot de passe est demandé, ou lu dans l'environnement)."""
    password = os.environ.get(password_env) or click.prompt(
        "Mot de passe", hide_input=True, confirmation_prompt=True
    )
    try:
        user = user_services.create_user(email, password, role, name)
    except user_services.UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Utilisateur {user.email} créé avec le rôle {user.role}.")


@users_cli.command("list")
def list_users_command() -> None:
    for user in user_services.list_users():
        click.echo(f"{user.email}\t{user.role}\t{'actif' if user.active else 'inactif'}")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password-env", default="CRM_USER_PASSWORD", show_default=True,
              help="Variable d'environnement d'où lire le mot de passe ; sinon il est demandé.")
def reset_password_command(email: str, password_env: str) -> None:
    """Change le mot de passe d'un utilisateur et ferme toutes ses sessions ouvertes."""
    user = user_services.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"Aucun utilisateur avec l'adresse {email}.")
    password = os.environ.get(password_env) or click.prompt(
        "Nouveau mot de passe", hide_input=True, confirmation_prompt=True
    )
    try:
        user_services.set_password(user, password)
    except user_services.UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Mot de passe de {user.email} changé ; ses sessions ouvertes sont fermées.")
