"""The dashboard: the figures every feature declares, and the charts of the partners."""

from crm.dashboard import views
from crm.extensions import Feature, NavItem
from crm.forms import lazy_gettext as _l

feature = Feature(
    name="dashboard",
    blueprints=[views.bp],
    nav=[NavItem("dashboard.index", _l("Tableau de bord"), order=10)],
)
