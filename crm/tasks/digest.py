"""The daily digest: each owner gets one mail listing their overdue tasks and those due today; none when there
is nothing. Owners are back-office users, not contacts: the mail is a plain message that leaves after the commit
that records it (``TaskDigest``, one row per owner and day), so that a second run the same day sends nothing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from crm.auth.models import User
from crm.extensions import db
from crm.mail.outgoing import send_after_commit
from crm.mail.rendering import build_message
from crm.security import absolute_url
from crm.tasks import services
from crm.tasks.models import Task, TaskDigest, TaskStatus


def owners_due(day: date) -> list[int]:
    """Active owners with an open task due by ``day`` who have had no digest that day."""
    already = sa.select(TaskDigest.user_id).where(TaskDigest.day == day)
    stmt = (sa.select(Task.owner_id).distinct().join(User, User.id == Task.owner_id)
            .where(Task.status == TaskStatus.OPEN.value, Task.due_on <= day, User.active.is_(True),
                   Task.owner_id.not_in(already)).order_by(Task.owner_id))
    return [owner for owner in db.session.scalars(stmt) if owner is not None]


def send_digest(user: User, day: date) -> int:
    """Records and queues one owner's digest; returns the number of tasks listed (0: nothing sent)."""
    tasks = services.due_by(user.id, day)
    if not tasks:
        return 0
    db.session.add(TaskDigest(user_id=user.id, day=day, tasks=len(tasks)))
    db.session.flush()  # the unique (user, day) refuses a second digest before any mail is queued
    links = services.links_of(tasks, absolute=True)
    list_url = absolute_url("tasks.index")
    overdue = [task for task in tasks if task.due_on < day]
    due_today = [task for task in tasks if task.due_on == day]
    subject = f"Vos tâches : {len(overdue)} en retard, {len(due_today)} pour aujourd'hui — Territoires d'industrie"
    send_after_commit(build_message(user.email, subject, "task_digest", user=user, day=day, overdue=overdue,
                                    due_today=due_today, links=links, list_url=list_url,
                                    preheader=f"{len(tasks)} tâche(s) à traiter."))
    return len(tasks)


def send_digests(day: date | None = None) -> int:
    """One digest per owner with something to do; each committed on its own (its mail leaves at that commit)."""
    day = day or services.today()
    sent = 0
    for owner_id in owners_due(day):
        user = db.session.get(User, owner_id)
        try:
            if user is not None and send_digest(user, day):
                sent += 1
            db.session.commit()
        except sa.exc.IntegrityError:  # another run got there first
            db.session.rollback()
    return sent
