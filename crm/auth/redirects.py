"""Where to send someone after a form: only to a path on this site (the ``next`` of the login page)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Browsers drop tabs and line breaks anywhere in a URL and read "\" as "/": "/\t/evil.example" and
# "/\\evil.example" lead off the site. They go before the target is judged, and the cleaned target is the one used.
_DROPPED = re.compile(r"[\t\r\n\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` once normalised if it is a path on this site, else ``fallback``."""
    if not target:
        return fallback
    path = _DROPPED.sub("", target)
    if not path.startswith("/") or path.startswith("//") or _CONTROL.search(path):
        return fallback
    try:
        parts = urlsplit(path)
    except ValueError:
        return fallback
    if parts.scheme or parts.netloc:
        return fallback
    return path
