"""The lettre d'information: campaigns (back office), their public archive, and their renderer for the pipeline.

``bp`` groups two blueprints: ``campaigns.admin`` under /admin/lettres (login required) and
``campaigns.archive`` under /lettres (public, no personal data).
"""

from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("campaigns", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin/lettres")
archive_bp = Blueprint("archive", __name__, url_prefix="/lettres")
protect_admin(admin_bp)

from crm.campaigns import archive, content, views  # noqa: E402,F401  (routes and the renderer register here)

bp.register_blueprint(admin_bp)
bp.register_blueprint(archive_bp)
content.register()
