"""How an audited change reads on a page: each field by its label and each value through its label map, in the
reader's language. Entries store codes (a civility "mme", a status "active", an id); the package that owns a
field says what its codes mean, by giving a format for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Format = Callable[[Any], str]
EMPTY = "—"


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str | None  # None: a value set with the change (a date), not a before/after pair
    after: str


def plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value)
    return str(value)


def mapped(labels: Mapping[Any, Any]) -> Format:
    """A format for a coded value: its label where the code is known, else the value as stored."""

    def format_value(value: Any) -> str:
        if isinstance(value, list):
            return plain([format_value(v) for v in value])
        if value is None or value == "":
            return EMPTY
        return str(labels.get(value, value))

    return format_value


def change_lines(changes: Mapping[str, Any], labels: Mapping[str, Any],
                 formats: Mapping[str, Format]) -> list[ChangeLine]:
    """``changes`` as stored by crm.audit.services: field -> [before, after], or field -> value."""
    lines = []
    for name, value in changes.items():
        format_value = formats.get(name, plain)
        label = str(labels.get(name, name))
        label = label[:1].upper() + label[1:]
        if isinstance(value, list) and len(value) == 2:
            lines.append(ChangeLine(label, format_value(value[0]), format_value(value[1])))
        else:
            lines.append(ChangeLine(label, None, format_value(value)))
    return lines
