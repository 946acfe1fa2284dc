"""Events: invitations, RSVP without an account, reminders, calendar invitations, attendance.

``bp`` is the back office (login required); ``crm.events.public.bp`` holds the public RSVP pages and the feed.
"""

from flask import Blueprint

from crm.security import protect_admin

bp = Blueprint("events", __name__, url_prefix="/admin/evenements")
protect_admin(bp)

from crm.events import views  # noqa: E402,F401  (routes register on bp)

from crm.events.mailing import register_renderers  # noqa: E402

register_renderers()  # the scheduler's sender renders event mails through these
