"""The demo gives a living pipeline: a dozen fictional projects at every stage, some funded, some overdue."""

from __future__ import annotations

import sqlalchemy as sa

from crm.actions.models import FundingLine
from crm.demo import load_demo_data
from crm.extensions import db
from crm.projects import figures
from crm.projects.models import STAGES, Project
from crm.tasks.services import overdue_count


def test_the_demo_pipeline_and_its_pages(client, login) -> None:
    assert load_demo_data()
    db.session.commit()
    projects = db.session.scalars(sa.select(Project)).all()
    assert len(projects) == 12
    assert {p.stage for p in projects} == {s.value for s in STAGES}
    assert all(p.owner is not None and p.owner.email.endswith("@example.org") for p in projects)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingLine).where(
        FundingLine.project_id.is_not(None), FundingLine.status == "accorde")) >= 2
    assert figures.overdue_next_steps() >= 3 and overdue_count(None) >= 3
    assert any(value is not None for value in figures.median_days_by_stage().values())
    login("viewer")
    for url in ["/admin/projets/", "/admin/projets/liste", "/admin/projets/chiffres", "/admin/projets/export.xlsx",
                f"/admin/projets/{projects[0].id}", "/admin/taches/?qui=all", "/admin/",
                f"/admin/structures/{projects[0].organisation_id}"]:
        assert client.get(url).status_code == 200, url
