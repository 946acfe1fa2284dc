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

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``flask_babel.lazy_gettext`` for labels and messages defined at import time (use it as ``_l``)."""
    return _EscapedLazyString(gettext, string, **variables)


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
