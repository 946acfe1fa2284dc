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


def test_every_time_follows_the_timezone_setting(make_app) -> None:
    """TIMEZONE is read from the configuration wherever a time is shown or typed (no zone of its own in a module)."""
    from datetime import UTC, date, datetime, time
    from types import SimpleNamespace

    from crm.campaigns.services import local_to_utc_or_error
    from crm.events import display, ics
    from crm.events.forms import to_utc

    moment = datetime(2027, 6, 18, 10, 0, tzinfo=UTC)
    event = SimpleNamespace(starts_at=moment, ends_at=moment.replace(hour=12))
    for zone, shown, offset in (("Europe/Paris", "12h00", 2), ("Europe/London", "11h00", 1)):
        app = make_app(TIMEZONE=zone)
        with app.app_context():
            assert shown in display.when(event)
            assert local_to_utc_or_error(date(2027, 6, 18), time(12, 0)) == moment.replace(hour=12 - offset)
            assert to_utc(datetime(2027, 6, 18, 12, 0)) == moment.replace(hour=12 - offset)
            assert ics.local_timezone()["tzid"] == zone


def test_links_in_mail_follow_where_make_run_serves(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CRM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8000")
    app = create_app()
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"
    with app.app_context():
        from crm.security import absolute_url

        assert absolute_url("signup.signup") == "http://127.0.0.1:8000/inscription"
    monkeypatch.delenv("PORT")
    assert create_app().config["BASE_URL"] == "http://127.0.0.1:5000"
    monkeypatch.setenv("BASE_URL", "https://crm.example.org/")
    assert create_app().config["BASE_URL"] == "https://crm.example.org"


def test_production_requires_base_url(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CRM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app()
    monkeypatch.setenv("BASE_URL", "https://crm.example.org")
    assert create_app().config["BASE_URL"] == "https://crm.example.org"
