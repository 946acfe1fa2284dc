"""Security headers and the guards every back-office blueprint uses."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, request
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import login_manager

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def protect_admin(bp: Blueprint, write_role: str = "editor", read_role: str = "viewer") -> None:
    """Every route of ``bp`` needs a login; reads need ``read_role``, writes ``write_role``."""

    @bp.before_request
    def _guard() -> Response | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        needed = read_role if request.method in SAFE_METHODS else write_role
        if not current_user.has_role(needed):
            abort(403)
        return None


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)
