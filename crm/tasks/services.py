"""Tasks: create, complete, list (mine / all, overdue first), and what each is about. They flush; the caller
commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import url_for

from crm.audit import services as audit
from crm.auth.models import Role, User
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db, hooks
from crm.i18n import local_tz
from crm.pagination import Page, paginate
from crm.security import absolute_url
from crm.partners.models import Contact, Organisation
from crm.tasks.models import Task, TaskStatus

ENTITY = "task"
# hook(kind, ids) -> {id: (label, endpoint, url values)} for the kinds the feature owns, else None
SUBJECTS_HOOK = "tasks.subjects"
Ref = tuple[str, str, dict[str, Any]]
FILTERS = ("mine", "all")
STATES = ("open", "late", "done", "all")


class TaskError(ValidationError):
    pass


def today() -> date:
    """The day in the programme's time zone (a task due "today" is today in Alençon, not in UTC)."""
    return datetime.now(local_tz()).date()


@dataclass
class TaskInput:
    title: str
    due_on: date | None
    owner_id: int | None
    notes: str = ""
    contact_id: int | None = None
    organisation_id: int | None = None
    subject_kind: str = ""
    subject_id: int | None = None


def team() -> list[User]:
    """Who may own a task: the active accounts that may edit."""
    users = db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name, User.email))
    return [user for user in users if user.has_role(Role.EDITOR.value)]


def subject_refs(kind: str, ids: Iterable[int]) -> dict[int, Ref]:
    """Label and back-office page (endpoint, values) of the records of ``kind``: a contact, an organisation, or
    a feature's record (through the ``tasks.subjects`` hook). Only the records that exist are in the answer."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if kind == "contact":
        rows = db.session.execute(sa.select(Contact.id, Contact.first_name, Contact.last_name)
                                  .where(Contact.id.in_(wanted)))
        return {i: (f"{first} {last}".strip(), "partners.contact_detail", {"contact_id": i})
                for i, first, last in rows}
    if kind == "organisation":
        rows = db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))
        return {i: (name, "partners.organisation_detail", {"organisation_id": i}) for i, name in rows}
    for hook in hooks(SUBJECTS_HOOK):
        found = hook(kind, wanted)
        if found is not None:
            return dict(found)
    return {}


def subject_links(kind: str, ids: Iterable[int], absolute: bool = False) -> dict[int, tuple[str, str]]:
    """(label, address) of each record: a path inside a request, an absolute URL (BASE_URL) for a mail."""
    build = absolute_url if absolute else url_for
    return {i: (label, build(endpoint, **values)) for i, (label, endpoint, values) in subject_refs(kind, ids).items()}


def about(data: TaskInput) -> tuple[str, str] | None:
    """What a task being written is about, as (label, path): for the form's heading."""
    for kind, ref in ((data.subject_kind, data.subject_id), ("contact", data.contact_id),
                      ("organisation", data.organisation_id)):
        if kind and ref is not None:
            return subject_links(kind, [ref]).get(ref)
    return None


