"""E-mail addresses: the one normalised form a person's address is stored, compared and hashed in."""

from __future__ import annotations

import hashlib

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased (one person, one row, whatever case they type), the domain in ASCII (IDNA).

    An address whose part before the @ is not ASCII is refused with a clear message: most relays cannot carry
    it (SMTPUTF8), and a message that cannot leave must not be accepted by a form."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidEmail("L'adresse e-mail est obligatoire.")
    if "\x00" in raw:
        raise InvalidEmail("L'adresse e-mail contient un caractère interdit.")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"L'adresse e-mail « {raw} » n'est pas valide.") from exc
    if result.ascii_email is None:
        raise InvalidEmail(f"L'adresse e-mail « {raw} » contient des caractères accentués ou non latins avant "
                           "le @ : notre messagerie ne peut pas encore l'utiliser. Indiquez une autre adresse.")
    return result.ascii_email.lower()


def email_hash(email: str) -> str:
    """What the suppression list keeps of an address: its SHA-256, so that erasure can keep the block."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
