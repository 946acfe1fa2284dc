"""Security headers, the guards every request and every back-office blueprint goes through, and every signed
link the tool puts in a mail.

Guards on input: an ``<int:...>`` URL segment matches only what an ``Integer`` column holds (a larger number is a
404, never a query the database refuses), and a NUL byte anywhere in the path, the query or a form is refused
with a 400 in French (PostgreSQL cannot store it in a text column).

Signed links (confirm, preferences, unsubscribe, kit, RSVP, and those to come): one salt scheme
(``crm.<purpose>``), one error family (``TokenError``: ``TokenExpired`` / ``TokenInvalid``), URLs built from the
URL map with the origin of ``BASE_URL``; each caller passes the maximum age its setting in ``config.py`` gives. A
token made for one purpose is refused for every other one. What a token names is the caller's business: bind it
to a per-person secret, so that a link cannot act on anyone else.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache, wraps
from typing import Any

from flask import Blueprint, Flask, abort, current_app, request
from flask_babel import gettext
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

from crm.db import MAX_INTEGER
from crm.errors import RefusedInput
from crm.extensions import login_manager

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Pages that show what only the team may see, and downloads: never kept by a browser or a proxy.
BACK_OFFICE_PATH = re.compile(r"^/(?:admin|mon-compte)(?:/|$)")


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if BACK_OFFICE_PATH.match(request.path) or headers.get("Content-Disposition", "").startswith("attachment"):
        headers["Cache-Control"] = "no-store"
    return response


class IdConverter(IntegerConverter):
    """``<int:...>`` as the application uses it, for ids: a number larger than an ``Integer`` column holds does
    not match the rule (404), instead of reaching the database (an overflow, a 500)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_INTEGER,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _has_nul(values: Any) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


def _nul_in_request() -> bool:
    if "\x00" in request.path or _has_nul(request.args):
        return True
    if request.method in SAFE_METHODS:
        return False
    file_names = (upload.filename or "" for _, upload in request.files.items(multi=True))
    return _has_nul(request.form) or any("\x00" in name for name in file_names)


def _refuse_nul_bytes() -> None:
    """No text with a NUL byte goes further than this: PostgreSQL refuses it in a text column, and no one types
    it. One check for the path, the query string and every form (file names included), before any view reads
    them."""
    if _nul_in_request():
        raise RefusedInput(gettext("Votre saisie contient un caractère invisible non autorisé (caractère nul) : "
                                   "retirez-le puis recommencez."))


def protect_admin(bp: Blueprint, write_role: str = "editor", read_role: str = "viewer") -> None:
    """Every route of ``bp`` needs a login; reads need ``read_role``, writes ``write_role``."""

    @bp.before_request
    def _guard() -> Response | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        needed = read_role if request.method in SAFE_METHODS else write_role
        if not current_user.has_role(needed):
            abort(403)
        return None


def require_admin() -> None:
    """403 unless the user is an admin (the blueprint's guard has already asked for a login)."""
    if not (current_user.is_authenticated and current_user.has_role("admin")):
        abort(403)


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A back-office route only an admin may use (an erasure): 403 for the others."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        require_admin()
        return view(*args, **kwargs)

    return guarded


