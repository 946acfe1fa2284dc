"""Forms of the projects pages (French labels through Babel)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.actions import services as actions
from crm.actions.forms import FundingForm
from crm.db import MAX_INTEGER
from crm.forms import choices
from crm.forms import lazy_gettext as _l
from crm.projects import services
from crm.projects.models import STAGE_LABELS
from crm.tasks.services import team


def _optional_int(value: object) -> int | None:
    """A record's id from a form, or None (nothing chosen, not a number, beyond what an id column holds)."""
    try:
        number = int(value) if value not in (None, "", "None") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number <= MAX_INTEGER else None


def _team_choices() -> list[Any]:
    return choices((user.id, user.display_name) for user in team())


class ProjectForm(FlaskForm):
    organisation_id = SelectField(_l("Entreprise"), coerce=_optional_int)
    contact_id = SelectField(_l("Personne à contacter"), coerce=_optional_int)
    title = StringField(_l("Titre du projet"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    kind = SelectField(_l("Nature"))
    axis_id = SelectField(_l("Axe du programme"), coerce=_optional_int)
    investment = StringField(_l("Investissement prévu (€)"), validators=[Optional()])
    jobs_created = IntegerField(_l("Emplois à créer"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    jobs_kept = IntegerField(_l("Emplois maintenus"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    commune = StringField(_l("Commune du site"), validators=[Length(max=120)],
                          description=_l("Par défaut, celle de l'entreprise"))
    zone = StringField(_l("Zone d'activités"), validators=[Length(max=200)])
    owner_id = SelectField(_l("Suivi par"), coerce=_optional_int)
    action_ids = SelectMultipleField(_l("Actions du plan concernées"), coerce=int, validators=[Optional()])

    def fill_choices(self, organisation_id: int | None = None, contact_id: int | None = None) -> None:
        self.organisation_id.choices = [("", "—"), *actions.organisation_choices()]
        people = services.contact_choices(self.organisation_id.data or organisation_id)
        if contact_id and contact_id not in {i for i, _ in people}:
            people.append((contact_id, services.contact_label(contact_id)))
        self.contact_id.choices = [("", "—"), *choices(people)]
        self.kind.choices = choices(services.kind_choices())
        self.axis_id.choices = [("", "—"), *actions.axis_choices()]
        self.owner_id.choices = _team_choices()
        self.action_ids.choices = actions.action_choices()

    def to_input(self) -> services.ProjectInput:
        return services.ProjectInput(
            organisation_id=self.organisation_id.data, title=self.title.data or "",
            description=self.description.data or "", kind=self.kind.data or "", axis_id=self.axis_id.data,
            investment=self.investment.data or None, jobs_created=self.jobs_created.data,
            jobs_kept=self.jobs_kept.data, commune=self.commune.data or "", zone=self.zone.data or "",
            owner_id=self.owner_id.data, contact_id=self.contact_id.data, action_ids=list(self.action_ids.data or []))


class NewProjectForm(ProjectForm):
    next_step = StringField(_l("Prochaine étape"), validators=[DataRequired(), Length(max=200)])
    next_step_due = DateField(_l("Échéance de la prochaine étape"), validators=[DataRequired()])


class StageForm(FlaskForm):
    stage = SelectField(_l("Nouvelle étape"), choices=choices((s.value, label) for s, label in STAGE_LABELS.items()))
    reason = TextAreaField(_l("Raison (obligatoire pour un abandon)"), validators=[Optional(), Length(max=2000)])


class NextStepForm(FlaskForm):
    title = StringField(_l("Prochaine étape"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Échéance"), validators=[DataRequired()])
    owner_id = SelectField(_l("Responsable"), coerce=_optional_int)

    def fill_choices(self) -> None:
        self.owner_id.choices = _team_choices()


__all__ = ["FundingForm", "NewProjectForm", "NextStepForm", "ProjectForm", "StageForm"]
