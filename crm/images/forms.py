from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from crm.forms import lazy_gettext as _l


class UploadForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF ou WebP)"), validators=[FileRequired(_l("Choisissez une image."))])
    alt = StringField(_l("Texte alternatif"),
                      validators=[DataRequired(_l("Décrivez l'image en quelques mots (texte alternatif) : les "
                                                  "lecteurs d'écran et les messageries qui bloquent les images "
                                                  "l'affichent à sa place.")), Length(max=200)])
