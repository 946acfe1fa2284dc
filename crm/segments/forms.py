from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from crm.consent.services import all_topics
from crm.forms import MultiCheckboxField, choices
from crm.forms import lazy_gettext as _l
from crm.partners.forms import AMBASSADOR_PAIRS, FilterForm, taxonomy_choices
from crm.partners.models import Axis, OrganisationKind, Sector
from crm.partners.territory import REGIONS
from crm.segments.services import SegmentCriteria

_SEPARATORS = re.compile(r"[\s,;]+")
EXCLUSIONS = ("kind", "sector", "department", "club", "ambassador", "topic")


class Checkboxes(MultiCheckboxField):
    """Boxes of which any number is ticked; an empty value ("any", as a list filter's select sends) is none."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata([value for value in valuelist if value])


def _codes(text: str | None) -> list[str]:
    return [part for part in _SEPARATORS.split(text or "") if part]


class SegmentForm(FlaskForm):
    """The partner list filters with several values each (any of them), exclusions, topics and signup dates."""

    q = FilterForm.q
    kind = Checkboxes(_l("Type"))
    sector = Checkboxes(_l("Filière"))
    axis = Checkboxes(_l("Axe"))
    department = StringField(_l("Département"), validators=[Optional(), Length(max=80)])
    region = Checkboxes(_l("Région"))
    club = SelectField(_l("Club des Industriels"), default="",
                       choices=choices([("", _l("Tous")), ("yes", _l("Membres")), ("no", _l("Non-membres"))]))
    ambassador = Checkboxes(_l("Ambassadeur"), choices=choices(AMBASSADOR_PAIRS))
    name = StringField(_l("Nom du segment"), validators=[DataRequired(_l("Le nom du segment est obligatoire.")),
                                                     Length(max=120)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
    topic = Checkboxes(_l("Intérêt déclaré"))
    action = StringField(_l("Engagés dans l'action (code, par exemple 2.3)"), validators=[Optional(), Length(max=12)])
    action_axis = Checkboxes(_l("Engagés dans une action de l'axe"))
    signed_up_from = DateField(_l("Ajoutés depuis le"), validators=[Optional()])
    signed_up_to = DateField(_l("Ajoutés jusqu'au"), validators=[Optional()])
    exclude_kind = Checkboxes(_l("Sauf les types"))
    exclude_sector = Checkboxes(_l("Sauf les filières"))
    exclude_department = StringField(_l("Sauf les départements"), validators=[Optional(), Length(max=80)])
    exclude_club = Checkboxes(_l("Sauf"), choices=choices([("yes", _l("les membres du Club des Industriels")),
                                                                   ("no", _l("les non-membres du Club"))]))
    exclude_ambassador = Checkboxes(_l("Sauf les ambassadeurs au statut"), choices=choices(AMBASSADOR_PAIRS))
    exclude_topic = Checkboxes(_l("Sauf les personnes intéressées par"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("kind", "exclude_kind"):
            self[name].choices = taxonomy_choices(OrganisationKind)
        for name in ("sector", "exclude_sector"):
            self[name].choices = taxonomy_choices(Sector)
        for name in ("axis", "action_axis"):
            self[name].choices = taxonomy_choices(Axis)
        self.region.choices = choices([(r, r) for r in REGIONS])
        topics = choices([(t.code, t.shown) for t in all_topics()])
        self.topic.choices = topics
        self.exclude_topic.choices = topics

    @staticmethod
    def initial(name: str, description: str, criteria: SegmentCriteria) -> dict[str, Any]:
        data: dict[str, Any] = {"name": name, "description": description, **criteria.as_dict()}
        data.pop("exclude", None)
        data["department"] = ", ".join(criteria.department)
        for key, values in criteria.exclude.items():
            data[f"exclude_{key}"] = ", ".join(values) if key == "department" else values
        for key in ("signed_up_from", "signed_up_to"):
            if data.get(key):
                data[key] = date.fromisoformat(data[key])
        return data

    def criteria(self) -> SegmentCriteria:
        exclude: dict[str, list[str]] = {name: list(self[f"exclude_{name}"].data or []) for name in EXCLUSIONS
                                         if name != "department"}
        exclude["department"] = _codes(self.exclude_department.data)
        return SegmentCriteria(
            q=self.q.data or "", kind=self.kind.data or [], sector=self.sector.data or [],
            axis=self.axis.data or [], department=_codes(self.department.data),
            region=self.region.data or [], club=self.club.data or "", ambassador=self.ambassador.data or [],
            topic=self.topic.data or [], action=(self.action.data or "").strip(),
            action_axis=self.action_axis.data or [],
            signed_up_from=self.signed_up_from.data.isoformat() if self.signed_up_from.data else "",
            signed_up_to=self.signed_up_to.data.isoformat() if self.signed_up_to.data else "",
            exclude=exclude,
        )
