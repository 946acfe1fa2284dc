"""RSVP links: GET shows, POST records, deadline, capacity and waiting list, bad tokens, two answers at once."""

from __future__ import annotations

import html
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from crm.db import utcnow
from crm.events import answers, services
from crm.events.models import Invitation, InvitationStatus
from crm.events.tokens import make_token, rsvp_url
from crm.extensions import db
from crm.mail.models import Delivery


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _path(invitation: Invitation) -> str:
    return rsvp_url(invitation).removeprefix("http://localhost")


def _invite(event: Any, contacts: list[Any]) -> list[Invitation]:
    result = services.invite_contacts(event, [c.id for c in contacts])
    db.session.commit()
    return result.added


def _status(invitation_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Invitation, invitation_id).status  # type: ignore[union-attr]


def test_get_shows_event_and_buttons_and_never_changes_anything(client: Any, make_event: Any, contacts: Any) -> None:
    event = make_event(place="Pôle Simone Veil, Alençon")
    invitation = _invite(event, contacts[:1])[0]
    deliveries_before = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    for _ in range(2):
        response = client.get(_path(invitation))
        assert response.status_code == 200
        page = _text(response)
        assert "Comité technique semestriel" in page and "Pôle Simone Veil" in page
        assert "Je viendrai" in page and "Je ne viendrai pas" in page
        assert "Sans réponse" in page
    assert _status(invitation.id) == "invited"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == deliveries_before


def test_post_records_answer_and_it_can_change_until_deadline(client: Any, make_event: Any, contacts: Any) -> None:
    event = make_event(answer_deadline=utcnow() + timedelta(days=10))
    invitation = _invite(event, contacts[:1])[0]
    response = client.post(_path(invitation), data={"answer": "yes"})
    assert response.status_code == 200
    assert "votre participation est enregistrée" in _text(response)
    assert _status(invitation.id) == "accepted"
    page = _text(client.get(_path(invitation)))
    assert 'id="current-answer">Oui<' in page
    response = client.post(_path(invitation), data={"answer": "no"})
    assert "ne pourrez pas venir" in _text(response)
    assert _status(invitation.id) == "declined"
    stored = db.session.get(Invitation, invitation.id)
    assert stored.answered_at is not None and stored.answer_count == 2


def test_after_deadline_answers_are_closed(client: Any, make_event: Any, contacts: Any) -> None:
    event = make_event(answer_deadline=utcnow() + timedelta(days=1))
    invitation = _invite(event, contacts[:1])[0]
    event.answer_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(_path(invitation))
    assert "Les réponses sont closes" in _text(page)
    assert "Je viendrai" not in _text(page)
    response = client.post(_path(invitation), data={"answer": "yes"})
    assert response.status_code == 409
    assert "Les réponses sont closes" in _text(response)
    assert _status(invitation.id) == "invited"


def test_full_event_puts_yes_on_waiting_list_and_a_decline_promotes(client: Any, make_event: Any,
                                                                     contacts: Any) -> None:
    event = make_event(capacity=1)
    first, second, _ = _invite(event, contacts)
    client.post(_path(first), data={"answer": "yes"})
    response = client.post(_path(second), data={"answer": "yes"})
    assert "liste d'attente" in _text(response)
    assert _status(second.id) == "waitlisted"
    assert "Liste d'attente" in _text(client.get(_path(second)))
    client.post(_path(first), data={"answer": "no"})
    assert _status(first.id) == "declined"
    assert _status(second.id) == "accepted"  # the freed seat goes to the waiting list
    keys = set(db.session.scalars(sa.select(Delivery.dedupe_key).where(
        Delivery.kind == "rsvp_confirmation", Delivery.source_id == second.id)))
    assert len(keys) == 2  # the waiting-list notice, then the confirmation with the calendar file


def test_bad_answer_value_changes_nothing(client: Any, make_event: Any, contacts: Any) -> None:
    invitation = _invite(make_event(), contacts[:1])[0]
    response = client.post(_path(invitation), data={"answer": "maybe"})
    assert response.status_code == 400
    assert "n'a pas pu être lue" in _text(response)
    assert _status(invitation.id) == "invited"


