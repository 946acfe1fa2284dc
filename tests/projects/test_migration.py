"""The projects and tasks migration on a populated database of the previous version (the action plan with its
funding lines): the lines keep their action, a project's line and a task can be added, and the one-owner check
holds; downgrading takes the new tables away and leaves the plan's lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database

BEFORE, AFTER = "5d1c7e2b9a40", "e6a101fc51c5"


def _insert(connection, sql: str) -> None:
    connection.execute(sa.text(sql))


def test_a_populated_database_upgrades_then_holds_projects_and_tasks(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _insert(connection, "INSERT INTO organisations (name, name_key, address, commune, commune_key, website, "
                                "created_at, updated_at) VALUES ('Fonderie Démo', 'fonderie demo', '', 'Alençon', "
                                "'alencon', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            _insert(connection, "INSERT INTO contacts (civility, first_name, last_name, first_name_key, last_name_key, "
                                "email, phone, job_title, ambassador_status, language, link_secret, organisation_id, "
                                "created_at, updated_at) VALUES ('', 'P', 'N', 'p', 'n', 'p@example.org', '', '', "
                                "'none', 'fr', 'abcdefabcdefabcdef', (SELECT id FROM organisations), "
                                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            _insert(connection, "INSERT INTO users (email, name, password_hash, role, active, created_at, "
                                "session_token) VALUES ('cheffe@example.org', 'Cheffe', 'x', 'editor', true, "
                                "CURRENT_TIMESTAMP, 'token-cheffe')")
            _insert(connection, "INSERT INTO actions (code, title, axis_id, objective, description, origin, "
                                "pilot_organisation_id, status, status_since, is_public, created_at, updated_at) "
                                "VALUES ('4.1', 'Friches', (SELECT id FROM axes WHERE code = 'foncier'), '', '', "
                                "'equipe', (SELECT id FROM organisations), 'proposee', CURRENT_DATE, false, "
                                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            _insert(connection, "INSERT INTO funding_lines (action_id, funder_id, scheme, amount_requested, status) "
                                "VALUES ((SELECT id FROM actions), (SELECT id FROM organisations), 'France 2030', "
                                "12500.55, 'demande')")
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            assert connection.scalar(sa.text("SELECT action_id IS NOT NULL AND project_id IS NULL "
                                             "FROM funding_lines")) in (True, 1)
            _insert(connection, "INSERT INTO projects (organisation_id, title, description, kind, commune, zone, "
                                "stage, stage_since, closing_reason, owner_id, created_at, updated_at) VALUES "
                                "((SELECT id FROM organisations), 'Presse', '', 'investissement', 'Alençon', '', "
                                "'premier_echange', CURRENT_TIMESTAMP, '', (SELECT id FROM users), "
                                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            _insert(connection, "INSERT INTO funding_lines (project_id, funder_id, scheme, amount_requested, "
                                "amount_granted, status) VALUES ((SELECT id FROM projects), "
                                "(SELECT id FROM organisations), 'Fonds vert', 40000.10, 30000.05, 'accorde')")
            _insert(connection, "INSERT INTO tasks (title, notes, due_on, owner_id, status, organisation_id, "
                                "subject_kind, subject_id, created_at) VALUES ('Rappeler', '', CURRENT_DATE, "
                                "(SELECT id FROM users), 'ouverte', (SELECT id FROM organisations), 'project', "
                                "(SELECT id FROM projects), CURRENT_TIMESTAMP)")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            _insert(connection, "INSERT INTO funding_lines (action_id, project_id, funder_id, scheme, "
                                "amount_requested, status) VALUES ((SELECT id FROM actions), "
                                "(SELECT id FROM projects), (SELECT id FROM organisations), 'x', 1, 'demande')")
        with db.engine.connect() as connection:
            amounts = connection.execute(sa.text("SELECT amount_requested FROM funding_lines ORDER BY id")).scalars()
            assert [Decimal(str(a)) for a in amounts] == [Decimal("12500.55"), Decimal("40000.10")]
            assert connection.scalar(sa.text("SELECT count(*) FROM tasks")) == 1
        downgrade(revision=BEFORE)
        tables = sa.inspect(db.engine).get_table_names()
        assert "projects" not in tables and "tasks" not in tables
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM funding_lines")) == 1
            assert connection.scalar(sa.text("SELECT count(*) FROM contacts")) == 1
