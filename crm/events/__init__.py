"""Events: invitations, RSVP without an account, reminders, calendar invitations, attendance.

``views.bp`` is the back office (login required); ``public.bp`` holds the public RSVP pages and the feed.
"""

from crm.events import demo, display, figures, jobs, letter_blocks, mailing, public, views
from crm.extensions import Feature, Job, NavItem, Panel, PrivacyTable
from crm.forms import lazy_gettext as _l

feature = Feature(
    name="events",
    blueprints=[views.bp, public.bp],
    nav=[NavItem("events.index", _l("Événements"), order=60)],
    # Reminders leave from the mail pipeline's dispatch tick at their due time; this safety net re-syncs them
    # often enough for a reminder set in minutes.
    jobs=[Job("event_reminders", jobs.sync_reminders, {"minutes": 5})],
    template_filters={"nl2br": display.nl2br},
    mail_kinds=mailing.MAIL_KINDS,
    panels=[Panel("events/_dashboard.html", figures.panel, order=20)],
    privacy=[PrivacyTable("invitations", "Invitations aux événements")],
    hooks={"tasks.subjects": figures.task_subjects, "campaigns.blocks": letter_blocks.blocks},
    demo=demo.load,
)