def test_forged_expired_and_other_event_tokens_change_nothing(client: Any, make_event: Any, contacts: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    event, other = make_event(), make_event(title="Atelier recrutement")
    invitation = _invite(event, contacts[:1])[0]
    other_invitation = _invite(other, contacts[1:2])[0]
    token = make_token(invitation)

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for method in ("get", "post"):
        response = getattr(client, method)(f"/evenements/{event.id}/reponse/{forged}", data={"answer": "yes"})
        assert response.status_code == 404
        assert "n'est pas valide" in _text(response)

    # A valid token of another event, used under this event's address.
    response = client.post(f"/evenements/{event.id}/reponse/{make_token(other_invitation)}", data={"answer": "yes"})
    assert response.status_code == 404
    assert "concerne un autre événement" in _text(response)

    # A token signed long ago.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 500 * 24 * 3600)
    old = make_token(invitation)
    monkeypatch.setattr(time, "time", real_time)
    response = client.post(f"/evenements/{event.id}/reponse/{old}", data={"answer": "yes"})
    assert response.status_code == 410
    assert "a expiré" in _text(response)

    # The same signature purpose-scoped elsewhere is refused: a signup-like token with another salt.
    from itsdangerous import URLSafeTimedSerializer

    foreign = URLSafeTimedSerializer("test-secret", salt="preferences").dumps(
        {"i": invitation.id, "e": event.id, "n": invitation.token})
    assert client.post(f"/evenements/{event.id}/reponse/{foreign}", data={"answer": "yes"}).status_code == 404

    # A link whose invitation nonce was replaced is void.
    stale = make_token(invitation)
    db.session.get(Invitation, invitation.id).token = "replaced-nonce"
    db.session.commit()
    assert client.post(f"/evenements/{event.id}/reponse/{stale}", data={"answer": "yes"}).status_code == 404

    assert _status(invitation.id) == "invited" and _status(other_invitation.id) == "invited"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(
        Delivery.kind == "rsvp_confirmation")) == 0


def _answer_at_once(app: Any, paths: list[str], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Two answers posted at the same moment; each waits a little after reading the seats taken, so an
    implementation without the lock would let both read the same count."""
    real_count = answers.seats_taken

    def slow_count(event_id: int) -> int:
        value = real_count(event_id)
        time.sleep(0.3)
        return value

    monkeypatch.setattr(answers, "seats_taken", slow_count)
    barrier = threading.Barrier(len(paths))
    codes: list[int] = []
    errors: list[BaseException] = []

    def post(path: str) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            codes.append(client.post(path, data={"answer": "yes"}).status_code)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return codes


def test_capacity_holds_under_two_answers_at_once(app: Any, make_event: Any, contacts: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    event = make_event(capacity=1)
    first, second, _ = _invite(event, contacts)
    paths, ids, event_id = [_path(first), _path(second)], [first.id, second.id], event.id
    db.session.commit()
    db.session.remove()
    codes = _answer_at_once(app, paths, monkeypatch)
    assert codes == [200, 200]
    assert sorted(_status(i) for i in ids) == ["accepted", "waitlisted"]
    assert answers.seats_taken(event_id) == 1


def test_deadline_holds_under_two_answers_at_once(app: Any, make_event: Any, contacts: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    event = make_event(capacity=5, answer_deadline=utcnow() + timedelta(days=1))
    first, second, _ = _invite(event, contacts)
    paths, ids = [_path(first), _path(second)], [first.id, second.id]
    event.answer_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    db.session.remove()
    codes = _answer_at_once(app, paths, monkeypatch)
    assert codes == [409, 409]
    assert [_status(i) for i in ids] == [InvitationStatus.INVITED.value] * 2


def test_feed_lists_upcoming_public_events_only(client: Any, make_event: Any) -> None:
    make_event(title="Visite publique", is_public=True)
    make_event(title="Réunion interne")
    cancelled = make_event(title="Lancement annulé", is_public=True)
    services.cancel_event(cancelled)
    db.session.commit()
    response = client.get("/evenements.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = _text(response)
    assert "Visite publique" in body and "Réunion interne" not in body and "annulé" not in body
    assert "METHOD:PUBLISH" in body


def test_answer_with_csrf_protection_on(make_app: Any, contacts: Any, make_event: Any) -> None:
    import re

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        invitation = _invite(make_event(), contacts[:1])[0]
        path, invitation_id = _path(invitation), invitation.id
        client = app.test_client()
        assert client.post(path, data={"answer": "yes"}, csrf=False).status_code == 400  # no token: nothing recorded
        assert _status(invitation_id) == "invited"
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(client.get(path)))
        assert token is not None
        assert client.post(path, data={"answer": "yes", "csrf_token": token.group(1)}).status_code == 200
        assert _status(invitation_id) == "accepted"
