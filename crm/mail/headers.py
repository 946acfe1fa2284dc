"""Header values are stripped of CR and LF before they reach a message: no header injection."""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def clean_header(value: str) -> str:
    return _LINE_BREAKS.sub(" ", value).strip()


def clean_headers(headers: dict[str, str] | None) -> dict[str, str]:
    return {clean_header(name): clean_header(value) for name, value in (headers or {}).items()}
