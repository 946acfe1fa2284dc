"""Privacy rights (RGPD): export of what is held about a person, erasure, retention review, register."""

from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("privacy", __name__, url_prefix="/admin/rgpd")
protect_admin(bp)

from crm.privacy import views  # noqa: E402,F401  (routes register on bp)
