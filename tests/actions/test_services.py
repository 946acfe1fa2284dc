"""Actions, their status, funding and indicators: the rules, each from both sides."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.actions import plan, services
from crm.actions.models import Action, ActionStatus, FundingLine
from crm.actions.report import euros
from crm.audit.models import AuditLog
from crm.extensions import db
from tests.actions.helpers import action, axis, granted_line, organisation, person


def test_the_code_is_unique(app) -> None:
    action("2.3")
    with pytest.raises(services.ActionError) as error:
        action("2.3", "Une autre")
    assert "2.3" in error.value.errors["code"]
    action("2.4", "Une autre")  # another code is fine
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 2


def test_a_status_moves_forward_dated_and_audited_with_the_real_old_value(app) -> None:
    item = action(status=ActionStatus.VALIDATED)
    on = date.today() - timedelta(days=3)
    services.change_status(item, "en_cours", on)
    assert item.status == "en_cours" and item.status_since == on and item.actual_start == on
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "action")
                               .order_by(AuditLog.id.desc())).first()
    assert entry.changes["statut"] == ["Validée", "En cours"]


def test_a_status_cannot_go_back_nor_leave_an_end(app) -> None:
    item = action(status=ActionStatus.IN_PROGRESS)
    with pytest.raises(services.ActionError):
        services.change_status(item, "proposee")
    services.change_status(item, "suspendue")  # a pause is allowed...
    services.change_status(item, "en_cours")   # ...and so is the way back from it
    services.change_status(item, "abandonnee")
    with pytest.raises(services.ActionError):
        services.change_status(item, "en_cours")
    assert item.status == "abandonnee"


def test_the_pilot_contact_belongs_to_the_pilot_organisation(app) -> None:
    mine, other = organisation("Plasturgie Démo"), organisation("Autre Démo")
    someone = person("pilote@example.org", other)
    with pytest.raises(services.ActionError) as error:
        action(pilot_organisation_id=mine.id, pilot_contact_id=someone.id)
    assert "pilot_contact_id" in error.value.errors
    item = action(pilot_organisation_id=other.id, pilot_contact_id=someone.id)
    assert item.pilot.contact_id == someone.id


def test_money_is_exact_and_shown_the_french_way(app) -> None:
    item, funder = action(), organisation("Région (démo)")
    line = granted_line(item, funder, "12500", "0.1")
    granted_line(item, funder, "0.2", "0.2")
    db.session.commit()
    assert isinstance(db.session.get(FundingLine, line.id).amount_requested, Decimal)
    totals = plan.sections(plan.load())[1]
    assert totals.granted == Decimal("0.30") and totals.requested == Decimal("12500.20")
    assert euros(Decimal("12500")) == "12\u202f500,00\u00a0€"
    assert euros(Decimal("1234567.8")) == "1\u202f234\u202f567,80\u00a0€"
    with pytest.raises(services.ActionError):
        services.money("-3")


def test_a_granted_line_needs_its_amount_and_only_granted_lines_count(app) -> None:
    item, funder = action(), organisation("État (démo)")
    with pytest.raises(services.ActionError) as error:
        services.add_funding(item, services.FundingInput(funder_id=funder.id, scheme="France 2030",
                                                         amount_requested="100", status="accorde"))
    assert "amount_granted" in error.value.errors
    services.add_funding(item, services.FundingInput(funder_id=funder.id, scheme="France 2030",
                                                     amount_requested="100", amount_granted="80", status="refuse"))
    assert plan.sections(plan.load())[1].granted == Decimal("0")


def test_indicators_last_value_and_progress(app) -> None:
    item = action()
    indicator = services.add_indicator(item, "Entreprises impliquées", "entreprises", 10, 30)
    assert plan.load()["actions"][0]["indicators"][0]["values"] == []
    services.record_value(indicator, date.today() - timedelta(days=10), 15)
    services.record_value(indicator, date.today(), 20)
    loaded = plan.load()["actions"][0]["indicators"][0]
    assert plan.last_value(loaded) == (date.today().isoformat(), Decimal("20"))
    assert plan.indicator_progress(loaded) == 0.5
    assert services.progress(Decimal(10), Decimal(30), Decimal(50)) == 1.0
    with pytest.raises(services.ActionError):
        services.record_value(indicator, date.today() + timedelta(days=1), 3)
    with pytest.raises(services.ActionError):
        services.add_indicator(item, "Sans écart", "", 5, 5)


def test_the_plan_reads_in_the_same_number_of_queries_whatever_its_size(app) -> None:
    from crm.actions.demo import build_plan
    from tests.actions.query_count import count_queries

    build_plan(4)
    db.session.commit()
    with count_queries() as small:
        plan.load()
    build_plan(60)
    db.session.commit()
    with count_queries() as large:
        plan.load()
    assert small.count == large.count
    assert axis() is not None
