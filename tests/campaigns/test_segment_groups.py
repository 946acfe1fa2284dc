"""Segments with several values per criterion (OR), exclusions (NOT), criteria combined with AND; the live count
with a preview of the first people; the "Compter" button without JavaScript."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.extensions import db
from crm.partners.models import Contact
from crm.segments import services
from crm.segments.models import Segment
from crm.segments.services import SegmentCriteria
from tests.campaigns.test_segments import _org
from tests.factories import subscriber


def _people() -> None:
    plast_orne = _org("Plasti Orne", "61", "Normandie", sector="plasturgie", club=True)
    agro_sarthe = _org("Agro Sarthe", "72", "Pays de la Loire", sector="agroalimentaire")
    plast_sarthe = _org("Plasti Sarthe", "72", "Pays de la Loire", sector="plasturgie")
    num_calvados = _org("Numérique Caen", "14", "Normandie", sector="numerique")
    subscriber("orne@example.org", "Odile", "Orne", organisation=plast_orne)
    subscriber("agro@example.org", "Armand", "Agro", organisation=agro_sarthe)
    subscriber("plast72@example.org", "Paule", "Sarthe", organisation=plast_sarthe, ambassador_status="active")
    subscriber("caen@example.org", "Cyril", "Caen", organisation=num_calvados)
    db.session.commit()


def _emails(criteria: SegmentCriteria) -> set[str]:
    return set(db.session.scalars(sa.select(Contact.email).where(Contact.id.in_(services.contact_ids(criteria)))))


def test_or_within_a_criterion_and_between_criteria_not_for_exclusions(app: Flask) -> None:
    _people()
    # OR: Orne or Sarthe.
    assert _emails(SegmentCriteria(department=["61", "72"])) == {"orne@example.org", "agro@example.org",
                                                                 "plast72@example.org"}
    # One value: as before.
    assert _emails(SegmentCriteria(department="72")) == {"agro@example.org", "plast72@example.org"}
    # AND between criteria: (61 or 72) and (plasturgie or numérique).
    assert _emails(SegmentCriteria(department=["61", "72"], sector=["plasturgie", "numerique"])) == {
        "orne@example.org", "plast72@example.org"}
    # NOT: not Club members.
    assert _emails(SegmentCriteria(department=["61", "72"], exclude={"club": ["yes"]})) == {
        "agro@example.org", "plast72@example.org"}
    # NOT several values: neither plasturgie nor agroalimentaire.
    assert _emails(SegmentCriteria(exclude={"sector": ["plasturgie", "agroalimentaire"]})) == {"caen@example.org"}
    # NOT a department, and NOT an ambassador status.
    assert _emails(SegmentCriteria(sector=["plasturgie"], exclude={"department": ["61"]})) == {"plast72@example.org"}
    assert _emails(SegmentCriteria(sector=["plasturgie"], exclude={"ambassador": ["active"]})) == {"orne@example.org"}
    # A contact without an organisation is kept by an exclusion about organisations (NOT never turns NULL).
    subscriber("seul@example.org", "Sam", "Seul")
    db.session.commit()
    assert "seul@example.org" in _emails(SegmentCriteria(exclude={"department": ["61"], "club": ["yes"]}))
    assert services.describe(SegmentCriteria(department=["61", "72"], exclude={"club": ["yes"]})) == [
        "département : 61 — Orne ou 72 — Sarthe", "sauf membres du Club"]


def test_saved_criteria_keep_lists_and_exclusions(app: Flask) -> None:
    segment = services.save_segment("Orne ou Sarthe hors Club", "", SegmentCriteria(
        department=["61", "72"], sector=["plasturgie"], exclude={"club": ["yes"], "topic": []}))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Segment, segment.id).criteria == {
        "department": ["61", "72"], "sector": ["plasturgie"], "exclude": {"club": ["yes"]}}
    # A criterion saved before several values were possible still reads the same.
    assert SegmentCriteria.from_dict({"department": "61", "club": "yes"}) == SegmentCriteria(department=["61"],
                                                                                          club="yes")


def test_unknown_values_are_refused_with_nothing_written(app: Flask) -> None:
    from crm.errors import ValidationError

    for criteria, field in ((SegmentCriteria(sector=["plasturgie", "inconnue"]), "sector"),
                            (SegmentCriteria(exclude={"department": ["9Z"]}), "exclude_department"),
                            (SegmentCriteria(exclude={"club": ["peut-etre"]}), "club")):
        try:
            services.save_segment("X", "", criteria)
        except ValidationError as exc:
            assert field in exc.errors
        else:
            raise AssertionError(f"{criteria} accepted")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_form_live_count_with_preview_and_count_button(client: FlaskClient, login: Any) -> None:
    login("editor")
    _people()
    data = client.get("/admin/segments/compte?department=61,72&exclude_club=yes").get_json()
    assert data["count"] == 2
    assert [person["name"] for person in data["preview"]] == ["Armand Agro", "Paule Sarthe"]
    assert data["preview"][0]["organisation"] == "Agro Sarthe"
    data = client.get("/admin/segments/compte?sector=plasturgie&sector=numerique").get_json()
    assert data["count"] == 3

    # Without JavaScript: "Compter" shows the count and the first people, and saves nothing.
    counted = client.post("/admin/segments/nouveau", data={"name": "", "department": "72", "exclude_sector": "agroalimentaire",
                                                           "compter": "1"})
    page = counted.get_data(as_text=True)
    assert counted.status_code == 200 and "Paule Sarthe — Plasti Sarthe" in page and "Armand Agro" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0

    saved = client.post("/admin/segments/nouveau", data={"name": "Sarthe sans agro", "department": "72",
                                                         "exclude_sector": "agroalimentaire"})
    assert saved.status_code == 302
    segment = db.session.scalar(sa.select(Segment))
    assert segment.criteria == {"department": ["72"], "exclude": {"sector": ["agroalimentaire"]}}
    form = client.get(f"/admin/segments/{segment.id}").get_data(as_text=True)
    assert 'value="72"' in form
    assert 'checked id="exclude_sector-0"' in form or 'value="agroalimentaire" checked' in form or \
        _checked(form, "exclude_sector", "agroalimentaire")


def _checked(page: str, name: str, value: str) -> bool:
    import re

    return any("checked" in tag for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', page)) \
        or any("checked" in tag for tag in re.findall(rf'<input[^>]*value="{value}"[^>]*name="{name}"[^>]*>', page))
