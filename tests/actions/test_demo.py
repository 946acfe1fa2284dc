"""The demo gives a living plan: 26 actions over the four axes, pilots, funding, indicators, a past version; every
page of the plan shows it."""

from __future__ import annotations

import sqlalchemy as sa

from crm.actions import plan, versions
from crm.actions.models import Action, ActionPilot, CommitteeSession, FundingLine, Indicator
from crm.demo import load_demo_data
from crm.extensions import db


def test_the_demo_plan_and_every_page_showing_it(client, login) -> None:
    assert load_demo_data()
    db.session.commit()
    count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    assert count(Action) == 26 and count(ActionPilot) == 26
    assert count(FundingLine) >= 26 and count(Indicator) >= 26
    assert len({a["axis_id"] for a in plan.load()["actions"]}) == 4
    version = versions.latest()
    assert version.session.closed_at is not None and len(version.snapshot["actions"]) == 26
    assert versions.compare(version.snapshot, plan.load()).indicators  # measures came in since
    login("viewer")
    action_id = db.session.scalar(sa.select(Action.id).limit(1))
    session_id = db.session.scalar(sa.select(CommitteeSession.id))
    for url in ["/admin/plan-d-actions/", f"/admin/plan-d-actions/{action_id}", "/admin/plan-d-actions/versions/",
                f"/admin/plan-d-actions/versions/{version.id}", "/admin/plan-d-actions/etat-d-avancement",
                "/admin/plan-d-actions/etat-d-avancement/imprimer", "/admin/plan-d-actions/comites/",
                f"/admin/plan-d-actions/comites/{session_id}", "/admin/plan-d-actions/propositions/",
                "/plan-d-actions/", "/admin/"]:
        assert client.get(url).status_code == 200, url
