"""Back-office accounts and roles (admin, editor, viewer), login and logout."""

from crm.auth import cli, views
from crm.extensions import Feature, NavItem
from crm.forms import lazy_gettext as _l

feature = Feature(
    name="auth",
    blueprints=[views.bp],
    commands=[cli.users_cli],
    nav=[NavItem("auth.users.list_users", _l("Utilisateurs"), order=200, role="admin")],
    setup=views.init_login,
)
