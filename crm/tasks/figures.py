"""What the dashboard and an organisation's page show of the tasks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_login import current_user

from crm.extensions import db
from crm.partners.models import Organisation
from crm.tasks import services
from crm.tasks.models import Task, TaskStatus


def my_overdue() -> int:
    """« Mes tâches en retard »: the logged-in user's open tasks past their due date."""
    if not current_user or not current_user.is_authenticated:
        return 0
    return services.overdue_count(current_user.id)


def organisation_section(organisation: Organisation) -> tuple[str, dict[str, Any]] | None:
    """The ``partners.organisation_sections`` hook: the open tasks about the organisation (or its people)."""
    stmt = (sa.select(Task).where(Task.organisation_id == organisation.id, Task.status == TaskStatus.OPEN.value)
            .order_by(Task.due_on, Task.id))
    tasks = list(db.session.scalars(stmt))
    return ("tasks/_organisation.html", {"tasks": tasks, "organisation": organisation, "today": services.today(),
                                         "task_links": services.links_of(tasks)})
