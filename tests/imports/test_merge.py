"""Merging two contacts (or organisations) keeps every note, consent, delivery and invitation of both."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.consent.models import ConsentRecord, OptInStatus, Subscription
from crm.consent import services as consent
from crm.extensions import db
from crm.imports.duplicates import contact_duplicates, organisation_duplicates
from crm.imports.merging import MergeError, merge_contacts, merge_organisations
from crm.partners import services as partners
from crm.partners.models import ClubMembership, Contact, Note, Organisation
from tests.privacy import people


def _ids(table: str, column: str, value: int) -> list[dict]:
    tbl = db.metadata.tables[table]
    return [dict(r) for r in db.session.execute(sa.select(tbl).where(tbl.c[column] == value)).mappings()]


def test_merge_contacts_keeps_everything_of_both(app, make_user) -> None:
    user = make_user("editor")
    organisation = people.make_organisation()
    shared_event = people.make_event("Comité technique (test)")
    own_event = people.make_event("Atelier compétences (test)", days=40)
    events_a = [e for e in [shared_event] if e]
    events_b = [e for e in [shared_event, own_event] if e]
    keep = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "", organisation,
                              events=events_a, status="invited")
    elsewhere = people.make_organisation("Autre Structure Fictive")  # same commune
    drop = people.make_person("Camile", "Exemple", "c.exemple@example.org", "02 33 55 44 33", elsewhere,
                              events=events_b, status="accepted")
    consent.set_status(drop, OptInStatus.UNSUBSCRIBED)
    db.session.commit()
    keep_id, drop_id = keep.id, drop.id
    before = {name: len(rows) for name, rows in people.generic_dump(keep_id).items()}
    before_drop = {name: len(rows) for name, rows in people.generic_dump(drop_id).items()}
    drop_audit = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "contact", AuditLog.entity_id == drop_id))

    pair = next(p for p in contact_duplicates() if {p.first_id, p.second_id} == {keep_id, drop_id})
    assert pair.reasons == ["noms proches dans la même commune"]
    report = merge_contacts(keep, drop, user_id=user.id)
    db.session.commit()

    assert db.session.get(Contact, drop_id) is None
    after = {name: len(rows) for name, rows in people.generic_dump(keep_id).items()}
    # Rows with no unique constraint on the contact are all there: notes, consent ledger, deliveries.
    for name in ("notes.contact_id", "consent_records.contact_id", "deliveries.contact_id"):
        if name in before:
            assert after[name] == before[name] + before_drop[name], name
    # One subscription (the most restrictive state wins: the unsubscribe is not undone).
    assert db.session.get(Subscription, keep_id).status == OptInStatus.UNSUBSCRIBED.value
    kept = db.session.get(Contact, keep_id)
    assert kept.phone == "02 33 55 44 33" and kept.organisation_id == organisation.id  # empty fields filled
    assert {c.action for c in db.session.scalars(sa.select(ConsentRecord).where(ConsentRecord.contact_id == keep_id))} \
        >= {"subscribe", "confirm"}
    if shared_event:
        invitations = {row["event_id"]: row for row in _ids("invitations", "contact_id", keep_id)}
        assert set(invitations) == {shared_event, own_event}
        assert invitations[shared_event]["status"] == "accepted"  # the answer given wins over "invited"
        combined = [c for c in report.combined if c["table"] == "invitations"]
        assert combined and combined[0]["dropped_row"]["status"] == "accepted"
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "merge"))
    assert log.user_id == user.id and log.changes["merged_contact"]["email"] == "c.exemple@example.org"
    assert any(c["table"] == "subscriptions" for c in log.changes["combined"])
    moved_audit = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "contact", AuditLog.entity_id == keep_id))
    assert moved_audit >= drop_audit + 1


def test_merge_refuses_same_record(app) -> None:
    contact = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "")
    try:
        merge_contacts(contact, contact)
    except MergeError as exc:
        assert "deux contacts différents" in str(exc)
    else:
        raise AssertionError


def test_merge_organisations_moves_contacts_notes_and_sectors(app) -> None:
    keep = people.make_organisation("Plasturgie Fictive d'Alençon")
    drop = partners.save_organisation(partners.OrganisationInput(
        name="Plasturgie Fictive Alencon", kind="entreprise", sectors=["numerique"], postal_code="61000",
        commune="Alençon", website="https://www.example.org"))
    people.make_person("Inès", "Modèle", "ines.modele@example.org", "", drop)
    partners.join_club(drop, __import__("datetime").date(2024, 1, 10))
    db.session.commit()
    pairs = organisation_duplicates()
    assert any({p.first_id, p.second_id} == {keep.id, drop.id} for p in pairs)
    drop_id = drop.id
    merge_organisations(keep, drop)
    db.session.commit()
    assert db.session.get(Organisation, drop_id) is None
    kept = db.session.get(Organisation, keep.id)
    assert [c.email for c in kept.contacts] == ["ines.modele@example.org"]
    assert {s.code for s in kept.sectors} == {"plasturgie", "numerique"}
    assert kept.website == "https://www.example.org" and kept.current_membership is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note).where(Note.organisation_id == keep.id)) == 1


def test_duplicates_and_merge_pages(app, client, login) -> None:
    organisation = people.make_organisation()
    a = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "", organisation)
    b = people.make_person("Camille", "Exemple", "camille.ex@example.org", "", organisation)
    db.session.commit()
    a_id, b_id = a.id, b.id
    login("editor")
    page = client.get("/admin/donnees/doublons").get_data(as_text=True)
    assert "noms proches dans la même commune" in page
    assert client.get(f"/admin/donnees/doublons/contacts/{a_id}/{b_id}").status_code == 200
    response = client.post("/admin/donnees/doublons/contacts/fusionner", data={"keep": a_id, "drop": b_id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, b_id) is None
    assert client.post("/admin/donnees/doublons/contacts/fusionner", data={"keep": "x", "drop": ""}).status_code == 400


def test_merging_two_club_members_leaves_one_membership_spanning_both(app) -> None:
    keep = people.make_organisation("Usinage Fictif du Perche")
    drop = people.make_organisation("Usinage Fictif Perche")
    other = people.make_organisation("Fonderie Fictive")
    kept_since = partners.join_club(keep, date(2023, 3, 1))
    partners.join_club(drop, date(2021, 9, 15))
    partners.leave_club(partners.join_club(other, date(2020, 1, 1)), date(2022, 1, 1))
    # the dropped structure had an older, separate period too: it stays a period of its own
    old = ClubMembership(organisation=drop, joined_on=date(2015, 1, 1), left_on=date(2016, 6, 30))
    db.session.add(old)
    db.session.commit()
    keep_id, later_period_id = keep.id, kept_since.id

    report = merge_organisations(keep, drop)
    db.session.commit()

    periods = db.session.execute(sa.select(ClubMembership.joined_on, ClubMembership.left_on).where(
        ClubMembership.organisation_id == keep_id).order_by(ClubMembership.joined_on)).all()
    assert periods == [(date(2015, 1, 1), date(2016, 6, 30)), (date(2021, 9, 15), None)]
    assert db.session.get(Organisation, keep_id).current_membership.joined_on == date(2021, 9, 15)
    assert db.session.get(ClubMembership, later_period_id) is None  # folded into the earlier one
    folded = [entry for entry in report.combined if entry["table"] == "club_memberships"]
    assert len(folded) == 1 and folded[0]["dropped_row"]["joined_on"] == "2023-03-01"
    # another structure's periods are untouched
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClubMembership).where(
        ClubMembership.organisation_id == other.id)) == 1


def test_overlapping_and_touching_periods_become_one(app) -> None:
    organisation = people.make_organisation()
    for joined, left in [(date(2018, 1, 1), date(2019, 12, 31)), (date(2019, 12, 31), date(2020, 6, 30)),
                         (date(2020, 3, 1), date(2020, 5, 1)), (date(2021, 1, 1), date(2021, 2, 1))]:
        db.session.add(ClubMembership(organisation=organisation, joined_on=joined, left_on=left))
    db.session.flush()
    folded = partners.coalesce_club_memberships(organisation.id)
    assert len(folded) == 2 and [entry["kept_values_taken"] for entry in folded] == [{"left_on": "2020-06-30"}, {}]
    periods = db.session.execute(sa.select(ClubMembership.joined_on, ClubMembership.left_on).where(
        ClubMembership.organisation_id == organisation.id).order_by(ClubMembership.joined_on)).all()
    assert periods == [(date(2018, 1, 1), date(2020, 6, 30)), (date(2021, 1, 1), date(2021, 2, 1))]
