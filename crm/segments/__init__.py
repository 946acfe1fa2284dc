"""Segments: saved filters over contacts, with a live count, used by campaigns and events."""

from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("segments", __name__, url_prefix="/admin/segments")
protect_admin(bp)

from crm.segments import views  # noqa: E402,F401  (routes register on bp)
