from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("partners", __name__, url_prefix="/admin")
protect_admin(bp)

from crm.partners import views  # noqa: E402,F401  (routes register on bp)
