"""Data in: import of partner spreadsheets, search and merge of duplicates."""

from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("imports", __name__, url_prefix="/admin/donnees")
protect_admin(bp)

from crm.imports import views  # noqa: E402,F401  (routes register on bp)
