"""Prospects with no contact initiated by them for 3 years are listed for review, then erased after a grace."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from crm.consent import services as consent
from crm.consent.models import ConsentAction
from crm.db import utcnow
from crm.extensions import db
from crm.partners import services as partners
from crm.partners.models import AmbassadorStatus, Contact
from crm.privacy import retention
from crm.imports.jobs import purge_uploads
from crm.privacy.jobs import retention as retention_job
from crm.privacy.models import RetentionReview, ReviewStatus
from tests import factories


def _contact(email: str, years_ago: float, organisation=None) -> Contact:  # type: ignore[no-untyped-def]
    return factories.contact(email, "Prospect", email[:5], organisation=organisation,
                             created_at=utcnow() - timedelta(days=365 * years_ago))


def test_stale_prospects_are_listed_then_purged_after_the_grace_period(app, tmp_path) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    (tmp_path / "old.data").write_bytes(b"x")
    import os

    os.utime(tmp_path / "old.data", (0, 0))  # an upload left behind long ago
    old = _contact("ancien@example.org", 4)
    recent = _contact("recent@example.org", 1)
    signed_up = _contact("inscrit@example.org", 5)
    entry = consent.record(signed_up, ConsentAction.SUBSCRIBE, source="form")
    entry.at = utcnow() - timedelta(days=200)  # they signed up themselves this year
    ambassador = _contact("ambassadeur@example.org", 5)
    partners.set_ambassador_status(ambassador, AmbassadorStatus.ACTIVE)
    club = partners.save_organisation(partners.OrganisationInput(name="Membre du Club Fictif"))
    partners.join_club(club, date.today() - timedelta(days=10))
    member = _contact("membre@example.org", 5, club)
    imported = _contact("importe@example.org", 4)
    old_import = consent.record(imported, ConsentAction.IMPORT, source="import")  # not their own initiative
    old_import.at = utcnow() - timedelta(days=10)
    db.session.commit()

    stale = {s.contact_id for s in retention.stale_prospects()}
    assert stale == {old.id, imported.id}
    assert retention.flag_for_review() == 2
    db.session.commit()
    assert retention.flag_for_review() == 0  # already listed
    reviews = {r.contact_id: r for r in db.session.scalars(sa.select(RetentionReview))}
    retention.keep(reviews[imported.id])
    db.session.commit()

    retention_job(app)  # the grace period has not ended: nothing erased
    purge_uploads(app)
    assert list(tmp_path.iterdir()) == []  # the forgotten upload is gone
    assert db.session.get(Contact, old.id).email == "ancien@example.org"
    assert retention.purge_due(utcnow() + timedelta(days=31)) == 1
    db.session.commit()
    assert db.session.get(Contact, old.id).email is None
    assert db.session.get(Contact, imported.id).email == "importe@example.org"
    assert db.session.get(RetentionReview, reviews[old.id].id).status == ReviewStatus.PURGED.value
    for other in (recent, signed_up, ambassador, member):
        assert db.session.get(Contact, other.id).email is not None


def test_an_answer_to_an_invitation_counts_as_their_initiative(app) -> None:
    from tests.privacy import people

    event = people.make_event("Visite (test)")
    assert event is not None
    answered = _contact("a.repondu@example.org", 4)
    people._invite(answered, event, "accepted")  # answered_at = now
    silent = _contact("silencieux@example.org", 4)
    people._invite(silent, event, "invited")
    db.session.commit()
    assert {s.contact_id for s in retention.stale_prospects()} == {silent.id}


def test_retention_period_is_configurable(make_app) -> None:
    app = make_app(RETENTION_YEARS=1)
    with app.app_context():
        contact = _contact("deux.ans@example.org", 2)
        db.session.commit()
        assert [s.contact_id for s in retention.stale_prospects()] == [contact.id]


def test_review_page_keep_and_erase(app, client, login) -> None:
    contact = _contact("ancien@example.org", 4)
    other = _contact("autre.ancien@example.org", 4)
    db.session.commit()
    login("admin")
    response = client.post("/admin/rgpd/conservation/examiner", follow_redirects=True)
    assert "2 prospect(s) ajouté(s)" in response.get_data(as_text=True)
    reviews = {r.contact_id: r.id for r in db.session.scalars(sa.select(RetentionReview))}
    client.post(f"/admin/rgpd/conservation/{reviews[contact.id]}/garder")
    client.post(f"/admin/rgpd/conservation/{reviews[other.id]}/effacer")
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).email == "ancien@example.org"
    assert db.session.get(Contact, other.id).email is None
    page = client.get("/admin/rgpd/conservation").get_data(as_text=True)
    assert "Aucun prospect à examiner" in page
