from __future__ import annotations

import sqlalchemy as sa

from crm.auth.models import User
from crm.partners.models import Contact, Organisation, Sector


def test_users_create_takes_the_password_from_the_environment(runner, db, monkeypatch) -> None:
    monkeypatch.setenv("CRM_USER_PASSWORD", "un mot de passe solide")
    result = runner.invoke(args=["users", "create", "Cheffe@Example.org", "--role", "admin"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "cheffe@example.org" and user.role == "admin"
    assert user.check_password("un mot de passe solide")


def test_users_create_prompts_for_the_password(runner, db, monkeypatch) -> None:
    monkeypatch.delenv("CRM_USER_PASSWORD", raising=False)
    result = runner.invoke(args=["users", "create", "a@example.org"], input="mot de passe long\nmot de passe long\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User)).role == "viewer"


def test_users_create_refuses_a_duplicate_with_a_french_message(runner, monkeypatch) -> None:
    monkeypatch.setenv("CRM_USER_PASSWORD", "un mot de passe solide")
    runner.invoke(args=["users", "create", "a@example.org"])
    result = runner.invoke(args=["users", "create", "A@example.org"])
    assert result.exit_code != 0
    assert "existe déjà" in result.output


def test_taxonomy_load_is_idempotent(runner, db) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Sector))
    result = runner.invoke(args=["taxonomy", "load"])
    assert result.exit_code == 0 and "0 entrée(s) ajoutée(s)" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Sector)) == before == 4


def test_demo_data_loads_once(runner, db) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    organisations = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    contacts = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
    assert organisations >= 25 and contacts >= 60
    again = runner.invoke(args=["demo", "load"])
    assert "rien à faire" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == contacts
    emails = db.session.scalars(sa.select(Contact.email)).all()
    assert all(email.endswith("@example.org") for email in emails)
    # Every part of the back office has something to show.
    from crm.campaigns.models import Campaign
    from crm.consent.models import Subscription
    from crm.events.models import Event
    from crm.segments.models import Segment

    confirmed = db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)
                                  .where(Subscription.status == "confirmed"))
    assert 0 < confirmed < contacts
    for model in (Campaign, Event, Segment):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) >= 1
