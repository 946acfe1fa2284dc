from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from crm.mail import outbox
from crm.security import protect_admin

bp = Blueprint("mail", __name__, url_prefix="/admin/boite-d-envoi")
protect_admin(bp)

# A message's HTML is shown in a sandboxed frame with its own policy: inline styles, no scripts, and no remote
# image (loading one would tell its server who reads the message, and when).
MESSAGE_FRAME_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"


def _path() -> str:
    return current_app.config["MAILDIR_PATH"]


@bp.route("/")
def index() -> str:
    page = outbox.list_messages(_path(), request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"])
    return render_template("mail/outbox.html", page=page)


@bp.route("/<key>")
def show(key: str) -> str:
    message = outbox.get_message(_path(), key)
    if message is None:
        abort(404)
    return render_template("mail/message.html", message=message)


@bp.route("/<key>/html")
def show_html(key: str) -> Response:
    message = outbox.get_message(_path(), key)
    if message is None or message.html is None:
        abort(404)
    response = Response(message.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
