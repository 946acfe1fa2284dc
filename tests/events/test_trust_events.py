"""Trust (issue "Trust"): a promoted waiting-list person gets one "place confirmée" and the waiting list its own
mail; an opt-out stops event mail to people who never answered, not the news of a registration they made."""

from __future__ import annotations

from typing import Any

from flask import Flask

from crm.events import answers, services as events
from crm.extensions import db
from crm.mail.pipeline import send_due
from crm.signup import preferences


def _answers(event: Any, people: list[Any]) -> list[Any]:
    added = events.invite_contacts(event, [p.id for p in people]).added
    db.session.commit()
    return added


def test_a_promoted_person_gets_one_place_confirmed_mail(app: Flask, make_event: Any, contacts: Any,
                                                        outbox: list[Any]) -> None:
    event = make_event(capacity=1)
    first, second, _ = _answers(event, contacts)
    answers.answer(first.id, True)
    answers.answer(second.id, True)  # waiting list
    db.session.commit()
    answers.answer(first.id, False)  # a seat frees up: the second is promoted before any mail left
    db.session.commit()
    send_due()
    to_second = [m.subject for m in outbox if m.recipients == [contacts[1].email]]
    assert to_second.count("Place confirmée : Comité technique semestriel") == 1
    assert not any(subject.startswith("Inscription confirmée") for subject in to_second)
    assert "Liste d'attente : Comité technique semestriel" not in to_second  # she is no longer waiting


def test_joining_the_waiting_list_gets_its_own_mail(app: Flask, make_event: Any, contacts: Any,
                                                    outbox: list[Any]) -> None:
    event = make_event(capacity=1)
    first, second, _ = _answers(event, contacts)
    answers.answer(first.id, True)
    answers.answer(second.id, True)
    db.session.commit()
    send_due()
    assert [m.subject for m in outbox if m.recipients == [contacts[1].email]][-1] == (
        "Liste d'attente : Comité technique semestriel")


def test_after_unsubscribing_only_news_of_an_accepted_registration_still_arrives(
        app: Flask, make_event: Any, contacts: Any, outbox: list[Any]) -> None:
    event = make_event()
    accepted, silent, _ = _answers(event, contacts)
    send_due()  # the invitations leave; the first person answers from hers
    answers.answer(accepted.id, True)
    db.session.commit()
    send_due()
    for person in contacts[:2]:
        preferences.unsubscribe(person, "one_click")
    db.session.commit()
    outbox.clear()
    moved = events.EventInput(kind=event.kind, title=event.title, starts_at=event.starts_at.replace(hour=8),
                              ends_at=event.ends_at, place="Autre salle, Alençon")
    assert events.update_event(event, moved)
    db.session.commit()
    events.resend_to_unanswered(event)
    db.session.commit()
    send_due()
    received = {(m.recipients[0], m.subject.split(" :")[0]) for m in outbox}
    assert (contacts[0].email, "Modification") in received  # she said yes: the move of her registration
    assert not any(address == contacts[1].email for address, _ in received)  # never answered: nothing
    assert (contacts[2].email, "Modification") in received and (contacts[2].email, "Invitation") in received
