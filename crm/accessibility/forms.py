from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from crm.accessibility.models import CONFORMITY_LABELS
from crm.forms import choices
from crm.forms import lazy_gettext as _l

MARKDOWN_HINT = _l("Texte simple ; les listes commencent par « - ».")


class StatementForm(FlaskForm):
    status = SelectField(_l("État de conformité au RGAA 4.1"),
                         choices=choices([(code.value, label) for code, label in CONFORMITY_LABELS.items()]))
    audit_summary = TextAreaField(_l("Résultats des tests"), validators=[Length(max=20_000)])
    non_accessible = TextAreaField(_l("Contenus non accessibles"), validators=[Length(max=20_000)])
    contact = TextAreaField(_l("Retour d'information et contact"), validators=[Length(max=20_000)])
