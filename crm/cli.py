"""`flask` command groups of the whole application: taxonomy, demo data, and the one-shot setup used by
`make run`. Each feature adds its own groups through its declaration (crm.extensions)."""

from __future__ import annotations

import os
import secrets

import click
from flask import Flask
from flask.cli import AppGroup
from flask_migrate import upgrade

from crm.auth import services as user_services
from crm.auth.models import Role
from crm.consent.services import load_topics
from crm.extensions import db
from crm.demo import load_demo_data
from crm.partners.taxonomy import load_reference_taxonomy

taxonomy_cli = AppGroup("taxonomy", help="Référentiel : types de structure, filières, axes.")
demo_cli = AppGroup("demo", help="Données de démonstration fictives.")

DEMO_ADMIN_EMAIL = "admin@example.org"


@taxonomy_cli.command("load")
def load_taxonomy_command() -> None:
    """Charge le référentiel (idempotent)."""
    added = load_reference_taxonomy() + load_topics()
    db.session.commit()
    click.echo(f"Référentiel chargé ({added} entrée(s) ajoutée(s)).")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Charge les données fictives de démonstration, si la base n'a encore aucune structure."""
    load_reference_taxonomy()
    loaded = load_demo_data()
    db.session.commit()
    click.echo("Données de démonstration chargées." if loaded else "Des structures existent déjà : rien à faire.")


@click.command("setup")
@click.option("--demo/--no-demo", default=True, help="Charger les données fictives la première fois.")
def setup_command(demo: bool) -> None:
    """Migre la base, charge le référentiel, la démo (première fois) et crée l'admin de démonstration."""
    upgrade()
    added = load_reference_taxonomy() + load_topics()
    loaded = load_demo_data() if demo else False
    created_password = None
    if not user_services.list_users():
        created_password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user_services.create_user(DEMO_ADMIN_EMAIL, created_password, Role.ADMIN, "Admin démo")
    db.session.commit()
    click.echo(f"Base à jour ; référentiel : {added} ajout(s) ; démo : {'chargée' if loaded else 'déjà là'}.")
    if created_password:
        click.echo("")
        click.echo("  Administrateur de démonstration créé (ce mot de passe ne sera plus affiché) :")
        click.echo(f"    identifiant : {DEMO_ADMIN_EMAIL}")
        click.echo(f"    mot de passe : {created_password}")
        click.echo("")


def init_app(app: Flask) -> None:
    """The commands of the whole application; each feature adds its own (``Feature.commands``)."""
    for command in (taxonomy_cli, demo_cli, setup_command):
        app.cli.add_command(command)
