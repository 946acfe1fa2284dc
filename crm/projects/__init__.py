"""Firms' projects, followed from the first exchange to financing: the board by stage, the list and its
exports, the figures, a project's funding (the action plan's funding lines) and its next step (a task).

An accepted « Échanger sur un projet » request of the signup form becomes a project (``signup.project_accepted``).
"""

from crm.extensions import Feature, Figure, NavItem, Panel, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.projects import demo, figures, intake, mails, views
from crm.projects.models import STAGE_LABELS, Stage


def stage_label(value: str) -> str:
    return str(STAGE_LABELS[Stage(value)])


feature = Feature(
    name="projects",
    blueprints=[views.bp],
    nav=[NavItem("projects.board", _l("Projets"), order=62)],
    mail_kinds=mails.MAIL_KINDS,
    figures=[
        Figure(_l("projets en cours"), figures.in_progress, "projects.listing", {"etape": "en-cours"}, order=62),
        Figure(_l("Projets dont la prochaine étape est en retard"), figures.overdue_next_steps, "projects.listing",
               {"retard": "1", "etape": "en-cours"}, group="waiting", order=62),
    ],
    panels=[Panel("projects/_dashboard.html", figures.panel, order=62)],
    privacy=[PrivacyTable("project_contacts", "Projets d'entreprise suivis avec la personne")],
    template_filters={"project_stage": stage_label},
    hooks={"partners.organisation_sections": figures.organisation_section,
           "tasks.subjects": figures.subject_refs,
           "signup.project_accepted": intake.accept_hook,
           "actions.report_sections": figures.report_section},
    demo=demo.load,
)
