from crm.forms import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from crm.auth.models import ROLE_LABELS
from crm.forms import choices

ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("Indiquez votre adresse e-mail."))])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])
    remember = BooleanField(_l("Rester connecté"))


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("Indiquez une adresse e-mail."))])
    name = StringField(_l("Nom"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Rôle"), choices=choices(ROLE_CHOICES))
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez un mot de passe."))])


class UserEditForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Rôle"), choices=choices(ROLE_CHOICES))
    active = BooleanField(_l("Compte actif"))
    password = PasswordField(_l("Nouveau mot de passe (laisser vide pour ne pas changer)"), validators=[Optional()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("Indiquez votre adresse e-mail.")),
                                                     Length(max=254)])


class ResetPasswordForm(FlaskForm):
    # The minimum length is the services' rule (crm.auth.services.set_password), shown beside the field.
    password = PasswordField(_l("Nouveau mot de passe"), validators=[DataRequired(_l("Indiquez un mot de passe."))],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Confirmez le nouveau mot de passe"),
        validators=[DataRequired(_l("Confirmez le mot de passe.")),
                    EqualTo("password", _l("Les deux mots de passe ne correspondent pas."))],
        render_kw={"autocomplete": "new-password"},
    )
