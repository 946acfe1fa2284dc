"""How event times read in French, in Europe/Paris, in pages and in mail (no request needed)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

PARIS = ZoneInfo("Europe/Paris")


def paris(value: datetime) -> datetime:
    return value.astimezone(PARIS)


def long_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "EEEE d MMMM y 'à' HH'h'mm", tzinfo=PARIS, locale="fr_FR")


def when(event: object) -> str:
    """« jeudi 26 mars 2027 de 14h00 à 17h00 », or both dates when it spans several days."""
    starts, ends = paris(event.starts_at), paris(event.ends_at)  # type: ignore[attr-defined]
    if starts.date() == ends.date():
        end = format_time(ends, "HH'h'mm", tzinfo=PARIS, locale="fr_FR")
        start = format_datetime(starts, "EEEE d MMMM y 'de' HH'h'mm", tzinfo=PARIS, locale="fr_FR")
        return f"{start} à {end}"
    return f"du {long_datetime(starts)} au {long_datetime(ends)}"


def local_input(value: datetime | None) -> str:
    """The value of an <input type=datetime-local>, in Paris time."""
    return "" if value is None else paris(value).strftime("%Y-%m-%dT%H:%M")
