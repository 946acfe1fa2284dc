"""Application factory for the Territoires d'industrie partner CRM."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask, redirect, url_for

from crm import extensions as ext
from crm.config import check_production_config, complete_config, load_config
from crm.db import ids_never_reused, tune_sqlite

ROOT = Path(__file__).resolve().parent.parent

# The one list of feature packages: each declares what it adds in ``feature = Feature(...)`` (crm.extensions).
# Adding a package costs one line here. The order is that of the menu's sources and of the demo data.
FEATURES = [
    "crm.auth",
    "crm.account",
    "crm.dashboard",
    "crm.partners",
    "crm.consent",
    "crm.audit",
    "crm.mail",
    "crm.bounces",
    "crm.segments",
    "crm.images",
    "crm.campaigns",
    "crm.signup",
    "crm.events",
    "crm.imports",
    "crm.privacy",
    "crm.actions",
    "crm.tasks",
    "crm.projects",
    "crm.accessibility",
]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    load_dotenv(ROOT / ".env")
    app = Flask(
        __name__,
        instance_path=os.environ.get("CRM_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    check_production_config(app.config)
    complete_config(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    ext.db.init_app(app)
    with app.app_context():
        tune_sqlite(ext.db.engine)
    ext.migrate.init_app(app, ext.db, directory=str(ROOT / "migrations"), render_as_batch=True)
    ext.mail.init_app(app)
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)

    from crm import errors, i18n, security, templating
    from crm.consent import mail_kinds

    ext.babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

    ext.install(app, [importlib.import_module(name).feature for name in FEATURES])
    ids_never_reused(ext.db.metadata)
    mail_kinds.install(app)
    app.add_url_rule("/", "index", lambda: redirect(url_for("dashboard.index")))

    from crm import cli

    cli.init_app(app)
    return app
