"""Cells for files that open in a spreadsheet (CSV and XLSX exports): text that Excel would run is neutralised.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel and
LibreOffice as a formula (OWASP "CSV injection"): it gets a leading ``'``, which makes it plain text. Numbers and
dates are not text and stay typed, so a real negative number is written as it is.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value to write in a spreadsheet cell: text that would start a formula is prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
