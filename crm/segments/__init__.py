"""Segments: saved filters over contacts, with a live count, used by campaigns and events."""

from crm.extensions import Feature, NavItem
from crm.forms import lazy_gettext as _l
from crm.segments import demo, views

feature = Feature(
    name="segments",
    blueprints=[views.bp],
    nav=[NavItem("segments.index", _l("Segments"), order=70)],
    demo=demo.load,
)
