from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from crm.mail import outbox
from crm.security import protect_admin

bp = Blueprint("mail", __name__, url_prefix="/admin/boite-d-envoi")
protect_admin(bp)

# A message's HTML is shown in a sandboxed frame with its own policy: inline styles, no scripts, and no remote
# image (loading one would tell its server who reads the message, and when).
MESSAGE_FRAME_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
# Who sees the links that act for a person (confirm, preferences, unsubscribe, RSVP, kit, new password): everyone
# else reads the outbox with them masked, and cannot act in anyone's name.
REVEAL_LINKS_ROLE = "admin"


def _path() -> str:
    return current_app.config["MAILDIR_PATH"]


def _reveals_links() -> bool:
    return current_user.has_role(REVEAL_LINKS_ROLE)


def _message(key: str) -> outbox.OutboxMessage:
    message = outbox.get_message(_path(), key)
    if message is None:
        abort(404)
    return message if _reveals_links() else outbox.mask_links(message)


@bp.route("/")
def index() -> str:
    page = outbox.list_messages(_path(), request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"])
    return render_template("mail/outbox.html", page=page, links_masked=not _reveals_links())


@bp.route("/<key>")
def show(key: str) -> str:
    return render_template("mail/message.html", message=_message(key))


@bp.route("/<key>/html")
def show_html(key: str) -> Response:
    message = _message(key)
    if message.html is None:
        abort(404)
    response = Response(message.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
