"""The committee: closing applies every decision and freezes a version, or nothing at all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.actions import committee, versions
from crm.actions.models import Action, ActionStatus, PlanVersion
from crm.actions import services
from crm.extensions import db
from tests.actions.helpers import action, committee_event, granted_line, organisation


def _session_with(decisions: list[tuple[Action, str | None, int | None]]):
    session = committee.open_session(committee_event().id)
    committee.add_to_agenda(session, [a.id for a, _, _ in decisions])
    for item, (_, status, priority) in zip(session.items, decisions, strict=True):
        committee.record_decision(session, item.id, status, priority, "Avis favorable")
    db.session.commit()
    return session


def _versions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PlanVersion))


def test_a_session_needs_a_technical_committee_event(app) -> None:
    from crm.events.models import Event

    event = committee_event()
    other = Event(uid="atelier@test", kind="atelier", title="Atelier", starts_at=event.starts_at,
                  ends_at=event.ends_at)
    db.session.add(other)
    db.session.flush()
    with pytest.raises(committee.CommitteeError):
        committee.open_session(other.id)
    assert committee.open_session(event.id).event_id == event.id


def test_closing_applies_every_decision_and_freezes_a_version(client, login) -> None:
    first, second = action("1.1", status=ActionStatus.PROPOSED), action("1.2", status=ActionStatus.VALIDATED)
    session = _session_with([(first, "validee", 1), (second, "en_cours", None)])
    login("editor")
    response = client.post(f"/admin/plan-d-actions/comites/{session.id}/clore", data={})
    assert response.status_code == 302 and "/versions/" in response.location
    assert db.session.get(Action, first.id).status == "validee" and db.session.get(Action, first.id).priority == 1
    assert db.session.get(Action, second.id).status == "en_cours"
    version = versions.latest()
    assert version.session_id == session.id
    assert {a["code"]: a["status"] for a in version.snapshot["actions"]} == {"1.1": "validee", "1.2": "en_cours"}


def test_a_decision_failing_in_the_middle_leaves_no_decision_applied_and_no_version(client, login) -> None:
    # The first decision is valid and applied first; the second cannot apply (an ended action cannot restart).
    first, second = action("1.1", status=ActionStatus.PROPOSED), action("1.2", status=ActionStatus.DONE)
    session = _session_with([(first, "validee", 2), (second, "en_cours", None)])
    login("editor")
    response = client.post(f"/admin/plan-d-actions/comites/{session.id}/clore", data={}, follow_redirects=True)
    assert "aucune décision n&#39;a été appliquée" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Action, first.id).status == "proposee" and db.session.get(Action, first.id).priority is None
    assert _versions() == 0
    assert session.closed_at is None


def test_a_failure_while_freezing_leaves_no_decision_applied(client, login, monkeypatch) -> None:
    first = action("1.1", status=ActionStatus.PROPOSED)
    session = _session_with([(first, "etude", None)])

    def broken(*args, **kwargs):
        raise services.ActionError("Le gel de la version a échoué.")

    monkeypatch.setattr(versions, "freeze", broken)
    login("editor")
    client.post(f"/admin/plan-d-actions/comites/{session.id}/clore", data={})
    assert db.session.get(Action, first.id).status == "proposee"
    assert _versions() == 0


def test_a_closed_session_changes_no_more(app) -> None:
    first = action("1.1")
    session = _session_with([(first, "etude", None)])
    committee.close(session)
    db.session.commit()
    with pytest.raises(committee.CommitteeError):
        committee.record_decision(session, session.items[0].id, "validee", None, "")
    with pytest.raises(committee.CommitteeError):
        committee.close(session)


def test_comparing_two_versions_lists_what_moved(app) -> None:
    kept, ended = action("2.1", status=ActionStatus.VALIDATED), action("2.2", status=ActionStatus.IN_PROGRESS)
    indicator = services.add_indicator(kept, "Entreprises impliquées", "entreprises", 0, 10)
    services.record_value(indicator, date.today() - timedelta(days=30), 2)
    line = granted_line(kept, organisation("Région (démo)"), "5000")
    milestone = services.add_milestone(ended, "Bilan", date.today())
    old = versions.freeze()
    # Between the two versions:
    added = action("2.3", "Nouvelle action")
    services.change_status(kept, "en_cours")
    services.record_value(indicator, date.today(), 6)
    services.update_funding(line, services.FundingInput(funder_id=line.funder_id, scheme=line.scheme,
                                                        amount_requested="5000", amount_granted="4000.50",
                                                        status="accorde"))
    services.mark_milestone_done(ended, milestone.id)
    new = versions.freeze()
    changes = versions.compare(old.snapshot, new.snapshot)
    assert [a["code"] for a in changes.added] == ["2.3"]
    assert [(a["code"], o, n) for a, o, n in changes.statuses] == [("2.1", "validee", "en_cours")]
    assert [(a["code"], i["name"], o, n) for a, i, o, n in changes.indicators] == [
        ("2.1", "Entreprises impliquées", "2", "6")]
    assert [(a["code"], str(o), str(n)) for a, _, o, n in changes.funding] == [("2.1", "0.00", "4000.50")]
    assert [(a["code"], m["title"]) for a, m in changes.milestones] == [("2.2", "Bilan")]
    assert not changes.removed
    assert versions.compare(new.snapshot, new.snapshot).empty
    assert added.id


def test_an_action_page_lists_the_committees_that_reviewed_it(client, login) -> None:
    reviewed, other = action("1.1", "Revue"), action("1.2", "Jamais revue")
    session = committee.open_session(committee_event().id)
    committee.add_to_agenda(session, [reviewed.id])
    db.session.commit()
    login("viewer")
    shown = client.get(f"/admin/plan-d-actions/{reviewed.id}").get_data(as_text=True)
    assert f'href="/admin/evenements/{session.event_id}"' in shown and "Comité technique semestriel" in shown
    assert f'href="/admin/evenements/{session.event_id}"' not in client.get(
        f"/admin/plan-d-actions/{other.id}").get_data(as_text=True)
