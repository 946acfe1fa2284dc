"""How event times read in French, in the local zone (``TIMEZONE``, Europe/Paris), in pages and in mail (no
request needed)."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime, format_time
from markupsafe import Markup, escape

from crm.i18n import local_tz, to_local


def long_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "EEEE d MMMM y 'à' HH'h'mm", tzinfo=local_tz(), locale="fr_FR")


def when(event: object) -> str:
    """« jeudi 26 mars 2027 de 14h00 à 17h00 », or both dates when it spans several days."""
    starts, ends = to_local(event.starts_at), to_local(event.ends_at)  # type: ignore[attr-defined]
    if starts.date() == ends.date():
        end = format_time(ends, "HH'h'mm", tzinfo=local_tz(), locale="fr_FR")
        start = format_datetime(starts, "EEEE d MMMM y 'de' HH'h'mm", tzinfo=local_tz(), locale="fr_FR")
        return f"{start} à {end}"
    return f"du {long_datetime(starts)} au {long_datetime(ends)}"


def local_input(value: datetime | None) -> str:
    """The value of an <input type=datetime-local>, in local time."""
    return "" if value is None else to_local(value).strftime("%Y-%m-%dT%H:%M")


def nl2br(text: str | None) -> Markup:
    """Text typed by the team, its line breaks kept: escaped first, then each line break becomes <br>."""
    if not text:
        return Markup("")
    lines = str(escape(text.replace("\r\n", "\n").replace("\r", "\n"))).split("\n")
    return Markup("<br>\n".join(lines))
