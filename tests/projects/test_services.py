"""A project moves from stage to stage: each change dated and audited with the stage it really left; « financé »
needs a granted funding line, « abandonné » a reason; bad input writes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.actions.models import FundingLine
from crm.audit.models import AuditLog
from crm.errors import ValidationError
from crm.extensions import db
from crm.projects import services
from crm.projects.models import Project, StageChange
from crm.tasks.models import Task
from tests.projects.helpers import grant, organisation, project, team_member


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_a_new_project_has_its_first_stage_owner_and_next_step(app) -> None:
    owner = team_member()
    item = project(owner, due_in=7)
    db.session.commit()
    assert item.stage == "premier_echange" and item.owner_id == owner.id
    assert item.person is not None and item.person.contact.last_name == "Exemple"
    step = services.next_steps([item.id])[item.id]
    assert step.owner_id == owner.id and step.due_on == date.today() + timedelta(days=7)
    assert [c.to_stage for c in item.stage_changes] == ["premier_echange"]


def test_a_project_needs_its_firm_an_owner_and_a_next_step_and_writes_nothing_otherwise(app) -> None:
    owner = team_member()
    viewer = team_member("lecteur@example.org", role="viewer")
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        services.create_project(services.ProjectInput(organisation_id=None, title=" ", owner_id=viewer.id),
                                "", None, owner.id)
    assert {"organisation_id", "title", "owner_id"} <= set(refused.value.errors)
    db.session.rollback()
    org = organisation()
    with pytest.raises(ValidationError) as refused:
        services.create_project(services.ProjectInput(organisation_id=org.id, title="Presse", owner_id=owner.id,
                                                      investment="-5"), "", None, owner.id)
    assert set(refused.value.errors) == {"investment", "next_step", "next_step_due"}
    with pytest.raises(ValidationError) as refused:
        services.create_project(services.ProjectInput(organisation_id=org.id, title="Presse", owner_id=owner.id),
                                "", None, owner.id)
    assert refused.value.errors == {"next_step": "Indiquez la prochaine étape.",
                                    "next_step_due": "Indiquez l'échéance de la prochaine étape."}
    db.session.rollback()
    assert _count(Project) == 0 and _count(Task) == 0


def test_stage_changes_are_audited_with_the_real_old_stage(app) -> None:
    owner = team_member()
    item = project(owner)
    services.change_stage(item, "qualification", user_id=owner.id)
    services.change_stage(item, "accompagnement", user_id=owner.id)
    services.change_stage(item, "en_pause", "L'entreprise attend son bilan", user_id=owner.id)
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "project",
                                                           AuditLog.action == "stage").order_by(AuditLog.id)).all()
    assert [e.changes["stage"] for e in entries] == [["premier_echange", "qualification"],
                                                     ["qualification", "accompagnement"],
                                                     ["accompagnement", "en_pause"]]
    assert entries[1].summary == "Étape : Qualification → Accompagnement"
    assert entries[2].changes["raison"] == "L'entreprise attend son bilan"
    changes = db.session.scalars(sa.select(StageChange).where(StageChange.project_id == item.id)
                                 .order_by(StageChange.id)).all()
    assert [(c.from_stage, c.to_stage) for c in changes] == [
        (None, "premier_echange"), ("premier_echange", "qualification"), ("qualification", "accompagnement"),
        ("accompagnement", "en_pause")]
    # The page reads the history with labels, not codes.
    shown = [(line.label, line.before, line.after) for entry, found in services.history(item) for line in found
             if entry.id == entries[2].id]
    assert ("Étape", "Accompagnement", "En pause") in shown


def test_funded_is_refused_without_a_granted_line_and_allowed_with_one(app) -> None:
    owner = team_member()
    item = project(owner)
    funder = organisation("Région Fictive")
    grant(item, funder, granted=None)  # requested only
    db.session.commit()
    before = (_count(StageChange), _count(AuditLog))
    with pytest.raises(ValidationError) as refused:
        services.change_stage(item, "finance", user_id=owner.id)
    assert "sans financement accordé" in refused.value.errors["stage"]
    db.session.rollback()
    assert db.session.get(Project, item.id).stage == "premier_echange"
    assert (_count(StageChange), _count(AuditLog)) == before
    grant(item, funder, granted="80000")
    services.change_stage(item, "finance", user_id=owner.id)
    db.session.commit()
    assert item.stage == "finance" and item.granted == Decimal("80000.00")


def test_abandon_needs_a_reason_and_cancels_the_open_steps(app) -> None:
    owner = team_member()
    item = project(owner)
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        services.change_stage(item, "abandonne", "  ", owner.id)
    assert refused.value.errors == {"reason": "Indiquez pourquoi le projet est abandonné."}
    db.session.rollback()
    with pytest.raises(ValidationError):
        services.change_stage(item, "premier_echange", "", owner.id)  # where it already is
    with pytest.raises(ValidationError):
        services.change_stage(item, "inconnue", "", owner.id)
    db.session.rollback()
    services.change_stage(item, "abandonne", "Projet reporté sine die", owner.id)
    db.session.commit()
    assert item.closing_reason == "Projet reporté sine die"
    assert services.next_steps([item.id]) == {}
    assert db.session.scalar(sa.select(Task.status)) == "annulee"


def test_one_funding_model_for_actions_and_projects(app) -> None:
    """A line belongs to exactly one owner: an action of the plan or a project (a check in the database)."""
    from tests.actions.helpers import action

    owner = team_member()
    item = project(owner)
    funder = organisation("Région Fictive")
    line = grant(item, funder)
    db.session.commit()
    assert line.project_id == item.id and line.action_id is None
    plan_action = action()
    db.session.commit()
    both = FundingLine(project_id=item.id, action_id=plan_action.id, funder_id=funder.id, scheme="x",
                       amount_requested=Decimal("1"))
    db.session.add(both)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(FundingLine(funder_id=funder.id, scheme="x", amount_requested=Decimal("1")))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    # The plan's own totals do not count a project's line.
    from crm.actions import plan

    assert all(f["id"] != line.id for a in plan.load()["actions"] for f in a["funding"])
