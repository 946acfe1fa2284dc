"""Segments gain "engaged in action X / in an action of axis Y": the people of the organisations that pilot, take
part in or fund it."""

from __future__ import annotations

import pytest

from crm.actions import services
from crm.errors import ValidationError
from crm.extensions import db
from crm.segments import services as segments
from crm.segments.services import SegmentCriteria
from tests.actions.helpers import action, granted_line, organisation, person


def _people() -> dict[str, int]:
    pilot, partner, funder, outside = (organisation(name) for name in (
        "Pilote Fictif", "Partenaire Fictif", "Financeur Fictif", "Dehors Fictif"))
    action("1.1", "Chaleur", axis_code="transition", pilot_organisation_id=pilot.id)
    second = action("2.1", "Campus", axis_code="innovation")
    services.add_partner(second, partner.id, "contributeur")
    granted_line(second, funder, "1000", "1000")
    found = {name: person(f"{name}@example.org", org, name.capitalize(), "Fictif").id
             for name, org in (("pilote", pilot), ("partenaire", partner), ("financeur", funder), ("dehors", outside))}
    db.session.commit()
    return found


def _members(criteria: SegmentCriteria) -> set[int]:
    segments.validate(criteria)
    return set(db.session.scalars(segments.contact_ids(criteria)))


def test_engaged_in_an_action_or_in_an_action_of_an_axis(app) -> None:
    people = _people()
    assert _members(SegmentCriteria(action="2.1")) == {people["partenaire"], people["financeur"]}
    assert _members(SegmentCriteria(action="1.1")) == {people["pilote"]}
    assert _members(SegmentCriteria(action_axis="transition")) == {people["pilote"]}
    assert _members(SegmentCriteria(action_axis="innovation")) == {people["partenaire"], people["financeur"]}
    assert _members(SegmentCriteria(action_axis="foncier")) == set()
    assert people["dehors"] in _members(SegmentCriteria())
    assert "engagés dans l'action 2.1" in segments.describe(SegmentCriteria(action="2.1"))


def test_an_unknown_action_code_is_refused_in_french(app, client, login) -> None:
    _people()
    with pytest.raises(ValidationError, match="Aucune action du plan n'a ce code"):
        segments.validate(SegmentCriteria(action="9.9"))
    login("editor")
    blank = {name: "" for name in ("kind", "sector", "axis", "region", "club", "ambassador", "topic", "action_axis")}
    refused = client.post("/admin/segments/nouveau", data={**blank, "name": "Inconnue", "action": "9.9"})
    assert refused.status_code == 400 and "Aucune action du plan n&#39;a ce code" in refused.get_data(as_text=True)
    saved = client.post("/admin/segments/nouveau", data={**blank, "name": "Campus", "action": "2.1"})
    assert saved.status_code == 302
