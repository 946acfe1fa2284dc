"""Import steps shared by the back office and the CLI: keep the upload, map, simulate, run. Callers commit."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from crm.imports import fields
from crm.imports.applying import ImportRefused, apply_plan
from crm.imports.planning import Mode, Plan, Progress, build_plan
from crm.imports.reading import ImportFileError, Sheet, read_file

UPLOAD_MAX_AGE_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
# A token names two files: far below any file-name limit (``secrets.token_urlsafe(16)`` gives 22 characters).
MAX_TOKEN_LENGTH = 64

__all__ = ["ImportFileError", "ImportRefused", "Mode", "Upload", "run_import", "save_upload", "load_upload"]


@dataclass
class Upload:
    token: str
    filename: str
    sheet: Sheet
    mapping: list[str] = field(default_factory=list)
    mode: str = Mode.SKIP.value
    strict: bool = False


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path]:
    if not token or len(token) > MAX_TOKEN_LENGTH or set(token) - _TOKEN_CHARS:
        raise ImportFileError("Ce fichier d'import n'existe plus : déposez-le à nouveau.")
    return _folder() / f"{token}.data", _folder() / f"{token}.json"


def save_upload(filename: str, raw: bytes) -> Upload:
    """Checks the file can be read, keeps it (the uploaded file is deleted after the import or after a day)."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImportFileError("Le fichier dépasse 20 Mo : découpez-le en plusieurs fichiers.")
    sheet = read_file(filename, raw)
    token = secrets.token_urlsafe(16)
    data_path, meta_path = _paths(token)
    data_path.write_bytes(raw)
    upload = Upload(token, Path(filename).name, sheet, fields.propose_mapping(sheet.header))
    _write_meta(upload)
    return upload


def _write_meta(upload: Upload) -> None:
    _, meta_path = _paths(upload.token)
    meta_path.write_text(json.dumps({"filename": upload.filename, "mapping": upload.mapping, "mode": upload.mode,
                                     "strict": upload.strict}))


def load_upload(token: str) -> Upload:
    data_path, meta_path = _paths(token)
    if not data_path.exists() or not meta_path.exists():
        raise ImportFileError("Ce fichier d'import n'existe plus : déposez-le à nouveau.")
    meta = json.loads(meta_path.read_text())
    sheet = read_file(meta["filename"], data_path.read_bytes())
    return Upload(token, meta["filename"], sheet, meta["mapping"], meta["mode"], meta["strict"])


def set_choices(upload: Upload, mapping: list[str], mode: str, strict: bool) -> list[str]:
    """Validates and keeps the mapping; remembers it for the next file with the same headers."""
    errors = fields.check_mapping(mapping)
    if errors:
        return errors
    upload.mapping, upload.mode, upload.strict = mapping, Mode(mode).value, strict
    _write_meta(upload)
    fields.remember(upload.sheet.header, mapping)
    return []


def discard_upload(token: str) -> None:
    for path in _paths(token):
        path.unlink(missing_ok=True)


def purge_stale_uploads(max_age: int = UPLOAD_MAX_AGE_SECONDS) -> int:
    folder = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "imports")
    if not folder.is_dir():
        return 0
    limit = time.time() - max_age
    removed = 0
    for path in folder.iterdir():
        if path.suffix in {".data", ".json"} and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def simulate(upload: Upload, progress: Progress | None = None) -> Plan:
    return build_plan(upload.sheet, upload.mapping, upload.mode, progress)


def run_import(sheet: Sheet, mapping: list[str], mode: Mode | str, *, filename: str = "",
               user_id: int | None = None, strict: bool = False, expected: dict[str, int] | None = None,
               progress: Progress | None = None) -> tuple[Plan, dict[str, int]]:
    """Plans again inside the caller's transaction and applies; the caller commits or rolls back."""
    plan = build_plan(sheet, mapping, mode, progress)
    if expected is not None and plan.summary() != expected:
        raise ImportRefused("La base a changé depuis la simulation : relancez la simulation avant d'importer.")
    return plan, apply_plan(plan, filename=filename, user_id=user_id, strict=strict, progress=progress)
