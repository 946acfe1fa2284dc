"""Normalisation and checks of the values people type: e-mail, SIRET, search keys."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from crm.forms import InvalidEmail, normalize_email

__all__ = ["InvalidEmail", "InvalidSiret", "InvalidWebsite", "normalize_email", "normalize_naf", "normalize_siret",
           "normalize_website", "search_key", "web_link"]


class InvalidSiret(ValueError):
    pass


class InvalidWebsite(ValueError):
    pass


_SPACES = re.compile(r"\s+")
_NON_KEY = re.compile(r"[^a-z0-9@._+ -]")


def search_key(value: str | None) -> str:
    """Lower-case ASCII without accents, single spaces: what prefix searches compare against."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = ascii_text.replace("'", " ").replace("’", " ")
    return _SPACES.sub(" ", _NON_KEY.sub(" ", ascii_text)).strip()


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


LA_POSTE_SIREN = "356000000"


def normalize_siret(value: str | None) -> str | None:
    """14 digits with a valid Luhn key (La Poste's establishments follow their own rule)."""
    if value is None:
        return None
    digits = re.sub(r"[\s.]", "", value)
    if not digits:
        return None
    if not digits.isdigit() or len(digits) != 14:
        raise InvalidSiret("Le SIRET doit compter exactement 14 chiffres.")
    valid = luhn_ok(digits)
    if not valid and digits.startswith(LA_POSTE_SIREN):
        valid = sum(int(c) for c in digits) % 5 == 0
    if not valid:
        raise InvalidSiret("Ce SIRET n'est pas valide (clé de contrôle incorrecte).")
    return digits


NAF_PATTERN = re.compile(r"^\d{2}\.?\d{2}[A-Z]$")


def normalize_naf(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    code = value.strip().upper().replace(" ", "")
    if not NAF_PATTERN.match(code):
        raise ValueError("Le code NAF doit avoir la forme 22.29A.")
    if "." not in code:
        code = f"{code[:2]}.{code[2:]}"
    return code


_HOST = re.compile(r"^(localhost|([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}|xn--[a-z0-9-]+(\.[a-z0-9-]+)+)(:\d{1,5})?$",
                   re.IGNORECASE)


def normalize_website(value: str | None) -> str:
    """A web address the team and subscribers can follow: ``www.example.fr`` becomes ``https://www.example.fr``;
    anything but http(s) (``javascript:``, ``data:``, ``ftp:``) is refused."""
    raw = (value or "").strip()
    if not raw:
        return ""
    if "://" not in raw and not re.match(r"^[a-z][a-z0-9+.-]*:", raw, re.IGNORECASE):
        raw = "https://" + raw.lstrip("/")
    parts = urlsplit(raw)
    if parts.scheme.lower() not in {"http", "https"} or not _HOST.match(parts.netloc.rsplit("@", 1)[-1]):
        raise InvalidWebsite(f"L'adresse du site web « {value} » n'est pas valide : indiquez une adresse comme "
                             "https://www.exemple.fr.")
    return raw


def web_link(value: str | None) -> str | None:
    """A stored website as a link, or None when it could not be followed safely (an old value)."""
    try:
        return normalize_website(value) or None
    except InvalidWebsite:
        return None
