"""The letter editor's migration (letter templates, images) on a populated database of the previous version."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database

BEFORE, AFTER = "c5a1e7d3f902", "c4e1a7d20b15"


def test_a_populated_database_upgrades_then_holds_templates_and_images(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO campaigns (subject, preheader, body_markdown, topic_id, status, public, created_at, "
                "updated_at) VALUES ('Lettre de mai', '', 'Bonjour', (SELECT id FROM topics WHERE code = 'lettre'), "
                "'sent', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO letter_templates (name, subject, preheader, body_markdown, created_at, updated_at) "
                "SELECT 'Modèle', subject, preheader, body_markdown, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
                "FROM campaigns"))
            connection.execute(sa.text(
                "INSERT INTO images (digest, extension, content_type, width, height, size, original_name, "
                "created_at) VALUES (:digest, 'png', 'image/png', 10, 10, 99, 'a.png', CURRENT_TIMESTAMP)"),
                {"digest": "f" * 64})
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT subject FROM letter_templates")) == "Lettre de mai"
            assert connection.scalar(sa.text("SELECT count(*) FROM campaigns")) == 1
        with db.engine.begin() as connection:  # one file, one row
            with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
                connection.execute(sa.text(
                    "INSERT INTO images (digest, extension, content_type, width, height, size, original_name, "
                    "created_at) VALUES (:digest, 'png', 'image/png', 1, 1, 1, '', CURRENT_TIMESTAMP)"),
                    {"digest": "f" * 64})
        downgrade(revision=BEFORE)
        tables = sa.inspect(db.engine).get_table_names()
        assert "letter_templates" not in tables and "images" not in tables and "campaigns" in tables
