from __future__ import annotations

from typing import Any

from crm.forms import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Email, Length, Optional

from crm.campaigns.services import CampaignInput
from crm.consent.services import all_topics
from crm.forms import choices
from crm.segments.services import all_segments


class CampaignForm(FlaskForm):
    subject = StringField(_l("Objet"), validators=[DataRequired(_l("L'objet est obligatoire.")), Length(max=200)])
    preheader = StringField(_l("Texte d'aperçu"), validators=[Optional(), Length(max=200)])
    body_markdown = TextAreaField(_l("Texte (Markdown)"),
                                  validators=[DataRequired(_l("Le texte de la lettre est vide.")), Length(max=100_000)])
    topic = SelectField(_l("Liste de diffusion"), default="lettre")
    segment_id = SelectField(_l("Segment"), coerce=int, default=0)
    public = BooleanField(_l("Publier dans les archives une fois envoyée"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = choices((t.code, t.shown) for t in all_topics())
        self.segment_id.choices = choices([(0, _l("— tous les abonnés de la liste —")),
                                           *[(s.id, s.name) for s in all_segments()]])

    def to_input(self) -> CampaignInput:
        return CampaignInput(subject=self.subject.data or "", body_markdown=self.body_markdown.data or "",
                             topic=self.topic.data or "", preheader=self.preheader.data or "",
                             segment_id=self.segment_id.data or None, public=bool(self.public.data))


class ScheduleForm(FlaskForm):
    send_date = DateField(_l("Date d'envoi"), validators=[DataRequired(_l("Indiquez la date d'envoi."))])
    send_time = TimeField(_l("Heure (heure de Paris)"), validators=[DataRequired(_l("Indiquez l'heure d'envoi."))])


class TestSendForm(FlaskForm):
    email = EmailField(_l("Adresse du test"), validators=[DataRequired(_l("Indiquez une adresse.")),
                                                      Email(_l("Adresse e-mail invalide.")), Length(max=254)])


class ActionForm(FlaskForm):
    """An empty form: a CSRF-protected button."""


class TemplateForm(FlaskForm):
    name = StringField(_l("Nom du modèle"), validators=[DataRequired(_l("Donnez un nom au modèle.")),
                                                        Length(max=200)])
