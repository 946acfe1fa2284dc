"""The action plan's migration on a database of the previous version that holds partners and contacts."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database, insert_contact, insert_organisation

BEFORE, AFTER = "fbe0646772f0", "baff13b7969f"


def test_a_populated_database_upgrades_then_holds_an_action(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            insert_organisation(connection, "Fonderie Démo")
            insert_contact(connection, organisation="Fonderie Démo")
            # The four axes are there already: the migrations ship the reference data.
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM axes WHERE code = 'foncier'")) == 1
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO actions (code, title, axis_id, objective, description, origin, pilot_organisation_id, "
                "status, status_since, is_public, created_at, updated_at) VALUES ('4.1', 'Friches', "
                "(SELECT id FROM axes WHERE code = 'foncier'), '', '', 'equipe', (SELECT id FROM organisations), 'proposee', "
                "CURRENT_DATE, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            connection.execute(sa.text(
                "INSERT INTO funding_lines (action_id, funder_id, scheme, amount_requested, status) VALUES "
                "((SELECT id FROM actions), (SELECT id FROM organisations), 'France 2030', 12500.55, 'demande')"))
        with db.engine.connect() as connection:
            amount = connection.scalar(sa.text("SELECT amount_requested FROM funding_lines"))
            assert str(amount) == "12500.55"
            assert connection.scalar(sa.text("SELECT count(*) FROM contacts")) == 1
        downgrade(revision=BEFORE)
        assert "actions" not in sa.inspect(db.engine).get_table_names()


def test_the_notes_table_joins_a_populated_plan(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO actions (code, title, axis_id, objective, description, origin, status, status_since, "
                "is_public, created_at, updated_at) VALUES ('4.1', 'Friches', (SELECT id FROM axes WHERE code = "
                "'foncier'), '', '', 'equipe', 'proposee', CURRENT_DATE, false, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"))
        upgrade(revision="3f8a2c5d7e91")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO action_notes (action_id, kind, body, occurred_at) VALUES ((SELECT id FROM actions), "
                "'remarque', 'Point d''étape', CURRENT_TIMESTAMP)"))
            assert connection.scalar(sa.text("SELECT body FROM action_notes")) == "Point d'étape"
            connection.execute(sa.text("DELETE FROM actions"))
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM action_notes")) == 0  # notes go with the action
        downgrade(revision=AFTER)
        assert "action_notes" not in sa.inspect(db.engine).get_table_names()
        assert "actions" in sa.inspect(db.engine).get_table_names()
