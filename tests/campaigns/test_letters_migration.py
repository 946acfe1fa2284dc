"""The migration of letters' link counters and of segments' criteria, on a populated database of the previous
version (SQLite, and PostgreSQL when the suite runs there): saved segments keep their meaning."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from crm.partners.models import Contact
from crm.segments import services
from crm.segments.models import Segment
from tests.test_migrations import empty_database, insert_contact

BEFORE, AFTER = "c4e1a7d20b15", "c5e8a1d2f403"

OLD_SEGMENTS = {
    "Orne": {"department": "61"},
    "Sarthe hors Club": {"department": "72", "club": "no"},
    "Ambassadeurs": {"ambassador": "active"},
    "Club": {"club": "yes"},
    "Tous": {},
}
EXPECTED = {  # who each segment held before the migration
    "Orne": {"orne@example.org", "club61@example.org"},
    "Sarthe hors Club": {"sarthe@example.org"},
    "Ambassadeurs": {"sarthe@example.org"},
    "Club": {"club61@example.org"},
    "Tous": {"orne@example.org", "club61@example.org", "sarthe@example.org", "seul@example.org"},
}


def _populate(connection: sa.Connection) -> None:
    def organisation(name: str, department: str) -> None:
        connection.execute(sa.text(
            "INSERT INTO organisations (name, name_key, address, commune, commune_key, website, department, "
            "created_at, updated_at) VALUES (:name, :key, '', '', '', '', :department, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"), {"name": name, "key": name.lower(), "department": department})

    def contact(email: str, organisation: str | None, ambassador: str = "none") -> None:
        insert_contact(connection, email, organisation=organisation, ambassador=ambassador)

    organisation("Orne SA", "61")
    organisation("Club Orne", "61")
    organisation("Sarthe SA", "72")
    connection.execute(sa.text(
        "INSERT INTO club_memberships (organisation_id, joined_on, created_at) VALUES "
        "((SELECT id FROM organisations WHERE name = 'Club Orne'), '2024-01-01', CURRENT_TIMESTAMP)"))
    contact("orne@example.org", "Orne SA")
    contact("club61@example.org", "Club Orne")
    contact("sarthe@example.org", "Sarthe SA", "active")
    contact("seul@example.org", None)
    for name, criteria in OLD_SEGMENTS.items():
        connection.execute(sa.text(
            "INSERT INTO segments (name, description, criteria, created_at, updated_at) VALUES "
            "(:name, '', :criteria, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"name": name, "criteria": json.dumps(criteria)})


def _members(segment: Segment) -> set[str]:
    return set(db.session.scalars(sa.select(Contact.email).where(Contact.id.in_(services.contact_ids(segment)))))


def test_saved_segments_keep_their_meaning_and_links_get_their_table(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _populate(connection)
        upgrade(revision=AFTER)

        segments = {segment.name: segment for segment in db.session.scalars(sa.select(Segment))}
        assert segments["Orne"].criteria == {"department": ["61"]}
        assert segments["Sarthe hors Club"].criteria == {"department": ["72"], "club": "no"}
        assert segments["Ambassadeurs"].criteria == {"ambassador": ["active"]}
        assert segments["Tous"].criteria == {}
        for name, expected in EXPECTED.items():
            assert _members(segments[name]) == expected, name
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("campaign_links")}
        assert columns == {"id", "campaign_id", "url", "position", "clicks"}
        db.session.remove()

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            rows = dict(connection.execute(sa.text("SELECT name, criteria FROM segments")).all())
        assert {name: json.loads(value) if isinstance(value, str) else value
                for name, value in rows.items()} == OLD_SEGMENTS
        assert "campaign_links" not in sa.inspect(db.engine).get_table_names()
