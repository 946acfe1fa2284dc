"""Form pieces shared by every feature, and the one normalised form of an e-mail address."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import flash, request
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import IntegerField, SelectChoice, SelectMultipleField
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from crm.db import MAX_INTEGER
from crm.errors import ValidationError
from crm.extensions import db

T = TypeVar("T")


class _EscapedLazyString(LazyString):
    """A lazy translation that templates escape like any plain string.

    Flask-Babel's ``LazyString.__html__`` returns the text as-is, so Jinja and WTForms would treat labels and
    validation messages as safe markup: « L'objet » would lose its ``&#39;``.
    """

    def __init__(self, string: str, **variables: Any) -> None:
        super().__init__(gettext, string, **variables)
        self._source = string
        self._variables = variables

    def __html__(self) -> Markup:
        return escape(str(self))

    @property
    def source(self) -> str:
        """The French text as written in the code (the msgid), whatever the reader's language."""
        if not self._variables:
            return self._source
        return self._source % {name: value.source if isinstance(value, _EscapedLazyString) else value
                               for name, value in self._variables.items()}


def reference_label(text: str) -> str:
    """Marks reference data stored in French (a sector's or a topic's label) for the catalogue: ``pybabel
    extract`` finds it; it is translated where shown (``shown_label``), never where stored."""
    return text


def shown_label(label: str) -> str:
    """A stored French label in the reader's language: the catalogue's translation of a reference label, or the
    label as the team wrote it (a renamed or added entry has no translation and stays as typed)."""
    from flask_babel import gettext

    return gettext(label) if label else label


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``flask_babel.lazy_gettext`` for labels and messages defined at import time (use it as ``_l``).

    The text is translated each time it is turned into a string, for whoever is reading: it is not a ``str``, so
    give ``str(label)`` to what needs one (JSON, ``", ".join``), and ``untranslated(label)`` to what must stay French.
    """
    return _EscapedLazyString(string, **variables)


def untranslated(text: Any) -> str:
    """The French source of a ``lazy_gettext`` label; any other value as ``str``.

    For what must read the same whoever triggers it: mails to subscribers, CSV exports for French Excel, texts
    stored in the database (audit summaries), French sentences a label is part of.
    """
    if isinstance(text, _EscapedLazyString):
        return text.source
    return str(text)


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IdField(IntegerField):
    """A record's id in a hidden input: required, a whole number from 1 to what an ``Integer`` column holds, so
    that a number the database would refuse never reaches a query."""

    widget = HiddenInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, [InputRequired(), NumberRange(min=1, max=MAX_INTEGER), *(validators or ())],
                         **kwargs)


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What ``save_form`` saved (a wrapper, so that a service returning None still reads as saved)."""

    value: T


def save_form(form: FlaskForm, save: Callable[[], T], *, success: str | None = None,
              summary: bool = True) -> Saved[T] | None:
    """The one idiom of a form view: validate, call the service, commit and flash ``success``; or, when the form
    or the service refuses (ValidationError), roll back, put each message beside its field and return None."""
    if not form.validate_on_submit():
        if request.method == "POST" and summary:
            flash(gettext("Le formulaire contient des erreurs : rien n'a été enregistré."), "error")
        return None
    try:
        value = save()
    except ValidationError as exc:
        show_errors(form, exc, summary=summary)
        return None
    db.session.commit()
    if success:
        flash(success, "success")
    return Saved(value)


def show_errors(form: FlaskForm | None, exc: ValidationError, *, summary: bool = True) -> None:
    """Rolls back, puts each message beside its field (or in a flash when the field is not on the form)."""
    db.session.rollback()
    for name, message in exc.errors.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")
    if summary:
        flash(gettext("Le formulaire contient des erreurs : rien n'a été enregistré."), "error")


def flash_errors(exc: ValidationError) -> None:
    db.session.rollback()
    for message in exc.errors.values():
        flash(message, "error")


# --- E-mail addresses: stored, compared and hashed in one normalised form -------------------------


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
