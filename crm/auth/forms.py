from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from crm.auth.models import ROLE_LABELS
from crm.forms import choices

ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]



class LoginForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired("Indiquez votre adresse e-mail.")])
    password = PasswordField("Mot de passe", validators=[DataRequired("Indiquez votre mot de passe.")])
    remember = BooleanField("Rester connecté")


class UserCreateForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired("Indiquez une adresse e-mail.")])
    name = StringField("Nom", validators=[Optional(), Length(max=120)])
    role = SelectField("Rôle", choices=choices(ROLE_CHOICES))
    password = PasswordField("Mot de passe", validators=[DataRequired("Indiquez un mot de passe.")])


class UserEditForm(FlaskForm):
    name = StringField("Nom", validators=[Optional(), Length(max=120)])
    role = SelectField("Rôle", choices=choices(ROLE_CHOICES))
    active = BooleanField("Compte actif")
    password = PasswordField("Nouveau mot de passe (laisser vide pour ne pas changer)", validators=[Optional()])
