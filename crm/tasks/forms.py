"""Forms of the task list (French labels through Babel)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.db import MAX_INTEGER
from crm.forms import choices
from crm.forms import lazy_gettext as _l
from crm.tasks import services


def _optional_int(value: object) -> int | None:
    """A record's id from a form, or None (nothing chosen, not a number, beyond what an id column holds)."""
    try:
        number = int(value) if value not in (None, "", "None") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number <= MAX_INTEGER else None


class TaskForm(FlaskForm):
    title = StringField(_l("À faire"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Échéance"), validators=[DataRequired()])
    owner_id = SelectField(_l("Responsable"), coerce=_optional_int)
    notes = TextAreaField(_l("Précisions"), validators=[Optional()])
    subject_kind = HiddenField()
    subject_id = HiddenField()
    contact_id = HiddenField()
    organisation_id = HiddenField()

    def fill_choices(self) -> None:
        self.owner_id.choices = choices((user.id, user.display_name) for user in services.team())

    def to_input(self) -> services.TaskInput:
        return services.TaskInput(
            title=self.title.data or "", due_on=self.due_on.data, owner_id=self.owner_id.data,
            notes=self.notes.data or "", contact_id=_optional_int(self.contact_id.data),
            organisation_id=_optional_int(self.organisation_id.data), subject_kind=self.subject_kind.data or "",
            subject_id=_optional_int(self.subject_id.data))


class TaskActionForm(FlaskForm):
    """A button on a task (done, reopen): only the CSRF token."""