def _check(data: TaskInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = " ".join((data.title or "").split())
    if not title:
        errors["title"] = "Indiquez ce qu'il faut faire."
    elif len(title) > 200:
        errors["title"] = "200 caractères au plus."
    if data.due_on is None:
        errors["due_on"] = "Indiquez une échéance."
    owner = db.session.get(User, data.owner_id) if data.owner_id else None
    if owner is None or not owner.active or not owner.has_role(Role.EDITOR.value):
        errors["owner_id"] = "Choisissez la personne de l'équipe qui s'en charge."
    if data.contact_id is not None and db.session.get(Contact, data.contact_id) is None:
        errors["contact_id"] = "Ce contact n'existe pas."
    if data.organisation_id is not None and db.session.get(Organisation, data.organisation_id) is None:
        errors["organisation_id"] = "Cette structure n'existe pas."
    if data.subject_kind:
        if data.subject_id is None or data.subject_id not in subject_refs(data.subject_kind, [data.subject_id]):
            errors["subject_kind"] = "Ce à quoi la tâche se rapporte n'existe pas."
    if errors:
        raise TaskError(errors)
    return {"title": title, "notes": (data.notes or "").strip(), "due_on": data.due_on, "owner_id": owner.id,
            "contact_id": data.contact_id, "organisation_id": data.organisation_id,
            "subject_kind": data.subject_kind or "", "subject_id": data.subject_id if data.subject_kind else None}


def create_task(data: TaskInput, user_id: int | None = None) -> Task:
    task = Task(created_by_id=user_id, **_check(data))
    db.session.add(task)
    db.session.flush()
    audit.record("create", ENTITY, task.id, f"Tâche créée : {task.title}",
                 {"échéance": [None, task.due_on.isoformat()], "responsable": [None, task.owner_id]},
                 user_id=user_id)
    return task


def _set_status(task: Task, status: TaskStatus, user_id: int | None) -> Task:
    if task.status == status.value:
        raise TaskError("Cette tâche est déjà dans cet état.")
    old = task.status
    task.status = status.value
    task.done_at = utcnow() if status is TaskStatus.DONE else None
    db.session.flush()
    audit.record("update", ENTITY, task.id, f"Tâche : {task.title}", {"statut": [old, task.status]}, user_id=user_id)
    return task


def complete(task: Task, user_id: int | None = None) -> Task:
    return _set_status(task, TaskStatus.DONE, user_id)


def reopen(task: Task, user_id: int | None = None) -> Task:
    return _set_status(task, TaskStatus.OPEN, user_id)


def cancel_open_tasks(kind: str, subject_id: int, user_id: int | None = None) -> int:
    """Cancels what was still to do about a record that no longer needs it (a project abandoned)."""
    count = 0
    for task in open_tasks_about(kind, subject_id):
        _set_status(task, TaskStatus.CANCELLED, user_id)
        count += 1
    return count


def open_tasks_about(kind: str, subject_id: int) -> list[Task]:
    stmt = (sa.select(Task).where(Task.subject_kind == kind, Task.subject_id == subject_id,
                                  Task.status == TaskStatus.OPEN.value).order_by(Task.due_on, Task.id))
    return list(db.session.scalars(stmt))


def tasks_about(kind: str, subject_id: int) -> list[Task]:
    stmt = (sa.select(Task).where(Task.subject_kind == kind, Task.subject_id == subject_id)
            .order_by(Task.status != TaskStatus.OPEN.value, Task.due_on, Task.id))
    return list(db.session.scalars(stmt))


def _listing(owner_id: int | None, state: str) -> sa.Select[Any]:
    stmt = sa.select(Task)
    if owner_id is not None:
        stmt = stmt.where(Task.owner_id == owner_id)
    if state == "late":  # what « mes tâches en retard » counts (overdue_count)
        stmt = stmt.where(overdue_clause(today()))
    elif state == "open":
        stmt = stmt.where(Task.status == TaskStatus.OPEN.value)
    elif state == "done":
        stmt = stmt.where(Task.status != TaskStatus.OPEN.value)
    # Open tasks first, the oldest due date first: what is overdue heads the list.
    return stmt.order_by(Task.status != TaskStatus.OPEN.value, Task.due_on, Task.id)


def task_page(owner_id: int | None, state: str, page: int, per_page: int) -> Page[Task]:
    return paginate(_listing(owner_id, state), page, per_page)


def overdue_clause(day: date) -> sa.ColumnElement[bool]:
    return sa.and_(Task.status == TaskStatus.OPEN.value, Task.due_on < day)


def overdue_count(owner_id: int | None, day: date | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(Task).where(overdue_clause(day or today()))
    if owner_id is not None:
        stmt = stmt.where(Task.owner_id == owner_id)
    return db.session.scalar(stmt) or 0


def due_by(owner_id: int, day: date) -> list[Task]:
    """An owner's open tasks overdue or due that day: what the daily digest lists."""
    stmt = (sa.select(Task).where(Task.owner_id == owner_id, Task.status == TaskStatus.OPEN.value,
                                  Task.due_on <= day).order_by(Task.due_on, Task.id))
    return list(db.session.scalars(stmt))


def links_of(tasks: Iterable[Task], absolute: bool = False) -> dict[int, tuple[str, str]]:
    """What each task is about, as (label, url): its feature record, else its contact, else its organisation;
    one query per kind whatever the number of tasks."""
    tasks = list(tasks)
    wanted: dict[str, list[int]] = {}
    for task in tasks:
        kind, ref = _reference(task)
        if kind:
            wanted.setdefault(kind, []).append(ref)
    found = {kind: subject_links(kind, ids, absolute) for kind, ids in wanted.items()}
    result = {}
    for task in tasks:
        kind, ref = _reference(task)
        if kind and ref in found[kind]:
            result[task.id] = found[kind][ref]
    return result


def _reference(task: Task) -> tuple[str, int]:
    if task.subject_kind and task.subject_id is not None:
        return task.subject_kind, task.subject_id
    if task.contact_id is not None:
        return "contact", task.contact_id
    if task.organisation_id is not None:
        return "organisation", task.organisation_id
    return "", 0


def in_a_week(day: date | None = None) -> date:
    return (day or today()) + timedelta(days=7)
