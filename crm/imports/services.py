"""Import steps shared by the back office and the CLI: keep the upload, map, simulate, run. Callers commit."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from flask import current_app

from crm.imports import fields
from crm.imports.applying import ImportRefused, apply_plan
from crm.imports.planning import Mode, Plan, Progress, build_plan
from crm.imports.reading import ImportFileError, Sheet, read_file

UPLOAD_MAX_AGE_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SAMPLE_ROWS = 3
_TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
# A token names two files: far below any file-name limit (``secrets.token_urlsafe(16)`` gives 22 characters).
MAX_TOKEN_LENGTH = 64

__all__ = ["ImportFileError", "ImportRefused", "Mode", "Upload", "run_import", "save_upload", "load_upload"]


@dataclass
class Upload:
    """A file being imported: what the wizard shows at each step; the rows are read from the parsed copy."""

    token: str
    filename: str
    header: list[str]
    row_count: int
    samples: list[list[str]] = field(default_factory=list)  # the first rows, for the columns step
    encoding: str = ""
    delimiter: str = ""
    mapping: list[str] = field(default_factory=list)
    mode: str = Mode.SKIP.value
    strict: bool = False

    @property
    def sheet(self) -> Sheet:
        """The rows, from the copy parsed at upload (the file itself is read once per import)."""
        rows_path, _ = _paths(self.token)
        return Sheet(self.header, _StoredRows(rows_path, self.row_count), self.encoding, self.delimiter)


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path]:
    """The parsed rows (one JSON array per line) and the wizard's choices (JSON), named by the token."""
    if not token or len(token) > MAX_TOKEN_LENGTH or set(token) - _TOKEN_CHARS:
        raise ImportFileError("Ce fichier d'import n'existe plus : déposez-le à nouveau.")
    return _folder() / f"{token}.jsonl", _folder() / f"{token}.json"


def save_upload(filename: str, raw: bytes) -> Upload:
    """Reads the file once and keeps its rows (deleted after the import or after a day); the file is not kept."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImportFileError("Le fichier dépasse 20 Mo : découpez-le en plusieurs fichiers.")
    sheet = read_file(filename, raw)
    token = secrets.token_urlsafe(16)
    rows_path, _ = _paths(token)
    with rows_path.open("w", encoding="utf-8") as out:
        for row in sheet.rows:
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")
    upload = Upload(token, Path(filename).name, sheet.header, len(sheet.rows),
                    list(islice(sheet.rows, SAMPLE_ROWS)), sheet.encoding, sheet.delimiter,
                    fields.propose_mapping(sheet.header))
    _write_meta(upload)
    return upload


def _write_meta(upload: Upload) -> None:
    _, meta_path = _paths(upload.token)
    meta_path.write_text(json.dumps({
        "filename": upload.filename, "header": upload.header, "row_count": upload.row_count,
        "samples": upload.samples, "encoding": upload.encoding, "delimiter": upload.delimiter,
        "mapping": upload.mapping, "mode": upload.mode, "strict": upload.strict,
    }, ensure_ascii=False), encoding="utf-8")


def load_upload(token: str) -> Upload:
    rows_path, meta_path = _paths(token)
    if not rows_path.exists() or not meta_path.exists():
        raise ImportFileError("Ce fichier d'import n'existe plus : déposez-le à nouveau.")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return Upload(token, meta["filename"], meta["header"], meta["row_count"], meta["samples"], meta["encoding"],
                  meta["delimiter"], meta["mapping"], meta["mode"], meta["strict"])


class _StoredRows:
    """The rows kept at upload, read from disk at each pass over them: a large file is never all in memory."""

    def __init__(self, path: Path, count: int) -> None:
        self._path, self._count = path, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[list[str]]:
        try:
            source = self._path.open(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ImportFileError("Ce fichier d'import n'existe plus : déposez-le à nouveau.") from exc
        with source:
            for line in source:
                yield json.loads(line)


def set_choices(upload: Upload, mapping: list[str], mode: str, strict: bool) -> list[str]:
    """Validates and keeps the mapping; remembers it for the next file with the same headers."""
    errors = fields.check_mapping(mapping)
    if errors:
        return errors
    upload.mapping, upload.mode, upload.strict = mapping, Mode(mode).value, strict
    _write_meta(upload)
    fields.remember(upload.header, mapping)
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
        if path.suffix in {".jsonl", ".json", ".data"} and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def simulate(upload: Upload, progress: Progress | None = None) -> Plan:
    """The dry run: what the real run would do, conflicts left aside."""
    return build_plan(upload.sheet, upload.mapping, upload.mode, progress)


def run_import(sheet: Sheet, mapping: list[str], mode: Mode | str, *, filename: str = "",
               user_id: int | None = None, strict: bool = False, expected: dict[str, int] | None = None,
               accepted: Container[int] = frozenset(),
               progress: Progress | None = None) -> tuple[Plan, dict[str, int]]:
    """Plans again inside the caller's transaction and applies; the caller commits or rolls back.

    ``expected``: the summary of the dry run the user saw; ``accepted``: the lines in conflict the user ticked
    (the others are left untouched)."""
    plan = build_plan(sheet, mapping, mode, progress, accepted=accepted if expected is None else frozenset())
    if expected is not None:
        if plan.summary() != expected:
            raise ImportRefused("La base a changé depuis la simulation : relancez la simulation avant d'importer.")
        if any(row.line in accepted for row in plan.conflicts):
            plan = build_plan(sheet, mapping, mode, accepted=accepted)
    return plan, apply_plan(plan, filename=filename, user_id=user_id, strict=strict, progress=progress)
