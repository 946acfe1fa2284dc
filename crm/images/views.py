"""Uploading an image for a letter (back office), and the public address every letter links it from."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from crm.extensions import db
from crm.images import services
from crm.images.forms import UploadForm
from crm.security import protect_admin

bp = Blueprint("admin", __name__, url_prefix="/admin/images")
protect_admin(bp)
public_bp = Blueprint("public", __name__)

# A year, never revalidated: the address is the content's hash, so new content has a new address.
LONG_CACHE = "public, max-age=31536000, immutable"
# Room for the multipart envelope and the alt text around the file itself.
ENVELOPE = 64 * 1024


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"


def _refused(message: str, status: int = 400) -> Any:
    if _wants_json():
        return jsonify({"error": message}), status
    flash(message, "error")
    return render_template("images/index.html", form=UploadForm(), images=services.recent()), status


@bp.route("/")
def index() -> str:
    return render_template("images/index.html", form=UploadForm(), images=services.recent())


@bp.route("/", methods=["POST"])
def upload() -> Any:
    # The body is refused beyond the limit before it is read: a clear message, not a bare 413.
    request.max_content_length = services.max_bytes() + ENVELOPE
    if request.content_length is not None and request.content_length > request.max_content_length:
        return _refused(services.too_large_message(), 413)
    try:
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _refused(services.too_large_message(), 413)
    if not valid:
        messages = [message for errors in form.errors.values() for message in errors]
        return _refused(" ".join(str(m) for m in messages) or "Image non reçue.")
    upload_file = form.image.data
    data = upload_file.read(services.max_bytes() + 1)
    try:
        image = services.store(data, upload_file.filename or "", uploaded_by_id=current_user.id)
    except services.ImageRefused as exc:
        db.session.rollback()
        return _refused(exc.errors["image"])
    db.session.commit()
    alt = (form.alt.data or "").strip().replace("]", "").replace("[", "")
    url = services.public_url(image)
    markdown = f"![{alt}]({url})"
    if _wants_json():
        return jsonify({"url": url, "width": image.width, "height": image.height, "alt": alt, "markdown": markdown})
    flash(f"Image enregistrée. Collez cette ligne dans la lettre : {markdown}", "success")
    return redirect(url_for("images.admin.index"))


@public_bp.route("/medias/<filename>")
def show(filename: str) -> Any:
    image = services.find(filename)
    if image is None:
        abort(404)
    path = services.folder() / image.filename
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=image.content_type, conditional=True, etag=image.digest, max_age=None)
    response.headers["Cache-Control"] = LONG_CACHE
    return response
