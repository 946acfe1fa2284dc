"""Events: invitations, RSVP without an account, reminders, calendar invitations, attendance.

``views.bp`` is the back office (login required); ``public.bp`` holds the public RSVP pages and the feed.
"""

from crm.events import demo, figures, jobs, letter_blocks, mailing, public, views
from crm.extensions import Feature, Job, NavItem, Panel, PrivacyTable
from crm.forms import lazy_gettext as _l

feature = Feature(
    name="events",
    blueprints=[views.bp, public.bp],
    nav=[NavItem("events.index", _l("Événements"), order=60)],
    jobs=[Job("event_reminders", jobs.sync_reminders, {"hours": 1})],
    mail_kinds=mailing.MAIL_KINDS,
    panels=[Panel("events/_dashboard.html", figures.panel, order=20)],
    privacy=[PrivacyTable("invitations", "Invitations aux événements")],
    hooks={"campaigns.blocks": letter_blocks.blocks},
    demo=demo.load,
)
