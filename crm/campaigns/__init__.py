"""The lettre d'information: campaigns (back office), their public archive, and their kind of mail.

``bp`` groups two blueprints: ``campaigns.admin`` under /admin/lettres (login required) and
``campaigns.archive`` under /lettres (public, no personal data).
"""

from flask import Blueprint

from crm.campaigns import archive, content, demo, figures, links, services, views
from crm.extensions import Feature, NavItem, Panel
from crm.forms import lazy_gettext as _l

bp = Blueprint("campaigns", __name__)
bp.register_blueprint(views.bp)
bp.register_blueprint(archive.bp)
bp.register_blueprint(links.bp)

feature = Feature(
    name="campaigns",
    blueprints=[bp],
    nav=[NavItem("campaigns.admin.index", _l("Lettres d'information"), order=80)],
    mail_kinds=[content.MAIL_KIND],
    panels=[Panel("campaigns/_dashboard.html", figures.panel, order=10)],
    hooks={
        "mail.claim_filter": content.claimable,
        "mail.before_send": services.start_due,
        "mail.after_send": services.finish_done,
        "mail.work_due": services.work_due,
        "segments.in_use": services.segment_user,
        "campaigns.mentioning": services.letters_mentioning,
    },
    demo=demo.load,
    setup=links.setup,
)
