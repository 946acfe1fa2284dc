"""Segments: saved filters over contacts, a live count, bad input refused with nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.extensions import db
from crm.partners.models import ClubMembership, Organisation, Sector
from crm.segments import services
from crm.segments.models import Segment
from crm.segments.services import SegmentCriteria
from tests.factories import campaign, subscriber


def _org(name: str, department: str, region: str, *, sector: str | None = None, club: bool = False) -> Organisation:
    org = Organisation(name=name, name_key=name.lower(), department=department, region=region)
    if sector:
        org.sectors = [db.session.scalar(sa.select(Sector).where(Sector.code == sector))]
    db.session.add(org)
    db.session.flush()
    if club:
        db.session.add(ClubMembership(organisation_id=org.id, joined_on=date(2024, 1, 1)))
    return org


def test_criteria_select_the_right_contacts(app: Flask) -> None:
    plast = _org("Plasti Orne", "61", "Normandie", sector="plasturgie", club=True)
    agro = _org("Agro Sarthe", "72", "Pays de la Loire", sector="agroalimentaire")
    subscriber("a@example.org", "Anne", "A", organisation=plast, ambassador_status="active")
    subscriber("b@example.org", "Basile", "B", organisation=agro, topics=("lettre", "evenements"))
    subscriber("c@example.org", "Cécile", "C", organisation=plast, topics=())
    db.session.commit()

    def emails(**criteria: Any) -> set[str]:
        from crm.partners.models import Contact

        ids = services.contact_ids(SegmentCriteria(**criteria))
        return set(db.session.scalars(sa.select(Contact.email).where(Contact.id.in_(ids))))

    assert emails(department="72") == {"b@example.org"}
    assert emails(region="Normandie") == {"a@example.org", "c@example.org"}
    assert emails(sector="plasturgie") == {"a@example.org", "c@example.org"}
    assert emails(club="yes") == {"a@example.org", "c@example.org"}
    assert emails(club="no") == {"b@example.org"}
    assert emails(ambassador="active") == {"a@example.org"}
    assert emails(topic="evenements") == {"b@example.org"}
    assert emails(sector="plasturgie", topic="lettre") == {"a@example.org"}
    today = date.today().isoformat()
    assert emails(signed_up_from=today) == {"a@example.org", "b@example.org", "c@example.org"}
    assert emails(signed_up_to="2000-01-01") == set()
    assert services.count(SegmentCriteria(region="Normandie")) == 2
    assert services.count_confirmed(SegmentCriteria(region="Normandie")) == 2


EMPTY_FORM = {name: "" for name in ("q", "kind", "sector", "axis", "department", "region", "club", "ambassador",
                                    "topic", "signed_up_from", "signed_up_to", "description")}


def _form(**values: str) -> dict[str, str]:
    return {**EMPTY_FORM, **values}


def test_segment_pages_create_count_and_refuse_bad_input(client: FlaskClient, login: Any) -> None:
    login("editor")
    subscriber("a@example.org", "Anne", "A", organisation=_org("Plasti", "61", "Normandie"))
    assert client.get("/admin/segments/nouveau").status_code == 200
    response = client.get("/admin/segments/compte?department=61")
    assert response.get_json() == {"count": 1, "confirmed": 1, "reached": 1, "left_out": {},
                                   "preview": [{"name": "Anne A", "organisation": "Plasti"}]}
    bad = client.get("/admin/segments/compte?department=999")
    assert bad.status_code == 400 and "Département inconnu" in bad.get_json()["error"]

    refused = client.post("/admin/segments/nouveau", data=_form(name="Orne", department="9Z"))
    assert refused.status_code == 400 and "Département inconnu" in refused.get_data(as_text=True)
    refused = client.post("/admin/segments/nouveau", data=_form(name="Dates", signed_up_from="2025-02-01",
                                                                   signed_up_to="2025-01-01"))
    assert refused.status_code == 400 and "précède" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0

    created = client.post("/admin/segments/nouveau", data=_form(name="Orne", department="61"))
    assert created.status_code == 302
    page = client.get("/admin/segments/").get_data(as_text=True)
    assert "Orne" in page and "département : 61 — Orne" in page
    duplicate = client.post("/admin/segments/nouveau", data=_form(name="Orne"))
    assert duplicate.status_code == 400 and "déjà ce nom" in duplicate.get_data(as_text=True)


def test_viewer_cannot_write_segments(client: FlaskClient, login: Any) -> None:
    login("viewer")
    assert client.get("/admin/segments/").status_code == 200
    assert client.post("/admin/segments/nouveau", data=_form(name="X")).status_code == 403


def test_segment_used_by_a_pending_campaign_cannot_be_deleted(client: FlaskClient, login: Any) -> None:
    login("editor")
    subscriber("a@example.org", "Anne", "A")
    segment = services.save_segment("Tous", "", SegmentCriteria())
    db.session.commit()
    campaign(segment_id=segment.id, schedule=False)
    response = client.post(f"/admin/segments/{segment.id}/supprimer", follow_redirects=True)
    assert "utilisé par la lettre" in response.get_data(as_text=True)
    assert db.session.get(Segment, segment.id) is not None


def test_the_segment_screen_says_how_many_the_letter_leaves_out_and_why(client, login) -> None:
    from crm.consent.models import SuppressionReason
    from crm.consent.services import suppress

    subscriber("lit@example.org", "Lit", "Lettre")
    subscriber("attend@example.org", "Attend", "Confirmation", status="pending")
    suppress(subscriber("parti@example.org", "Parti", "Désinscrit").email, SuppressionReason.UNSUBSCRIBE)
    db.session.commit()
    assert services.newsletter_reach(SegmentCriteria()) == (1, {
        "sans abonnement confirmé à la lettre": 1,
        "sur la liste d'opposition (désinscription, rejet, signalement ou effacement)": 1})
    login("viewer")
    data = client.get("/admin/segments/compte").get_json()
    assert data["count"] == 3 and data["reached"] == 1 and sum(data["left_out"].values()) == 2
