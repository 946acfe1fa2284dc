"""The communication kit file: uploaded by the team, stored under the instance folder, never public."""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from crm.audit import services as audit
from crm.errors import ValidationError
from crm.extensions import db
from crm.signup.models import CommunicationKit

ALLOWED_EXTENSIONS = {".pdf", ".zip", ".png", ".jpg", ".jpeg", ".pptx", ".docx", ".odt", ".odp"}
CONTENT_TYPES = {
    ".pdf": "application/pdf", ".zip": "application/zip", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}


class KitError(ValidationError):
    pass


def kit_dir() -> Path:
    path = Path(current_app.config["SIGNUP_KIT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def current_kit() -> CommunicationKit | None:
    return db.session.scalar(sa.select(CommunicationKit).order_by(CommunicationKit.uploaded_at.desc(),
                                                                  CommunicationKit.id.desc()).limit(1))


def kit_path(kit: CommunicationKit) -> Path:
    return kit_dir() / kit.stored_name


def store_kit(upload: FileStorage | None, user_id: int | None = None) -> CommunicationKit:
    if upload is None or not upload.filename:
        raise KitError("Choisissez un fichier.")
    filename = secure_filename(upload.filename) or "kit"
    extension = Path(filename).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise KitError("Format refusé : déposez un fichier PDF, ZIP, image ou document bureautique.")
    data = upload.stream.read(current_app.config["SIGNUP_KIT_MAX_BYTES"] + 1)
    if not data:
        raise KitError("Le fichier est vide.")
    if len(data) > current_app.config["SIGNUP_KIT_MAX_BYTES"]:
        raise KitError("Le fichier est trop volumineux.")
    stored_name = f"{secrets.token_hex(16)}{extension}"
    (kit_dir() / stored_name).write_bytes(data)
    kit = CommunicationKit(filename=filename, stored_name=stored_name, content_type=CONTENT_TYPES[extension],
                           size=len(data), uploaded_by_id=user_id)
    db.session.add(kit)
    db.session.flush()
    audit.record("kit_upload", "communication_kit", kit.id, f"Kit de communication déposé : {filename}",
                 user_id=user_id)
    return kit
