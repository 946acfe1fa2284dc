"""Public signup at /inscription, double opt-in, the subscriber's own links, and the requests inbox."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from crm.security import protect_admin

bp = Blueprint("signup", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin/demandes")
protect_admin(admin_bp)


@bp.record_once
def _defaults(state: BlueprintSetupState) -> None:
    """Settings of this feature (environment first, then these defaults); tests override them in config."""
    config = state.app.config
    env = os.environ
    defaults: dict[str, Any] = {
        "SIGNUP_RATE_LIMIT": env.get("SIGNUP_RATE_LIMIT", "5 per minute"),
        "SIGNUP_PURGE_AFTER_DAYS": int(env.get("SIGNUP_PURGE_AFTER_DAYS", "7")),
        "SIGNUP_CONFIRM_MAX_AGE_DAYS": int(env.get("SIGNUP_CONFIRM_MAX_AGE_DAYS", "7")),
        "SIGNUP_KIT_LINK_DAYS": int(env.get("SIGNUP_KIT_LINK_DAYS", "30")),
        "SIGNUP_KIT_DIR": env.get("SIGNUP_KIT_DIR", str(Path(state.app.instance_path) / "signup-kit")),
        "SIGNUP_KIT_MAX_BYTES": int(env.get("SIGNUP_KIT_MAX_BYTES", str(20 * 1024 * 1024))),
        "SIGNUP_RECORD_IP": env.get("SIGNUP_RECORD_IP", "").lower() in {"1", "true", "yes", "on", "oui"},
    }
    for key, value in defaults.items():
        config.setdefault(key, value)


from crm.signup import admin_views, views  # noqa: E402,F401  (routes register on the blueprints)

bp.register_blueprint(admin_bp)
