"""The error every service raises for input a person can get wrong."""

from __future__ import annotations

from werkzeug.exceptions import BadRequest

GENERAL = "__all__"  # a message about the whole form, not one field


class ValidationError(ValueError):
    """Field -> French message (or one French message about the whole request). Nothing has been written when
    it is raised; views show each message beside its field (crm.forms.save_form, show_errors)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {GENERAL: errors}
        super().__init__("; ".join(self.errors.values()))


class RefusedInput(BadRequest):
    """A 400 whose description is written for the reader (French, through gettext): the error page shows it.
    Other errors' descriptions are Werkzeug's or a library's, in English: the page has its own words for them."""
