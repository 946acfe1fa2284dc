"""Unconfirmed signups are purged after SIGNUP_PURGE_AFTER_DAYS by a scheduler job."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import scheduler
from crm.consent.models import ConsentRecord, OptInStatus, Subscription
from crm.extensions import db
from crm.partners.models import Contact, Organisation
from crm.partners.services import ContactInput, save_contact
from crm.signup.jobs import purge_unconfirmed_signups
from crm.signup.models import Signup
from tests.signup.helpers import counts, form_data, link_in, path_of


def _age_signups(days: int) -> None:
    for signup in db.session.scalars(sa.select(Signup)):
        signup.created_at -= timedelta(days=days)
    db.session.commit()


def test_the_job_is_in_the_scheduler_list(app):
    from crm.signup.jobs import purge_unconfirmed_signups

    assert any(job.func is purge_unconfirmed_signups for job in scheduler.jobs_of(app))


def test_old_unconfirmed_signup_is_purged_with_what_it_created(app, client, outbox):
    client.post("/inscription", data=form_data())
    _age_signups(8)
    assert purge_unconfirmed_signups(app) == 1
    left = counts()
    assert (left["contacts"], left["organisations"], left["signups"], left["consent_records"]) == (0, 0, 0, 0)


def test_recent_or_confirmed_signups_stay(app, client, outbox):
    client.post("/inscription", data=form_data(email="confirmed@example.org"))
    client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/")))
    client.post("/inscription", data=form_data(email="recent@example.org"))
    _age_signups(3)
    assert purge_unconfirmed_signups(app) == 0
    app.config["SIGNUP_PURGE_AFTER_DAYS"] = 2
    assert purge_unconfirmed_signups(app) == 1
    emails = set(db.session.scalars(sa.select(Contact.email)))
    assert emails == {"confirmed@example.org"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_a_known_contact_is_kept_and_goes_back_to_its_previous_state(app, client, outbox):
    known = save_contact(ContactInput(email="anne.martin@example.org", first_name="Anne", last_name="Martin"))
    db.session.commit()
    client.post("/inscription", data=form_data())
    assert db.session.get(Subscription, known.id).status == OptInStatus.PENDING.value
    _age_signups(8)
    assert purge_unconfirmed_signups(app) == 1
    db.session.expire_all()
    assert db.session.get(Contact, known.id) is not None
    assert db.session.get(Subscription, known.id).status == OptInStatus.NONE.value
    actions = db.session.scalars(sa.select(ConsentRecord.action).where(ConsentRecord.contact_id == known.id)
                                 .order_by(ConsentRecord.id))
    assert list(actions) == ["subscribe", "expire"]
    assert counts()["signups"] == 0


def test_the_team_can_still_delete_a_contact_who_signed_up(app, client, outbox):
    from crm.partners.services import delete_contact

    client.post("/inscription", data=form_data(requests=["project", "kit"]))
    client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/")))
    delete_contact(db.session.scalar(sa.select(Contact)))
    db.session.commit()
    assert counts()["contacts"] == 0
