from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from crm.forms import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from crm.extensions import db
from crm.forms import MultiCheckboxField, choices
from crm.partners import taxonomy
from crm.partners.models import (
    AMBASSADOR_LABELS,
    CIVILITIES,
    HEADCOUNT_BANDS,
    LANGUAGE_NAMES,
    NOTE_KIND_LABELS,
    Axis,
    Organisation,
    OrganisationKind,
    Sector,
)
from crm.partners.services import ContactInput, OrganisationInput
from crm.partners.territory import REGIONS


def taxonomy_choices(model: Any, blank: Any = None) -> list[Any]:
    pairs = [(item.code, item.shown) for item in taxonomy.all_of(model)]
    return choices([("", blank), *pairs] if blank is not None else pairs)


AMBASSADOR_PAIRS = [(status.value, label) for status, label in AMBASSADOR_LABELS.items()]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Nom"),
                       validators=[DataRequired(_l("Le nom de la structure est obligatoire.")), Length(max=200)])
    kind = SelectField(_l("Type de structure"), default="")
    sectors = MultiCheckboxField(_l("Filières"))
    siret = StringField(_l("SIRET"), validators=[Optional(), Length(max=20)])
    naf_code = StringField(_l("Code NAF"), validators=[Optional(), Length(max=8)])
    headcount_band = SelectField(_l("Effectif"), choices=choices([("", "—"), *[(b, b) for b in HEADCOUNT_BANDS]]),
                                 default="")
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=300)])
    postal_code = StringField(_l("Code postal"), validators=[Optional(), Length(max=10)])
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)])
    website = StringField(_l("Site web"), validators=[Optional(), Length(max=300)],
                          render_kw={"inputmode": "url", "placeholder": "https://www.exemple.fr"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = taxonomy_choices(OrganisationKind, blank="—")
        self.sectors.choices = taxonomy_choices(Sector)

    def fill_from(self, organisation: Organisation) -> None:
        self.kind.data = organisation.kind.code if organisation.kind else ""
        self.sectors.data = [s.code for s in organisation.sectors]

    def to_input(self) -> OrganisationInput:
        return OrganisationInput(
            name=self.name.data or "", kind=self.kind.data or "", sectors=list(self.sectors.data or []),
            naf_code=self.naf_code.data or "", siret=self.siret.data or "",
            headcount_band=self.headcount_band.data or "", address=self.address.data or "",
            postal_code=self.postal_code.data or "", commune=self.commune.data or "", website=self.website.data or "",
        )


def organisation_choices() -> list[Any]:
    rows = db.session.execute(sa.select(Organisation.id, Organisation.name).order_by(Organisation.name_key))
    return choices([(0, _l("— aucune —")), *[(row.id, row.name) for row in rows]])


class ContactForm(FlaskForm):
    civility = SelectField(_l("Civilité"), choices=choices((k, v or "—") for k, v in CIVILITIES.items()), default="")
    first_name = StringField(_l("Prénom"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Nom"), validators=[Optional(), Length(max=100)])
    email = EmailField(_l("Adresse e-mail"),
                       validators=[DataRequired(_l("L'adresse e-mail est obligatoire.")), Length(max=254)])
    phone = StringField(_l("Téléphone"), validators=[Optional(), Length(max=30)])
    job_title = StringField(_l("Fonction"), validators=[Optional(), Length(max=120)])
    organisation_id = SelectField(_l("Structure"), coerce=int, default=0)
    sectors = MultiCheckboxField(_l("Filières d'intérêt"))
    axes = MultiCheckboxField(_l("Axes d'intérêt"))
    ambassador_status = SelectField(_l("Ambassadeur"), choices=choices(AMBASSADOR_PAIRS), default="none")
    kit_sent_on = DateField(_l("Kit de communication envoyé le"), validators=[Optional()])
    language = SelectField(_l("Langue"), choices=choices(list(LANGUAGE_NAMES.items())), default="fr")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = organisation_choices()
        self.sectors.choices = taxonomy_choices(Sector)
        self.axes.choices = taxonomy_choices(Axis)

    def fill_from(self, contact: Any) -> None:
        self.organisation_id.data = contact.organisation_id or 0
        self.sectors.data = [s.code for s in contact.sectors]
        self.axes.data = [a.code for a in contact.axes]

    def to_input(self) -> ContactInput:
        return ContactInput(
            email=self.email.data or "", first_name=self.first_name.data or "", last_name=self.last_name.data or "",
            civility=self.civility.data or "", phone=self.phone.data or "", job_title=self.job_title.data or "",
            organisation_id=self.organisation_id.data or None, sectors=list(self.sectors.data or []),
            axes=list(self.axes.data or []), ambassador_status=self.ambassador_status.data,
            kit_sent_on=self.kit_sent_on.data, language=self.language.data or "fr",
        )


class FilterForm(FlaskForm):
    """The GET form above each list; no CSRF since it changes nothing."""

    class Meta:
        csrf = False

    q = StringField(_l("Rechercher"))
    kind = SelectField(_l("Type"))
    sector = SelectField(_l("Filière"))
    axis = SelectField(_l("Axe"))
    department = StringField(_l("Département"))
    region = SelectField(_l("Région"))
    club = SelectField(_l("Club des Industriels"),
                       choices=choices([("", _l("Tous")), ("yes", _l("Membres")), ("no", _l("Non-membres"))]))
    ambassador = SelectField(_l("Ambassadeur"), choices=choices([("", _l("Tous")), *AMBASSADOR_PAIRS]))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = taxonomy_choices(OrganisationKind, blank=_l("Tous"))
        self.sector.choices = taxonomy_choices(Sector, blank=_l("Toutes"))
        self.axis.choices = taxonomy_choices(Axis, blank=_l("Tous"))
        self.region.choices = choices([("", _l("Toutes")), *[(r, r) for r in REGIONS]])


class NoteForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=choices((k.value, v) for k, v in NOTE_KIND_LABELS.items()))
    body = TextAreaField(_l("Note"), validators=[DataRequired(_l("La note est vide.")), Length(max=5000)])


class ClubJoinForm(FlaskForm):
    joined_on = DateField(_l("Date d'adhésion"), validators=[DataRequired(_l("Indiquez la date d'adhésion."))])


class ClubLeaveForm(FlaskForm):
    left_on = DateField(_l("Date de sortie"), validators=[DataRequired(_l("Indiquez la date de sortie."))])


class AmbassadorForm(FlaskForm):
    status = SelectField(_l("Statut"), choices=choices(AMBASSADOR_PAIRS))
    on = DateField(_l("Depuis le"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """An empty form: a CSRF-protected button."""


