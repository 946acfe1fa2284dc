from __future__ import annotations

import pytest

from crm import create_app
from crm.config import DEV_SECRET_KEY


def test_production_refuses_the_development_secret_key(monkeypatch) -> None:
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_settings_come_from_the_environment_inside_create_app(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("SEND_RATE_PER_SECOND", "2.5")
    monkeypatch.setenv("CRM_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env" != DEV_SECRET_KEY
    assert app.config["MAIL_SERVER"] == "smtp.example.org" and app.config["MAIL_USE_TLS"] is True
    assert app.config["SEND_RATE_PER_SECOND"] == 2.5
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_times_are_shown_in_europe_paris(app) -> None:
    from datetime import UTC, datetime

    from flask_babel import format_datetime

    with app.test_request_context("/"):
        # 10:00 UTC in summer is 12:00 in Paris, in winter 11:00.
        assert "12:00" in format_datetime(datetime(2024, 6, 18, 10, 0, tzinfo=UTC), "short")
        assert "11:00" in format_datetime(datetime(2024, 12, 18, 10, 0, tzinfo=UTC), "short")
