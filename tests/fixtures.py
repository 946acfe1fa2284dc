"""Shared fixtures (a pytest plugin, loaded by tests/conftest.py): app, client, database, recorded outbox, a real
SMTP sink, a live server and a browser.

Environment:
- TEST_DATABASE_URL: run the suite on that database (PostgreSQL in CI) instead of a temporary SQLite file.
- CRM_REQUIRE_POSTGRES=1 / CRM_REQUIRE_BROWSER=1: a missing PostgreSQL or Chromium fails instead of skipping.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import shutil
import smtplib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from crm import create_app
from crm.consent.services import load_topics
from crm.extensions import db as _db
from crm.partners.taxonomy import load_reference_taxonomy
from tests.smtp_sink import SmtpSink

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in {"", "0", "false"}


def is_postgres() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def base_config(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,  # as in production: the client below posts a valid token, like a browser
        "MAIL_SERVER": None,
        "MAILDIR_PATH": str(tmp_path_factory.mktemp("outbox")),
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": True,
    }


@pytest.fixture(scope="session")
def _schema(base_config: dict[str, Any]) -> Iterator[None]:
    app = create_app(base_config)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestIsolatingClient(FlaskClient):
    """Each request runs in its own app context, as in production: nothing cached on ``g`` (the logged-in
    user, the locale, rate-limit state) leaks from the test or from one request to the next.

    The test's own session is committed before the request (so the data a test set up is visible to it) and
    expired after (so the test reads what the request wrote).

    CSRF protection is on in tests as in production: a form posted with a dict of fields carries a valid token,
    as a browser's would, unless the test says ``csrf=False`` (to show a post without one is refused).
    """

    def _csrf_token(self) -> str:
        """A token for this client's session, signed as Flask-WTF signs them."""
        app = self.application
        with self.session_transaction() as session:
            raw = session.setdefault(CSRF_FIELD, hashlib.sha1(os.urandom(64)).hexdigest())
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with_token = kwargs.pop("csrf", True)
        method = str(kwargs.get("method", "GET")).upper()
        data = kwargs.get("data")
        if (with_token and method in UNSAFE_METHODS and self.application.config.get("WTF_CSRF_ENABLED")
                and (data is None or isinstance(data, dict)) and not (data or {}).get(CSRF_FIELD)
                and "json" not in kwargs):
            kwargs["data"] = {**(data or {}), CSRF_FIELD: self._csrf_token()}
        if has_app_context():
            _db.session.commit()
        kwargs.setdefault("buffered", True)  # a streamed body is read inside the request's own context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


@pytest.fixture
def make_app(_schema: None, base_config: dict[str, Any], tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        config = {**base_config, "MAILDIR_PATH": str(tmp_path / "outbox"), "IMAGES_DIR": str(tmp_path / "images"),
                  **overrides}
        app = create_app(config)
        app.test_client_class = RequestIsolatingClient
        apps.append(app)
        with app.app_context():
            load_reference_taxonomy()
            load_topics()
            _db.session.commit()
        return app

    yield factory
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _empty_tables()
            _db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[Any]]:
    from crm.extensions import mail

    with mail.record_messages() as messages:
        yield messages


# --- Accounts -----------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    from crm.auth.services import create_user

    def factory(role: str = "admin", email: str | None = None) -> Any:
        user = create_user(email or f"{role}@example.org", PASSWORD, role)
        _db.session.commit()
        return user

    return factory


@pytest.fixture
def login(client: FlaskClient, make_user: Callable[..., Any]) -> Callable[..., Any]:
    def do_login(role: str = "admin") -> Any:
        user = make_user(role)
        response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return user

    return do_login


# --- No accidental SMTP -------------------------------------------------------------------------

_ALLOWED_SMTP: set[tuple[str, int]] = set()
_real_connect = smtplib.SMTP.connect


@pytest.fixture(autouse=True)
def _disallow_real_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test may talk SMTP only to a sink it started itself (Indico's habit)."""

    def guarded(self: smtplib.SMTP, host: str = "localhost", port: int = 0, source_address: Any = None) -> Any:
        if (host, int(port)) not in _ALLOWED_SMTP:
            raise AssertionError(f"test tried to open a real SMTP connection to {host}:{port}")
        return _real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    _ALLOWED_SMTP.add((sink.host, sink.port))
    yield sink
    _ALLOWED_SMTP.discard((sink.host, sink.port))
    sink.stop()


@pytest.fixture
def smtp_app(make_app: Callable[..., Flask], smtp_sink: SmtpSink) -> Iterator[Flask]:
    """An app whose mail goes over real SMTP to the local sink."""
    app = make_app(MAIL_SERVER=smtp_sink.host, MAIL_PORT=smtp_sink.port, MAIL_SUPPRESS_SEND=False)
    with app.app_context():
        yield app


# --- PostgreSQL only ----------------------------------------------------------------------------


@pytest.fixture
def postgres_only() -> None:
    if not is_postgres():
        if _required("CRM_REQUIRE_POSTGRES"):
            pytest.fail("CRM_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not a PostgreSQL URL")
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")


# --- Live server and browser --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app.config["BASE_URL"] = self.url
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _playwright_browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if _required("CRM_REQUIRE_BROWSER"):
            pytest.fail(f"CRM_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser: Any) -> Iterator[Any]:
    context = _playwright_browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
