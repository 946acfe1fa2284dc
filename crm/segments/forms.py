from __future__ import annotations

from datetime import date
from typing import Any

from crm.forms import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from crm.consent.services import all_topics
from crm.forms import choices
from crm.partners.forms import FilterForm, taxonomy_choices
from crm.partners.models import Axis, OrganisationKind, Sector
from crm.partners.territory import REGIONS
from crm.segments.services import SegmentCriteria


class SegmentForm(FlaskForm):
    """The partner list filters (the same fields as ``FilterForm``), plus topic and signup dates."""

    q = FilterForm.q
    kind = FilterForm.kind
    sector = FilterForm.sector
    axis = FilterForm.axis
    department = FilterForm.department
    region = FilterForm.region
    club = FilterForm.club
    ambassador = FilterForm.ambassador
    name = StringField(_l("Nom du segment"), validators=[DataRequired(_l("Le nom du segment est obligatoire.")),
                                                     Length(max=120)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
    topic = SelectField(_l("Intérêt déclaré"))
    action = StringField(_l("Engagés dans l'action (code, par exemple 2.3)"), validators=[Optional(), Length(max=12)])
    action_axis = SelectField(_l("Engagés dans une action de l'axe"), default="")
    signed_up_from = DateField(_l("Ajoutés depuis le"), validators=[Optional()])
    signed_up_to = DateField(_l("Ajoutés jusqu'au"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = taxonomy_choices(OrganisationKind, blank=_l("Tous"))
        self.sector.choices = taxonomy_choices(Sector, blank=_l("Toutes"))
        self.axis.choices = taxonomy_choices(Axis, blank=_l("Tous"))
        self.region.choices = choices([("", _l("Toutes")), *[(r, r) for r in REGIONS]])
        self.topic.choices = choices([("", _l("Tous")), *[(t.code, t.label) for t in all_topics()]])
        self.action_axis.choices = taxonomy_choices(Axis, blank=_l("Tous"))

    @staticmethod
    def initial(name: str, description: str, criteria: SegmentCriteria) -> dict[str, Any]:
        data: dict[str, Any] = {"name": name, "description": description, **criteria.as_dict()}
        for key in ("signed_up_from", "signed_up_to"):
            if data.get(key):
                data[key] = date.fromisoformat(data[key])
        return data

    def criteria(self) -> SegmentCriteria:
        return SegmentCriteria(
            q=self.q.data or "", kind=self.kind.data or "", sector=self.sector.data or "",
            axis=self.axis.data or "", department=(self.department.data or "").strip(),
            region=self.region.data or "", club=self.club.data or "", ambassador=self.ambassador.data or "",
            topic=self.topic.data or "", action=(self.action.data or "").strip(),
            action_axis=self.action_axis.data or "",
            signed_up_from=self.signed_up_from.data.isoformat() if self.signed_up_from.data else "",
            signed_up_to=self.signed_up_to.data.isoformat() if self.signed_up_to.data else "",
        )
