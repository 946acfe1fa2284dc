"""The error every service raises for input a person can get wrong, and the pages of the HTTP errors."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from crm.extensions import db

log = logging.getLogger(__name__)

GENERAL = "__all__"  # a message about the whole form, not one field

# The statuses that get the site's own page (templates/errors/error.html) instead of Werkzeug's English one. A
# blueprint's own handler comes first (the signup form's expired-session page, a 400).
PAGES = (400, 403, 404, 405, 413, 500)

# What a visitor reads when even the error page cannot be drawn (a database gone, a broken template).
FALLBACK = ('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Erreur du serveur</title></head>'
            "<body><main><h1>Erreur du serveur</h1><p>Une erreur inattendue s'est produite de notre côté. "
            "Réessayez dans quelques instants.</p></main></body></html>")


class ValidationError(ValueError):
    """Field -> French message (or one French message about the whole request). Nothing has been written when
    it is raised; views show each message beside its field (crm.forms.save_form, show_errors)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {GENERAL: errors}
        super().__init__("; ".join(self.errors.values()))


class RefusedInput(BadRequest):
    """A 400 whose description is written for the reader (French, through gettext): the error page shows it.
    Other errors' descriptions are Werkzeug's or a library's, in English: the page has its own words for them."""


def error_page(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    """The site's page for ``error``, in the reader's language. The error's own headers are kept (``Allow`` on
    a 405)."""
    code = error.code or 500
    detail = error.description if isinstance(error, RefusedInput) else None
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    try:
        page = render_template("errors/error.html", code=code, detail=detail,
                               expired_form=isinstance(error, CSRFError))
    except Exception:  # the page needs the session, the user, the database: none of them may hide the error
        log.exception("the error page %s could not be drawn", code)
        page = FALLBACK
    return page, code, headers


def _internal_error(error: InternalServerError) -> tuple[str, int, list[tuple[str, str]]]:
    try:
        db.session.rollback()  # the page reads the user through the session: not through a failed transaction
    except Exception:
        log.exception("rollback after an internal error")
    return error_page(error)


def init_app(app: Flask) -> None:
    for code in PAGES:
        app.register_error_handler(code, _internal_error if code == 500 else error_page)
