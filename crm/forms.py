"""Form pieces shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import SelectChoice, SelectMultipleField
from flask_wtf import FlaskForm
from wtforms.widgets import CheckboxInput, ListWidget

from crm.errors import ValidationError
from crm.extensions import db


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
