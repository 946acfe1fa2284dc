"""The contact search indexes migration on a populated database of the previous version (SQLite and PostgreSQL):
the search's ways in carry the name keys, the id and the organisation; a downgrade gives back the old ones."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database, insert_contact, insert_organisation

BEFORE, AFTER = "c3a9e1f0d7b2", "d4f7b2c8e915"


def _contact_indexes() -> dict[str, list[str]]:
    return {index["name"]: list(index["column_names"]) for index in sa.inspect(db.engine).get_indexes("contacts")}


def test_a_populated_database_gets_the_covering_indexes_and_gives_them_back(database_url: str,
                                                                            tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            insert_organisation(connection, "Fonderie Fictive")
            insert_contact(connection, organisation="Fonderie Fictive")
        before = _contact_indexes()
        assert before["ix_contacts_first_name_key"] == ["first_name_key"]
        upgrade(revision=AFTER)
        after = _contact_indexes()
        assert after["ix_contacts_name_keys"] == ["last_name_key", "first_name_key", "id", "organisation_id"]
        assert after["ix_contacts_first_name_key"] == ["first_name_key", "last_name_key", "id", "organisation_id"]
        assert after["ix_contacts_email_keys"] == ["email", "last_name_key", "first_name_key", "id",
                                                   "organisation_id"]
        assert after["ix_contacts_organisation_id"] == ["organisation_id", "last_name_key", "first_name_key", "id"]
        with db.engine.connect() as connection:  # the row is still there, and found through the new indexes
            assert connection.scalar(sa.text(
                "SELECT count(*) FROM contacts WHERE first_name_key >= 'p' AND first_name_key < 'q' "
                "AND organisation_id = (SELECT id FROM organisations)")) == 1
        downgrade(revision=BEFORE)
        assert _contact_indexes() == before
