"""The error every service raises for input a person can get wrong."""

from __future__ import annotations


class ValidationError(ValueError):
    """Field -> French message. Nothing has been written when it is raised; views show each message
    beside its field (crm.forms.show_errors)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