def init_app(app: Flask) -> None:
    """Called before any blueprint is registered: the rules are built with these converters."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul_bytes)
    app.after_request(_security_headers)


# --- Signed links ---------------------------------------------------------------------------------

_PURPOSE = re.compile(r"^[a-z][a-z_]{1,30}$")
DAY = 86_400


class TokenError(ValueError):
    """The link is not usable: expired, tampered with, made for another purpose or another person."""


class TokenExpired(TokenError):
    pass


class TokenInvalid(TokenError):
    pass


@lru_cache(maxsize=64)
def _serializer_for(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    """One serializer per key and purpose (a newsletter signs two links per recipient)."""
    if not _PURPOSE.match(purpose):
        raise ValueError(f"bad token purpose: {purpose!r}")
    return URLSafeTimedSerializer(secret_key, salt=f"crm.{purpose}")


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], purpose)


# What itsdangerous's URL-safe serializers write (``_CompactJSON.dumps``), with the encoder made once.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _FastSigner:
    """Makes the same tokens as ``URLSafeTimedSerializer.dumps`` (read back by it), from a key derived once and
    a MAC object copied for each token: a newsletter signs two links per recipient, and itsdangerous derives
    the key and tries to compress each short payload every time. Short payloads are left uncompressed (zlib
    never makes them shorter; ``loads`` reads both forms)."""

    COMPRESS_FROM = 64

    def __init__(self, serializer: URLSafeTimedSerializer) -> None:
        self.serializer = serializer
        signer = serializer.make_signer(serializer.salt)
        self.signer = signer  # its get_timestamp() dates the token, as itsdangerous does (tests move it)
        self.sep = signer.sep.encode() if isinstance(signer.sep, str) else signer.sep
        self.mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
        self._second, self._stamp = -1, b""

    def dumps(self, value: Any) -> str:
        payload = _COMPACT_JSON(value).encode("utf-8")
        payload = (self.serializer.dump_payload(value) if len(payload) >= self.COMPRESS_FROM
                   else base64_encode(payload))
        second = self.signer.get_timestamp()
        if second != self._second:
            self._second, self._stamp = second, base64_encode(int_to_bytes(second))
        signed = payload + self.sep + self._stamp
        mac = self.mac.copy()
        mac.update(signed)
        return (signed + self.sep + base64_encode(mac.digest())).decode("ascii")


@lru_cache(maxsize=64)
def _fast_signer_for(secret_key: str, purpose: str) -> _FastSigner:
    return _FastSigner(_serializer_for(secret_key, purpose))


def make_token(purpose: str, value: Any) -> str:
    return _fast_signer_for(current_app.config["SECRET_KEY"], purpose).dumps(value)


def read_token_issued(purpose: str, token: str, max_age: int | None = None) -> tuple[Any, datetime]:
    """The value signed and when the token was made (second precision); ``max_age`` in seconds."""
    if len(token) > 1000:
        raise TokenInvalid("Ce lien n'est pas valide.")
    try:
        value, issued = _serializer(purpose).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise TokenExpired("Ce lien a expiré.") from exc
    except BadSignature as exc:
        raise TokenInvalid("Ce lien n'est pas valide.") from exc
    return value, issued.astimezone(UTC)


def read_token(purpose: str, token: str, max_age: int | None = None) -> Any:
    return read_token_issued(purpose, token, max_age)[0]


def days(setting: str) -> int | None:
    """A maximum age in seconds from a setting in days (0 or unset: no limit)."""
    value = current_app.config.get(setting)
    return int(value) * DAY if value else None


def absolute_url(endpoint: str, **values: Any) -> str:
    """A URL outside any request: the path from the URL map, the origin from BASE_URL."""
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="https")
    path = adapter.build(endpoint, values, force_external=False)
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


# Tokens are URL-safe (letters, digits, "-", "_", "."): the URL map would write them as they are.
_TOKEN_SLOT = "TOKEN0SLOT"


def token_url(endpoint: str, purpose: str, value: Any, **values: Any) -> str:
    """``absolute_url(endpoint, token=make_token(purpose, value), **values)``, the URL around the token built
    once per application, endpoint and values (a newsletter builds two per recipient)."""
    cache: dict[tuple[Any, ...], tuple[str, str]] = current_app.extensions.setdefault("crm_token_urls", {})
    key = (endpoint, current_app.config["BASE_URL"], tuple(sorted(values.items())))
    parts = cache.get(key)
    if parts is None:
        head, _, tail = absolute_url(endpoint, token=_TOKEN_SLOT, **values).partition(_TOKEN_SLOT)
        parts = cache[key] = (head, tail)
    return f"{parts[0]}{make_token(purpose, value)}{parts[1]}"


# --- Cells of files that open in a spreadsheet ------------------------------------------------------
# A cell whose text starts with "=", "+", "-", "@", a tab or a carriage return is read by Excel and LibreOffice
# as a formula (OWASP "CSV injection"): it gets a leading "'", which makes it plain text. Numbers and dates are not
# text and stay typed, so a real negative number is written as it is.

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value to write in a spreadsheet cell (CSV and XLSX exports): text that would start a formula is
    prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
