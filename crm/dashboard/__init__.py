from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("dashboard", __name__, url_prefix="/admin")
protect_admin(bp)

from crm.dashboard import views  # noqa: E402,F401  (routes register on bp)
