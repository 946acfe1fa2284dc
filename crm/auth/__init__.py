from flask import Blueprint

bp = Blueprint("auth", __name__)
users_bp = Blueprint("users", __name__, url_prefix="/admin/utilisateurs")

from crm.auth import views  # noqa: E402,F401  (routes register on the blueprints)

bp.register_blueprint(users_bp)
