"""Helpers for the signup tests: a valid form, links read back from the mail, table counts."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from crm.extensions import db


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation_name": "Plasturgie du Perche",
        "siret": "",
        "sector": "plasturgie",
        "postal_code": "61000",
        "commune": "Alençon",
        "first_name": "Anne",
        "last_name": "Martin",
        "email": "anne.martin@example.org",
        "phone": "",
        "job_title": "Dirigeante",
        "requests": ["newsletter", "project"],
        "axes": ["innovation"],
        "sectors": ["plasturgie"],
        "message": "Nous avons un projet d'extension.",
        "consent": "y",
        "site_web": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


LINK = re.compile(r"https?://[^\s<>\"]+")


def text_of(message: Any) -> str:
    """The text part of a Flask-Mail message or of a parsed EmailMessage."""
    if isinstance(message, EmailMessage):
        part = message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""
    return message.body


def link_in(message: Any, fragment: str) -> str:
    for url in LINK.findall(text_of(message)):
        if fragment in url:
            return url
    raise AssertionError(f"no link containing {fragment!r} in:\n{text_of(message)}")


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def counts() -> dict[str, int]:
    """Row counts of every table a signup could write to."""
    names = ["contacts", "organisations", "signups", "signup_requests", "consent_records", "subscriptions",
             "notes", "suppressions", "contact_topics"]
    db.session.expire_all()
    return {name: db.session.scalar(sa.text(f"SELECT COUNT(*) FROM {name}")) for name in names}

