"""The public signup form, the subscriber's own forms and the back office's small forms."""

from __future__ import annotations

from typing import Any

from crm.forms import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.consent.services import all_topics
from crm.forms import MultiCheckboxField, choices
from crm.partners import taxonomy
from crm.partners.models import Axis, Sector
from crm.signup.models import REQUEST_LABELS
from crm.signup.services import SignupInput
from crm.signup.wording import CONSENT_TEXT

HONEYPOT_FIELD = "site_web"


class SignupForm(FlaskForm):
    organisation_name = StringField(_l("Nom de votre structure"), validators=[
        DataRequired(_l("Indiquez le nom de votre structure.")), Length(max=200)])
    siret = StringField(_l("SIRET (facultatif)"), validators=[Optional(), Length(max=20)])
    sector = SelectField(_l("Filière (facultatif)"), validate_choice=False)
    postal_code = StringField(_l("Code postal"), validators=[
        DataRequired(_l("Indiquez le code postal.")), Length(max=10)])
    commune = StringField(_l("Commune (facultatif)"), validators=[Optional(), Length(max=120)])
    first_name = StringField(_l("Prénom"), validators=[DataRequired(_l("Indiquez votre prénom.")), Length(max=100)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=100)])
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("L'adresse e-mail est obligatoire.")),
                                                     Length(max=254)])
    phone = StringField(_l("Téléphone (facultatif)"), validators=[Optional(), Length(max=30)])
    job_title = StringField(_l("Fonction (facultatif)"), validators=[Optional(), Length(max=120)])
    requests = MultiCheckboxField(_l("Je souhaite"), choices=choices((k.value, v) for k, v in REQUEST_LABELS.items()))
    axes = MultiCheckboxField(_l("Axes qui m'intéressent"))
    sectors = MultiCheckboxField(_l("Filières qui m'intéressent"))
    message = TextAreaField(_l("Votre message (facultatif)"), validators=[Optional(), Length(max=2000)])
    consent = BooleanField(CONSENT_TEXT)
    site_web = StringField(_l("Ne pas remplir ce champ"), validators=[Optional()])  # the honeypot

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sector.choices = choices([("", "—"), *[(s.code, s.shown) for s in taxonomy.all_of(Sector)]])
        self.sectors.choices = choices((s.code, s.shown) for s in taxonomy.all_of(Sector))
        self.axes.choices = choices((a.code, a.shown) for a in taxonomy.all_of(Axis))

    def is_bot(self) -> bool:
        return bool((self.site_web.data or "").strip())

    def to_input(self, ip: str | None) -> SignupInput:
        return SignupInput(
            organisation_name=self.organisation_name.data or "", siret=self.siret.data or "",
            sector=self.sector.data or "", postal_code=self.postal_code.data or "", commune=self.commune.data or "",
            first_name=self.first_name.data or "", last_name=self.last_name.data or "",
            email=self.email.data or "", phone=self.phone.data or "", job_title=self.job_title.data or "",
            requests=list(self.requests.data or []), axes=list(self.axes.data or []),
            sectors=list(self.sectors.data or []), message=self.message.data or "",
            consent=bool(self.consent.data), ip=ip,
        )


class ResendForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("L'adresse e-mail est obligatoire.")),
                                                     Length(max=254)])


class ActionForm(FlaskForm):
    """A button that posts: confirm, unsubscribe, back-office actions (CSRF only)."""


class ChangesForm(FlaskForm):
    """An editor's decision on what a signup proposes for a known record: the fields ticked, and the button
    pressed ("accept" or "dismiss"). crm.signup.proposals checks both and answers in French."""

    fields = SelectMultipleField(validate_choice=False)
    decision = StringField()


class PreferencesForm(FlaskForm):
    topics = MultiCheckboxField(_l("Je souhaite recevoir"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topics.choices = choices((t.code, t.shown) for t in all_topics())


class KitUploadForm(FlaskForm):
    file = FileField(_l("Fichier du kit (PDF, ZIP, image ou document, 20 Mo au plus)"))

