"""Projects: created by hand or from an accepted signup request, edited, moved from stage to stage (audited,
with the real old stage), funded; their next step is a task. They flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.actions import services as actions
from crm.actions.models import GRANTED_STATUSES, Action, FundingLine
from crm.audit import services as audit
from crm.audit.display import ChangeLine, change_lines, mapped
from crm.audit.models import AuditLog
from crm.auth.models import Role, User
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db
from crm.forms import untranslated
from crm.partners.models import Axis, Contact, Organisation
from crm.projects.models import (
    CLOSED,
    PROJECT_KIND_LABELS,
    STAGE_LABELS,
    Project,
    ProjectContact,
    ProjectKind,
    Stage,
    StageChange,
)
from crm.tasks import services as tasks
from crm.tasks.models import Task

ENTITY = "project"
SUBJECT = "project"  # tasks about a project (crm.tasks' subject_kind)
FIELDS = ["organisation_id", "title", "description", "kind", "axis_id", "investment", "jobs_created", "jobs_kept",
          "commune", "zone", "owner_id"]
FIELD_LABELS = {"organisation_id": "structure", "title": "titre", "description": "description", "kind": "nature",
                "axis_id": "axe", "investment": "investissement prévu (€)", "jobs_created": "emplois à créer",
                "jobs_kept": "emplois maintenus", "commune": "commune", "zone": "zone d'activités",
                "owner_id": "suivi par", "stage": "étape", "contact": "personne"}
STAGE_FORMAT = mapped({s.value: label for s, label in STAGE_LABELS.items()})
MAX_AMOUNT = Decimal("1000000000000")  # what Numeric(14, 2) holds
FIRST_STEP = "Premier échange avec l'entreprise sur son projet"


class ProjectError(ValidationError):
    """French message(s); nothing has been written."""


@dataclass
class ProjectInput:
    organisation_id: int | None
    title: str
    description: str = ""
    kind: str = ProjectKind.INVESTMENT.value
    axis_id: int | None = None
    investment: Any = None
    jobs_created: int | None = None
    jobs_kept: int | None = None
    commune: str = ""
    zone: str = ""
    owner_id: int | None = None
    contact_id: int | None = None
    action_ids: list[int] = field(default_factory=list)


def _owner_ok(user_id: int | None) -> bool:
    user = db.session.get(User, user_id) if user_id else None
    return user is not None and user.active and user.has_role(Role.EDITOR.value)


def _clean(data: ProjectInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    organisation = db.session.get(Organisation, data.organisation_id) if data.organisation_id else None
    if organisation is None:
        errors["organisation_id"] = "Choisissez l'entreprise parmi les structures."
    title = " ".join((data.title or "").split())
    if not title:
        errors["title"] = "Donnez un titre au projet."
    elif len(title) > 200:
        errors["title"] = "200 caractères au plus."
    if data.kind not in {k.value for k in ProjectKind}:
        errors["kind"] = "Nature de projet inconnue."
    if data.axis_id is not None and db.session.get(Axis, data.axis_id) is None:
        errors["axis_id"] = "Axe inconnu."
    investment = None
    if data.investment not in (None, ""):
        try:
            investment = actions.money(data.investment)
        except ValidationError as exc:
            errors["investment"] = next(iter(exc.errors.values()))
        else:
            if investment >= MAX_AMOUNT:
                errors["investment"] = "Montant trop élevé."
                investment = None
    for name in ("jobs_created", "jobs_kept"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 1_000_000:
            errors[name] = "Indiquez un nombre d'emplois entre 0 et 1 000 000."
    if not _owner_ok(data.owner_id):
        errors["owner_id"] = "Choisissez la personne de l'équipe qui suit le projet."
    contact = db.session.get(Contact, data.contact_id) if data.contact_id else None
    if data.contact_id and contact is None:
        errors["contact_id"] = "Ce contact n'existe pas."
    found = list(db.session.scalars(sa.select(Action).where(Action.id.in_(data.action_ids or []))))
    if len(found) != len(set(data.action_ids or [])):
        errors["action_ids"] = "Choisissez des actions du plan."
    if errors:
        raise ProjectError(errors)
    return {"organisation_id": organisation.id, "title": title, "description": (data.description or "").strip(),
            "kind": data.kind, "axis_id": data.axis_id, "investment": investment, "jobs_created": data.jobs_created,
            "jobs_kept": data.jobs_kept, "commune": (data.commune or "").strip() or organisation.commune,
            "zone": (data.zone or "").strip(), "owner_id": data.owner_id, "_contact": contact, "_actions": found}


def _apply(project: Project, values: dict[str, Any]) -> None:
    contact = values.pop("_contact")
    project.actions = values.pop("_actions")
    for name, value in values.items():
        setattr(project, name, value)
    if contact is None:
        project.person = None
    elif project.person is None:
        project.person = ProjectContact(contact=contact)
    else:
        project.person.contact = contact


def create_project(data: ProjectInput, next_step: str, next_step_due: date | None,
                   user_id: int | None = None, signup_request_id: int | None = None) -> Project:
    """A new project at its first stage, with its next step (a task for its owner)."""
    errors: dict[str, str] = {}
    try:
        values = _clean(data)
    except ProjectError as exc:
        errors.update(exc.errors)
    if not " ".join((next_step or "").split()):
        errors["next_step"] = "Indiquez la prochaine étape."
    if next_step_due is None:
        errors["next_step_due"] = "Indiquez l'échéance de la prochaine étape."
    if errors:
        raise ProjectError(errors)
    project = Project(stage=Stage.FIRST_EXCHANGE.value, stage_since=utcnow(), signup_request_id=signup_request_id)
    _apply(project, values)
    db.session.add(project)
    db.session.flush()
    project.stage_changes.append(StageChange(from_stage=None, to_stage=project.stage, user_id=user_id,
                                             changed_at=project.stage_since))
    audit.record("create", ENTITY, project.id, f"Projet créé : {project.title}",
                 {**audit.snapshot(project, FIELDS), "stage": [None, project.stage]}, user_id=user_id)
    set_next_step(project, next_step, next_step_due, project.owner_id, user_id)
    return project


def update_project(project: Project, data: ProjectInput, user_id: int | None = None) -> Project:
    values = _clean(data)
    before = {**audit.snapshot(project, FIELDS), "contact": project.person.contact_id if project.person else None}
    _apply(project, values)
    db.session.flush()
    after = {**audit.snapshot(project, FIELDS), "contact": project.person.contact_id if project.person else None}
    changes = audit.diff(before, after)
    if changes:
        audit.record("update", ENTITY, project.id, f"Projet modifié : {project.title}", changes, user_id=user_id)
    return project


def has_granted_funding(project: Project) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(
        FundingLine.project_id == project.id, FundingLine.status.in_(GRANTED_STATUSES)))))


def change_stage(project: Project, stage: str, reason: str = "", user_id: int | None = None) -> Project:
    """Moves the project to ``stage``: dated, audited with the stage it really left. ``financé`` needs a granted
    funding line; ``abandonné`` needs a reason."""
    try:
        new = Stage(stage)
    except ValueError:
        raise ProjectError({"stage": "Étape inconnue."}) from None
    old = Stage(project.stage)
    reason = (reason or "").strip()
    if new == old:
        raise ProjectError({"stage": f"Le projet est déjà à l'étape « {untranslated(STAGE_LABELS[new])} »."})
    if new == Stage.FUNDED and not has_granted_funding(project):
        raise ProjectError({"stage": "Le projet ne peut passer à l'étape « Financé » sans financement accordé : "
                                     "enregistrez d'abord une ligne de financement au statut « Accordé » ou « Versé »."})
    if new == Stage.ABANDONED and not reason:
        raise ProjectError({"reason": "Indiquez pourquoi le projet est abandonné."})
    now = utcnow()
    project.stage = new.value
    project.stage_since = now
    if new in (Stage.ABANDONED, Stage.PAUSED):
        project.closing_reason = reason
    db.session.add(StageChange(project_id=project.id, from_stage=old.value, to_stage=new.value, changed_at=now,
                               user_id=user_id))
    changes: dict[str, Any] = {"stage": [old.value, new.value]}
    if reason:
        changes["raison"] = reason
    audit.record("stage", ENTITY, project.id,
                 f"Étape : {untranslated(STAGE_LABELS[old])} → {untranslated(STAGE_LABELS[new])}", changes,
                 user_id=user_id)
    if new == Stage.ABANDONED:
        tasks.cancel_open_tasks(SUBJECT, project.id, user_id)
    db.session.flush()
    return project


# --- Funding ------------------------------------------------------------------------------------


def _funding_summary(line: FundingLine) -> str:
    return f"{line.funder.name} — {line.scheme} — {untranslated(line.status_label)}"


def add_funding(project: Project, data: actions.FundingInput, user_id: int | None = None) -> FundingLine:
    line = FundingLine(project_id=project.id)
    try:
        actions.fill_funding_line(line, data)
    except ValidationError as exc:
        raise ProjectError(exc.errors) from None
    db.session.add(line)
    db.session.flush()
    db.session.refresh(project, ["funding_lines"])
    audit.record("update", ENTITY, project.id, "Ligne de financement ajoutée",
                 {"financement": [None, _funding_summary(line)]}, user_id=user_id)
    return line


def update_funding(line: FundingLine, data: actions.FundingInput, user_id: int | None = None) -> FundingLine:
    if line.project_id is None:
        raise ProjectError("Cette ligne de financement n'est pas celle d'un projet.")
    old = _funding_summary(line)
    old_granted = line.amount_granted
    try:
        actions.fill_funding_line(line, data)
    except ValidationError as exc:
        raise ProjectError(exc.errors) from None
    db.session.flush()
    audit.record("update", ENTITY, line.project_id, "Ligne de financement modifiée",
                 {"financement": [old, _funding_summary(line)],
                  "montant accordé": [None if old_granted is None else str(old_granted),
                                      None if line.amount_granted is None else str(line.amount_granted)]},
                 user_id=user_id)
    return line


# --- Next step ----------------------------------------------------------------------------------


def set_next_step(project: Project, title: str, due_on: date | None, owner_id: int | None,
                  user_id: int | None = None) -> Task:
    """The next step of the project: a task about it, with its due date and owner."""
    try:
        return tasks.create_task(tasks.TaskInput(
            title=title, due_on=due_on, owner_id=owner_id or project.owner_id,
            organisation_id=project.organisation_id, subject_kind=SUBJECT, subject_id=project.id), user_id)
    except ValidationError as exc:
        renamed = {{"title": "next_step", "due_on": "next_step_due", "owner_id": "next_step_owner"}.get(k, k): v
                   for k, v in exc.errors.items()}
        raise ProjectError(renamed) from None


def next_steps(project_ids: list[int]) -> dict[int, Task]:
    """Each project's next step: its open task due first (one query)."""
    if not project_ids:
        return {}
    stmt = (sa.select(Task).where(Task.subject_kind == SUBJECT, Task.subject_id.in_(project_ids),
                                  Task.status == "ouverte").order_by(Task.due_on.desc(), Task.id.desc()))
    found: dict[int, Task] = {}
    for task in db.session.scalars(stmt):
        found[task.subject_id] = task  # the last written is the earliest due
    return found


def is_in_progress(project: Project) -> bool:
    return Stage(project.stage) not in CLOSED


def kind_choices() -> list[tuple[str, Any]]:
    return [(kind.value, label) for kind, label in PROJECT_KIND_LABELS.items()]


def contact_label(contact_id: int) -> str:
    contact = db.session.get(Contact, contact_id)
    return contact.full_name if contact else ""


def contact_choices(organisation_id: int | None) -> list[Any]:
    """The people of the firm (a list that stays short, whatever the size of the base)."""
    if not organisation_id:
        return []
    rows = db.session.execute(sa.select(Contact.id, Contact.first_name, Contact.last_name)
                              .where(Contact.organisation_id == organisation_id).order_by(Contact.last_name_key))
    return [(i, f"{first} {last}".strip()) for i, first, last in rows]


def history(project: Project) -> list[tuple[AuditLog, list[ChangeLine]]]:
    """The project's audit entries, each change read with labels (stages and natures by their names)."""
    formats = {"stage": STAGE_FORMAT, "kind": mapped({k.value: label for k, label in PROJECT_KIND_LABELS.items()})}
    return [(entry, change_lines(entry.changes or {}, FIELD_LABELS, formats))
            for entry in audit.entries_for(ENTITY, project.id)]
