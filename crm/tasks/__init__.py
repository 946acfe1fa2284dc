"""The team's own tasks: a due date, an owner, a status and what they are about (a project, a request, a
contact, an organisation, an event); the Tâches page, the dashboard's « mes tâches en retard » and the daily
digest mailed to each owner."""

from crm.extensions import Feature, Figure, Job, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.tasks import figures, jobs, views

feature = Feature(
    name="tasks",
    blueprints=[views.bp],
    nav=[NavItem("tasks.index", _l("Tâches"), order=45)],
    jobs=[Job("task_digests", jobs.task_digests, {"hours": 1})],
    figures=[Figure(_l("mes tâches en retard"), figures.my_overdue, "tasks.index", {"qui": "mine", "etat": "late"},
                    group="waiting", order=5)],
    privacy=[PrivacyTable("tasks", "Tâches de l'équipe")],
    hooks={"partners.organisation_sections": figures.organisation_section},
)
