"""Forms of the action plan (French labels through Babel)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    SelectChoice,
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.actions import services
from crm.actions.plan_import import PLAN_FIELDS
from crm.actions.models import (
    ACTION_NOTE_KIND_LABELS,
    ACTION_STATUS_LABELS,
    FUNDING_STATUS_LABELS,
    ORIGIN_LABELS,
    PARTNER_ROLE_LABELS,
)
from crm.forms import choices
from crm.forms import lazy_gettext as _l


def _optional_int(value: object) -> int | None:
    return int(value) if value not in (None, "", "None", 0, "0") else None  # type: ignore[arg-type]


def _labels(mapping: dict) -> list[SelectChoice]:
    return choices((key.value, label) for key, label in mapping.items())


class ActionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=12)], description=_l("Par exemple 2.3"))
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=200)])
    axis_id = SelectField(_l("Axe"), coerce=int)
    objective = TextAreaField(_l("Objectif"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    origin = SelectField(_l("Origine"), choices=_labels(ORIGIN_LABELS))
    pilot_organisation_id = SelectField(_l("Structure pilote"), coerce=_optional_int, validate_choice=False)
    pilot_contact_id = SelectField(_l("Contact pilote"), coerce=_optional_int, validate_choice=False)
    priority = IntegerField(_l("Priorité (1 à 5, fixée par le comité)"), validators=[Optional(), NumberRange(1, 5)])
    planned_start = DateField(_l("Début prévu"), validators=[Optional()])
    planned_end = DateField(_l("Fin prévue"), validators=[Optional()])
    actual_start = DateField(_l("Début réel"), validators=[Optional()])
    actual_end = DateField(_l("Fin réelle"), validators=[Optional()])
    is_public = BooleanField(_l("Publier sur la page publique du plan"))

    def fill_choices(self) -> None:
        self.axis_id.choices = services.axis_choices()
        none = choices([(0, str(_l("— aucune —")))])
        self.pilot_organisation_id.choices = none + services.organisation_choices()
        self.pilot_contact_id.choices = none + services.contact_choices()

    def to_input(self) -> services.ActionInput:
        return services.ActionInput(
            code=self.code.data or "", title=self.title.data or "", axis_id=self.axis_id.data,
            objective=self.objective.data or "", description=self.description.data or "",
            origin=self.origin.data, pilot_organisation_id=self.pilot_organisation_id.data,
            pilot_contact_id=self.pilot_contact_id.data, priority=self.priority.data,
            planned_start=self.planned_start.data, planned_end=self.planned_end.data,
            actual_start=self.actual_start.data, actual_end=self.actual_end.data, is_public=bool(self.is_public.data))


class StatusForm(FlaskForm):
    status = SelectField(_l("Nouveau statut"), choices=_labels(ACTION_STATUS_LABELS))
    on = DateField(_l("Date du changement"), validators=[Optional()])


class PartnerForm(FlaskForm):
    organisation_id = SelectField(_l("Structure"), coerce=int)
    role = SelectField(_l("Rôle"), choices=_labels(PARTNER_ROLE_LABELS))


class MilestoneForm(FlaskForm):
    title = StringField(_l("Jalon"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Échéance"), validators=[Optional()])


class MilestoneDoneForm(FlaskForm):
    milestone_id = HiddenField(validators=[DataRequired()])


class FundingForm(FlaskForm):
    funder_id = SelectField(_l("Financeur"), coerce=int)
    scheme = StringField(_l("Dispositif"), validators=[Length(max=200)],
                         description=_l("Fonds Territoires d'industrie, France 2030…"))
    amount_requested = StringField(_l("Montant demandé (€)"), validators=[DataRequired()])
    amount_granted = StringField(_l("Montant accordé (€)"), validators=[Optional()])
    funding_status = SelectField(_l("Statut du financement"), choices=_labels(FUNDING_STATUS_LABELS))
    requested_on = DateField(_l("Demandé le"), validators=[Optional()])
    decided_on = DateField(_l("Décidé le"), validators=[Optional()])
    paid_on = DateField(_l("Versé le"), validators=[Optional()])

    def to_input(self) -> services.FundingInput:
        return services.FundingInput(
            funder_id=self.funder_id.data, scheme=self.scheme.data or "",
            amount_requested=self.amount_requested.data, amount_granted=self.amount_granted.data or None,
            status=self.funding_status.data, requested_on=self.requested_on.data, decided_on=self.decided_on.data,
            paid_on=self.paid_on.data)


class IndicatorForm(FlaskForm):
    name = StringField(_l("Indicateur"), validators=[DataRequired(), Length(max=200)])
    unit = StringField(_l("Unité"), validators=[Length(max=40)])
    baseline = DecimalField(_l("Valeur de référence"), validators=[Optional()])
    target = DecimalField(_l("Cible"), validators=[DataRequired()])


class ValueForm(FlaskForm):
    indicator_id = SelectField(_l("Indicateur"), coerce=int)
    measured_on = DateField(_l("Mesuré le"), validators=[DataRequired()])
    value = StringField(_l("Valeur"), validators=[DataRequired()])


class SessionForm(FlaskForm):
    event_id = SelectField(_l("Comité technique"), coerce=int)


class AgendaForm(FlaskForm):
    action_ids = SelectField(_l("Action à examiner"), coerce=int)


class DecisionForm(FlaskForm):
    item_id = HiddenField(validators=[DataRequired()])
    new_status = SelectField(_l("Nouveau statut"), choices=choices([("", "—")]) + _labels(ACTION_STATUS_LABELS),
                             validators=[Optional()])
    new_priority = IntegerField(_l("Priorité"), validators=[Optional(), NumberRange(1, 5)])
    remarks = TextAreaField(_l("Remarques"), validators=[Optional()])


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Relevé de décisions"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    pass


class ProposalForm(FlaskForm):
    title = StringField(_l("Titre de l'action proposée"), validators=[DataRequired(), Length(max=200)])
    axis_id = SelectField(_l("Axe"), coerce=int)
    contribution = TextAreaField(_l("Ce que votre structure apporterait"), validators=[Optional(), Length(max=4000)])


class RetainForm(FlaskForm):
    code = StringField(_l("Code de la nouvelle action"), validators=[DataRequired(), Length(max=12)])


class MergeForm(FlaskForm):
    action_id = SelectField(_l("Action dans laquelle fusionner"), coerce=int)


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Raison (envoyée à la personne)"), validators=[DataRequired()])


class InviteForm(FlaskForm):
    contact_id = SelectField(_l("Contact"), coerce=int)


class TeamProposalForm(FlaskForm):
    """A proposal received by telephone or at a meeting, entered by the team for the person."""

    contact_id = SelectField(_l("Proposée par"), coerce=int)
    title = StringField(_l("Titre de l'action proposée"),
                        validators=[DataRequired(_l("Donnez un titre à la proposition.")), Length(max=200)])
    axis_id = SelectField(_l("Axe"), coerce=int)
    contribution = TextAreaField(_l("Ce que la structure apporterait"), validators=[Optional(), Length(max=4000)])

    def fill_choices(self) -> None:
        self.contact_id.choices = services.contact_choices()
        self.axis_id.choices = services.axis_choices()


class SupportForm(FlaskForm):
    contact_id = SelectField(_l("Soutien de"), coerce=int)


def plan_mapping_form(header: list[str], mapping: list[str], formdata: Any = None) -> FlaskForm:
    """One select per column of the plan's file (the action field it feeds), and the count the dry run showed."""
    field_choices = choices([("", _l("— ne pas importer —")), *((f.code, f.label) for f in PLAN_FIELDS)])

    class PlanMappingForm(FlaskForm):
        expected = HiddenField()

    for index, title in enumerate(header):
        label = title or _l("Colonne %(number)s", number=index + 1)
        setattr(PlanMappingForm, f"col_{index}", SelectField(
            label, choices=field_choices, default=mapping[index] if index < len(mapping) else ""))
    form = PlanMappingForm(formdata=formdata)
    form.column_names = [f"col_{i}" for i in range(len(header))]  # type: ignore[attr-defined]
    return form


class NoteForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=choices((k.value, v) for k, v in ACTION_NOTE_KIND_LABELS.items()))
    body = TextAreaField(_l("Note"), validators=[DataRequired(_l("La note est vide.")), Length(max=5000)])
