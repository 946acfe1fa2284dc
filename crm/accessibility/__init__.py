"""Accessibility (RGAA 4.1): the public déclaration d'accessibilité, edited by an admin, and the mention of its
status in every page's footer."""

from crm.accessibility import services, views
from crm.extensions import Feature, NavItem
from crm.forms import lazy_gettext as _l


def _footer() -> dict[str, object]:
    return {"accessibility_mention": services.footer_mention}


feature = Feature(
    name="accessibility",
    blueprints=[views.bp, views.admin_bp],
    nav=[NavItem("accessibility_admin.edit", _l("Accessibilité"), order=130, role="admin")],
    context_processors=[_footer],
)
