"""Reminders follow the event: queued for the yes, moved with the event, stopped by a no or a cancellation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from crm.events import answers, reminders, services
from crm.events.models import Invitation
from crm.extensions import db
from crm.mail.models import Delivery


def _deliveries(kind: str, status: str | None = None) -> list[Delivery]:
    db.session.expire_all()
    stmt = sa.select(Delivery).where(Delivery.kind == kind)
    if status:
        stmt = stmt.where(Delivery.status == status)
    return list(db.session.scalars(stmt.order_by(Delivery.next_attempt_at)))


def _setup(make_event: Any, contacts: Any) -> tuple[Any, Invitation, Invitation]:
    event = make_event()
    yes, no, _ = services.invite_contacts(event, [c.id for c in contacts]).added
    db.session.commit()
    answers.answer(yes.id, True)
    answers.answer(no.id, False)
    db.session.commit()
    return event, yes, no


def test_a_yes_gets_the_default_reminders_7_and_1_days_before(make_event: Any, contacts: Any) -> None:
    event, yes, _ = _setup(make_event, contacts)
    queued = _deliveries("reminder", "queued")
    assert [d.source_id for d in queued] == [yes.id, yes.id]
    assert [event.starts_at - d.next_attempt_at for d in queued] == [timedelta(days=7), timedelta(days=1)]
    assert all(d.dedupe_key.endswith(f":{event.sequence}") for d in queued)
    # Answering yes again queues nothing more.
    answers.answer(yes.id, True)
    db.session.commit()
    assert len(_deliveries("reminder")) == 2


def test_changing_to_no_cancels_the_reminders_and_yes_again_requeues_them(make_event: Any, contacts: Any) -> None:
    event, yes, _ = _setup(make_event, contacts)
    answers.answer(yes.id, False)
    db.session.commit()
    assert _deliveries("reminder", "queued") == []
    assert len(_deliveries("reminder", "cancelled")) == 2
    answers.answer(yes.id, True)
    db.session.commit()
    assert len(_deliveries("reminder", "queued")) == 2


def test_moving_the_event_moves_pending_reminders_and_mails_an_update(make_event: Any, contacts: Any) -> None:
    event, yes, no = _setup(make_event, contacts)
    before = {d.dedupe_key for d in _deliveries("reminder", "queued")}
    later = event.starts_at + timedelta(days=14, hours=2)
    services.update_event(event, services.EventInput(
        kind=event.kind, title=event.title, starts_at=later, ends_at=later + timedelta(hours=3), place=event.place))
    db.session.commit()
    queued = _deliveries("reminder", "queued")
    assert [later - d.next_attempt_at for d in queued] == [timedelta(days=7), timedelta(days=1)]
    assert {d.dedupe_key for d in queued}.isdisjoint(before)
    assert {d.dedupe_key for d in _deliveries("reminder", "cancelled")} == before
    # Only those already mailed get an update; nobody has been sent anything yet in this test.
    assert _deliveries("event_update") == []


def test_changing_only_the_title_raises_sequence_without_update_mail(make_event: Any, contacts: Any) -> None:
    event, _, _ = _setup(make_event, contacts)
    sequence = event.sequence
    notified = services.update_event(event, services.EventInput(
        kind=event.kind, title="Comité technique — printemps", starts_at=event.starts_at, ends_at=event.ends_at,
        place=event.place))
    db.session.commit()
    assert not notified and event.sequence == sequence + 1


def test_reminder_rules_are_data_per_event(make_event: Any, contacts: Any) -> None:
    event, yes, _ = _setup(make_event, contacts)
    services.update_event(event, services.EventInput(
        kind=event.kind, title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, place=event.place,
        reminder_minutes=[2 * 60]))
    db.session.commit()
    queued = _deliveries("reminder", "queued")
    assert [event.starts_at - d.next_attempt_at for d in queued] == [timedelta(hours=2)]
    assert [r.minutes_before for r in event.reminder_rules] == [120]


def test_cancelling_stops_reminders(make_event: Any, contacts: Any) -> None:
    event, yes, _ = _setup(make_event, contacts)
    services.cancel_event(event)
    db.session.commit()
    assert _deliveries("reminder", "queued") == []
    assert reminders.pending_for(yes) == []
    # A yes after the cancellation is refused and queues nothing.
    assert answers.answer(yes.id, True) is answers.Outcome.EVENT_CANCELLED


def test_invitations_skip_blocked_and_unsubscribed_addresses_and_say_why(make_event: Any,
                                                                          contacts: Any) -> None:
    from crm.consent.models import SuppressionReason
    from crm.consent.services import suppress

    suppress(contacts[0].email, SuppressionReason.HARD_BOUNCE)
    suppress(contacts[1].email, SuppressionReason.UNSUBSCRIBE)  # "unsubscribe from everything" covers invitations
    event = make_event()
    result = services.invite_contacts(event, [c.id for c in contacts])
    db.session.commit()
    assert result.unreachable == 2
    assert result.left_out == {"adresse invalide (rejet définitif)": 1, "désinscrit de tous les envois": 1}
    assert [i.contact_id for i in result.added] == [contacts[2].id]
    assert len(_deliveries("invitation", "queued")) == 1
    # Inviting the same people again adds no one twice.
    again = services.invite_contacts(event, [c.id for c in contacts])
    assert again.added == [] and again.already == 1


def test_reminder_job_is_idempotent_and_repairs_missing_reminders(app: Any, make_event: Any, contacts: Any) -> None:
    from crm.events.jobs import sync_reminders

    event, yes, _ = _setup(make_event, contacts)
    db.session.execute(sa.delete(Delivery).where(Delivery.kind == "reminder"))
    db.session.commit()
    sync_reminders(app)
    sync_reminders(app)
    db.session.expire_all()
    assert len(_deliveries("reminder", "queued")) == 2
