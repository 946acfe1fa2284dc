"""The bounce-matching migration on a database of the previous version that holds bounces already."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database, insert_contact

BEFORE, AFTER = "3f8a2c5d7e91", "5d1c7e2b9a40"


def test_existing_bounces_stay_applied_and_unmatched_ones_can_be_recorded(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            insert_contact(connection)
            connection.execute(sa.text(
                "INSERT INTO deliveries (kind, contact_id, dedupe_key, status, attempts, next_attempt_at, message_id, "
                "sent_at, created_at) VALUES ('campaign', (SELECT id FROM contacts), 'k:1', 'bounced', 1, "
                "CURRENT_TIMESTAMP, '<d1.x@example.org>', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            connection.execute(sa.text(
                "INSERT INTO bounces (email_hash, permanent, delivery_id, source, detail, report_key, created_at) "
                "VALUES ('aa', true, (SELECT id FROM deliveries), 'dsn', 'rejet définitif (DSN)', 'r1', "
                "CURRENT_TIMESTAMP)"))
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            assert connection.execute(sa.text("SELECT applied, matched_by FROM bounces")).one() == (True, None)
            connection.execute(sa.text(
                "INSERT INTO bounces (email_hash, permanent, source, detail, report_key, applied, created_at) "
                "VALUES ('bb', true, 'dsn', 'rattaché à aucun envoi', 'r2', false, CURRENT_TIMESTAMP)"))
            assert connection.scalar(sa.text("SELECT count(*) FROM bounces WHERE NOT applied")) == 1
        downgrade(revision=BEFORE)
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("bounces")}
        assert "applied" not in columns and "matched_by" not in columns
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM bounces")) == 2
