"""Unbound Flask extensions, and the contract through which a feature package plugs itself in. This module
imports nothing from ``crm`` but the declarative base.

A feature declares what it adds in ``feature = Feature(...)`` in its ``__init__.py``. ``create_app`` imports each
package named in ``crm.FEATURES`` and installs its declaration: blueprints, CLI commands, template filters,
context processors, then keeps the rest (nav entries, scheduler jobs, mail kinds, dashboard figures and panels,
privacy rules, hooks, demo data) on the application, where the navigation, ``scheduler.py``, the mail pipeline,
the dashboard, the privacy pages and ``flask setup`` read it. Nothing registers at import time, and no central
file names another package's internals. No domain word here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Blueprint, Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from crm.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# --- The feature contract -----------------------------------------------------------------------

EXTENSION_KEY = "crm_features"


@dataclass(frozen=True)
class NavItem:
    """An entry of the back-office menu. ``label`` is French, translated when the menu is drawn."""

    endpoint: str
    label: str
    order: int = 100
    role: str = "viewer"


@dataclass(frozen=True)
class Job:
    """A periodic job of ``scheduler.py``: ``func(app)`` opens its own app context. The id is fixed.
    ``trigger_args`` are APScheduler's (e.g. ``{"hours": 1}``), or a function of the app's config giving them."""

    id: str
    func: Callable[[Flask], Any]
    trigger_args: Mapping[str, Any] | Callable[[Mapping[str, Any]], Mapping[str, Any]] = field(
        default_factory=lambda: {"minutes": 5})
    trigger: str = "interval"

    def schedule(self, config: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.trigger_args(config) if callable(self.trigger_args) else self.trigger_args


@dataclass(frozen=True)
class Figure:
    """A count on the dashboard, leading to the list it counts: among the key figures (``group="key"``) or
    in the section of what waits for the team (``group="waiting"``)."""

    label: Any
    count: Callable[[], int]
    endpoint: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100
    group: str = "key"


@dataclass(frozen=True)
class Panel:
    """A section of the dashboard: ``template`` is included with the context ``build()`` returns."""

    template: str
    build: Callable[[], Mapping[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class PrivacyTable:
    """What privacy knows of a table holding rows about people: its title in a person's export and the
    register; ``personal`` columns emptied by an erasure (beside free text, always replaced); ``derived``
    tables (search words rebuilt from the record) are left out of export, merge and erasure."""

    table: str
    title: str = ""
    personal: Sequence[str] = ()
    derived: bool = False


@dataclass(frozen=True)
class Feature:
    """Everything a package adds to the application; every field is optional."""

    name: str
    blueprints: Sequence[Blueprint] = ()
    nav: Sequence[NavItem] = ()
    commands: Sequence[click.Command] = ()
    jobs: Sequence[Job] = ()
    mail_kinds: Sequence[Any] = ()  # crm.consent.mail_kinds.MailKind
    figures: Sequence[Figure] = ()
    panels: Sequence[Panel] = ()
    privacy: Sequence[PrivacyTable] = ()
    hooks: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    template_filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    context_processors: Sequence[Callable[[], dict[str, Any]]] = ()
    demo: Callable[[], Any] | None = None  # loads the package's fictional demo data (once)
    setup: Callable[[Flask], None] | None = None  # anything else the package needs at app creation


def install(app: Flask, features: Sequence[Feature]) -> None:
    """Registers what Flask itself must know, and keeps the declarations for those who read them."""
    app.extensions[EXTENSION_KEY] = list(features)
    for feature in features:
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)
        for command in feature.commands:
            app.cli.add_command(command)
        app.jinja_env.filters.update(feature.template_filters)
        for processor in feature.context_processors:
            app.context_processor(processor)
        if feature.setup is not None:
            feature.setup(app)


def installed(app: Flask | None = None) -> list[Feature]:
    return list((app or current_app).extensions.get(EXTENSION_KEY, []))


def nav_items(app: Flask | None = None) -> list[NavItem]:
    return sorted((item for f in installed(app) for item in f.nav), key=lambda item: item.order)


def declared_jobs(app: Flask | None = None) -> list[Job]:
    return [job for f in installed(app) for job in f.jobs]


def figures(group: str = "key", app: Flask | None = None) -> list[Figure]:
    found = (figure for f in installed(app) for figure in f.figures if figure.group == group)
    return sorted(found, key=lambda figure: figure.order)


def panels(app: Flask | None = None) -> list[Panel]:
    return sorted((panel for f in installed(app) for panel in f.panels), key=lambda panel: panel.order)


def privacy_tables(app: Flask | None = None) -> dict[str, PrivacyTable]:
    return {rule.table: rule for f in installed(app) for rule in f.privacy}


def mail_kinds(app: Flask | None = None) -> Iterator[Any]:
    for feature in installed(app):
        yield from feature.mail_kinds


def hooks(name: str, app: Flask | None = None) -> list[Callable[..., Any]]:
    """The functions features registered under ``name`` (e.g. "mail.address_failed"), in feature order."""
    return [f.hooks[name] for f in installed(app) if name in f.hooks]
