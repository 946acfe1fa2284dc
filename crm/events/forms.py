"""Back-office forms. Times are typed in Europe/Paris and become aware UTC datetimes here."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from crm.forms import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.events.display import local_input
from crm.events.models import EVENT_KIND_LABELS, INVITATION_STATUS_LABELS, Event
from crm.events.services import EventInput
from crm.forms import choices
from crm.i18n import local_to_utc, to_local

_REMINDER = re.compile(r"^\s*(\d{1,4})\s*(j|jours?|d|h|heures?|min|mn|minutes?)\s*$", re.IGNORECASE)


def to_utc(local: datetime | None) -> datetime | None:
    """A wall-clock time in the local zone -> aware UTC; a time skipped by the spring change is refused."""
    if local is None:
        return None
    try:
        return local_to_utc(local)
    except ValueError as exc:
        raise ValidationError(_("Cette heure n'existe pas ce jour-là (passage à l'heure d'été).")) from exc


def parse_reminders(text: str) -> list[int]:
    """« 7 j, 1 j, 2 h, 30 min » -> minutes before the start."""
    minutes = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        match = _REMINDER.match(part)
        if not match:
            raise ValidationError(_("Rappel illisible : « %(part)s ». Écrivez par exemple « 7 j, 1 j, 2 h, 30 min ».",
                                    part=part))
        amount, unit = int(match.group(1)), match.group(2).lower()
        if amount < 1:
            raise ValidationError(_("Un rappel doit partir au moins une minute avant le début."))
        minutes.append(amount * (1 if unit.startswith("m") else 60 if unit.startswith("h") else 1440))
    return minutes


def format_reminders(event: Event) -> str:
    parts = []
    for rule in event.reminder_rules:
        m = rule.minutes_before
        parts.append(f"{m // 1440} j" if m % 1440 == 0 else f"{m // 60} h" if m % 60 == 0 else f"{m} min")
    return ", ".join(parts)


class EventForm(FlaskForm):
    kind = SelectField(_l("Type d'événement"), choices=choices((k.value, v) for k, v in EVENT_KIND_LABELS.items()))
    title = StringField(_l("Titre"), validators=[DataRequired(_l("Le titre est obligatoire.")), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Début (heure de Paris)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                   validators=[DataRequired(_l("Indiquez la date et l'heure de début."))])
    ends_at = DateTimeLocalField(_l("Fin (heure de Paris)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                 validators=[DataRequired(_l("Indiquez la date et l'heure de fin."))])
    place = StringField(_l("Lieu"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    capacity = IntegerField(_l("Capacité (places)"),
                            validators=[Optional(), NumberRange(min=1, message=_l("Au moins une place."))])
    answer_deadline = DateTimeLocalField(_l("Date limite de réponse (heure de Paris)"),
                                         format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], validators=[Optional()])
    reminders = StringField(_l("Rappels avant le début"), validators=[Optional(), Length(max=100)])
    is_public = BooleanField(_l("Publier dans l'agenda public (evenements.ics)"))

    def fill_from(self, event: Event) -> None:
        self.starts_at.data = to_local(event.starts_at).replace(tzinfo=None)
        self.ends_at.data = to_local(event.ends_at).replace(tzinfo=None)
        if event.answer_deadline:
            self.answer_deadline.data = to_local(event.answer_deadline).replace(tzinfo=None)
        self.reminders.data = format_reminders(event)

    def validate_starts_at(self, field: Any) -> None:
        to_utc(field.data)

    def validate_ends_at(self, field: Any) -> None:
        to_utc(field.data)

    def validate_answer_deadline(self, field: Any) -> None:
        to_utc(field.data)

    def validate_reminders(self, field: Any) -> None:
        parse_reminders(field.data or "")

    def to_input(self, *, keep_default_reminders: bool) -> EventInput:
        text = (self.reminders.data or "").strip()
        return EventInput(
            kind=self.kind.data, title=self.title.data or "", description=self.description.data or "",
            starts_at=to_utc(self.starts_at.data), ends_at=to_utc(self.ends_at.data),  # type: ignore[arg-type]
            place=self.place.data or "", capacity=self.capacity.data, answer_deadline=to_utc(self.answer_deadline.data),
            is_public=bool(self.is_public.data),
            reminder_minutes=None if (keep_default_reminders and not text) else parse_reminders(text),
        )


class InviteSegmentForm(FlaskForm):
    segment = SelectField(_l("Segment"), validators=[DataRequired(_l("Choisissez un segment."))])
    send = BooleanField(_l("Envoyer les invitations tout de suite"), default=True)


class InviteByHandForm(FlaskForm):
    emails = TextAreaField(_l("Adresses e-mail de contacts existants (une par ligne)"),
                           validators=[DataRequired(_l("Indiquez au moins une adresse.")), Length(max=20000)])
    send = BooleanField(_l("Envoyer les invitations tout de suite"), default=True)


class InviteeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Réponse"), choices=choices([("", _l("Toutes")), ("answered", _l("A répondu")),
                                                       *((k.value, v) for k, v in INVITATION_STATUS_LABELS.items())]))
    q = StringField(_l("Nom ou e-mail"))


class ConfirmForm(FlaskForm):
    """An empty form: a CSRF-protected button."""


class WalkInForm(FlaskForm):
    """A person at the door the base does not know yet."""

    first_name = StringField(_l("Prénom"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Nom"), validators=[Optional(), Length(max=100)])
    organisation = StringField(_l("Structure"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[DataRequired(_l("L'adresse e-mail est obligatoire.")),
                                                 Length(max=254)])


__all__ = ["ConfirmForm", "WalkInForm", "EventForm", "InviteByHandForm", "InviteSegmentForm", "InviteeFilterForm", "local_input"]
