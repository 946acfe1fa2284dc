from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from crm.forms import lazy_gettext as _l


class EraseForm(FlaskForm):
    confirm = StringField(_l("Pour confirmer, tapez EFFACER"),
                          validators=[DataRequired(_l("Tapez EFFACER pour confirmer."))])


class ActionForm(FlaskForm):
    """CSRF only."""
