"""The only code that builds and sends mail: rendering, transports, the outbox."""

from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("mail", __name__, url_prefix="/admin/boite-d-envoi")
protect_admin(bp)

from crm.mail import outgoing, views  # noqa: E402,F401  (routes and session hooks register here)
