"""Public signup at /inscription, double opt-in, the subscriber's own links, and the requests inbox."""

from functools import partial

from crm.extensions import Feature, Figure, Job, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.signup import admin_views, demo, inbox, jobs, mails, views
from crm.signup.models import REQUEST_LABELS, RequestKind

views.bp.register_blueprint(admin_views.admin_bp)

feature = Feature(
    name="signup",
    blueprints=[views.bp],
    nav=[NavItem("signup.admin.inbox", _l("Demandes"), order=50)],
    jobs=[Job("signup_purge", jobs.purge_unconfirmed_signups, {"hours": 1})],
    mail_kinds=mails.MAIL_KINDS,
    # One figure per kind of request the team acts on in the inbox; an ambassador candidacy is counted once,
    # by the partners' "candidatures d'ambassadeur" (a contact whose status is candidate, however it became one).
    figures=[Figure(_l("inscriptions à traiter"), inbox.open_count, "signup.admin.inbox", {"filtre": "open"},
                    order=50),
             *[Figure(_l("Demande : %(request)s", request=label), partial(inbox.open_count, kind.value),
                      "signup.admin.inbox", {"filtre": "open", "demande": kind.value}, order=70 + index,
                      group="waiting")
               for index, (kind, label) in enumerate(REQUEST_LABELS.items())
               if kind not in (RequestKind.NEWSLETTER, RequestKind.AMBASSADOR)]],
    privacy=[
        PrivacyTable("signups", "Inscriptions par le formulaire", personal=("ip",)),
        PrivacyTable("signup_requests", "Demandes faites à l'inscription"),
        PrivacyTable("signup_changes", "Modifications proposées à l'inscription"),
    ],
    context_processors=[views.consent_panel],
    hooks={"privacy.contact_erased": inbox.close_for_erasure, "tasks.subjects": inbox.task_subjects},
    demo=demo.load,
)
