"""Settings, read from the environment inside ``create_app`` (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-secret-change-me"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def load_config(instance_path: str) -> dict[str, Any]:
    env = os.environ
    instance = Path(instance_path)
    default_db = f"sqlite:///{instance / 'crm.sqlite3'}"
    mail_server = env.get("MAIL_SERVER") or None
    return {
        "ENV_NAME": env.get("CRM_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Unset: derived from HOST and PORT (those of `make run`) in development, refused in production.
        "BASE_URL": (env.get("BASE_URL") or "").rstrip("/"),
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_DEFAULT_SENDER": env.get(
            "MAIL_DEFAULT_SENDER", "Territoires d'industrie CUA <territoires-industrie@example.org>"
        ),
        "MAILDIR_PATH": env.get("MAILDIR_PATH", str(instance / "outbox")),
        # Mail to a person asked for by a request (a signup confirmation) leaves right after the commit; with a
        # relay, by default, the scheduler sends it at its next tick instead (no SMTP inside a web request).
        "MAIL_DELIVER_AFTER_COMMIT": _bool(env.get("MAIL_DELIVER_AFTER_COMMIT"), default=True)
        if env.get("MAIL_DELIVER_AFTER_COMMIT") else None,
        "ORGANISATION_NAME": env.get("ORGANISATION_NAME", "Communauté urbaine d'Alençon — Territoires d'industrie"),
        "ORGANISATION_POSTAL_ADDRESS": env.get(
            "ORGANISATION_POSTAL_ADDRESS", "Mission Développement Économique, 61000 Alençon"
        ),
        "SEND_RATE_PER_SECOND": float(env.get("SEND_RATE_PER_SECOND", "10")),
        "SEND_RATE_PER_HOUR": int(env.get("SEND_RATE_PER_HOUR", "20000")),
        "TIMEZONE": env.get("TIMEZONE", "Europe/Paris"),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Europe/Paris"),
        "LANGUAGES": ["fr", "en"],
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "PAGE_SIZE": int(env.get("PAGE_SIZE", "50")),
        # The State's open company directory (API Recherche d'entreprises), to fill an organisation from its
        # SIRET or SIREN: e.g. https://recherche-entreprises.api.gouv.fr ; unset, the lookup is off.
        "SIRENE_API_URL": (env.get("SIRENE_API_URL") or "").rstrip("/"),
        "SIRENE_API_TIMEOUT": float(env.get("SIRENE_API_TIMEOUT", "3")),
        # How often the scheduler looks for mail to send (one indexed query when there is none).
        "SCHEDULER_TICK_SECONDS": int(env.get("SCHEDULER_TICK_SECONDS", "5")),
        # Sending pipeline (crm.mail.pipeline): commit interval, claim lease, retries, bounces.
        "SEND_BATCH_SIZE": int(env.get("SEND_BATCH_SIZE", "50")),
        # SMTP connections a sender keeps open to the relay, each held by a child process.
        "MAIL_MAX_CONNECTIONS": int(env.get("MAIL_MAX_CONNECTIONS", "2")),
        "SEND_LEASE_SECONDS": int(env.get("SEND_LEASE_SECONDS", "600")),
        "SEND_RETRY_BASE_SECONDS": int(env.get("SEND_RETRY_BASE_SECONDS", "300")),
        "SEND_MAX_ATTEMPTS": int(env.get("SEND_MAX_ATTEMPTS", "6")),
        "BOUNCE_ADDRESS": env.get("BOUNCE_ADDRESS") or None,
        "BOUNCE_MAILDIR": env.get("BOUNCE_MAILDIR") or None,
        "BOUNCE_IMAP_HOST": env.get("BOUNCE_IMAP_HOST") or None,
        "BOUNCE_IMAP_PORT": int(env.get("BOUNCE_IMAP_PORT") or "993"),
        "BOUNCE_IMAP_USER": env.get("BOUNCE_IMAP_USER") or None,
        "BOUNCE_IMAP_PASSWORD": env.get("BOUNCE_IMAP_PASSWORD") or None,
        "BOUNCE_IMAP_FOLDER": env.get("BOUNCE_IMAP_FOLDER", "INBOX"),
        # PEM file of the authority that signed the IMAP server's certificate; unset: the system's trust store.
        "BOUNCE_IMAP_CA_FILE": env.get("BOUNCE_IMAP_CA_FILE") or None,
        "SOFT_BOUNCE_THRESHOLD": int(env.get("SOFT_BOUNCE_THRESHOLD", "3")),
        "SOFT_BOUNCE_WINDOW_DAYS": int(env.get("SOFT_BOUNCE_WINDOW_DAYS", "30")),
        # A report that names only an address applies where that address was sent a mail within these days.
        "BOUNCE_MATCH_DAYS": int(env.get("BOUNCE_MATCH_DAYS", "30")),
        # DKIM (crm.mail.dkim): all three or none; `flask mail dkim-keygen` writes the key and prints the record.
        "DKIM_PRIVATE_KEY_FILE": env.get("DKIM_PRIVATE_KEY_FILE") or None,
        "DKIM_SELECTOR": env.get("DKIM_SELECTOR") or None,
        "DKIM_DOMAIN": env.get("DKIM_DOMAIN") or None,
        # Public signup (crm.signup): rate limit, confirmation and kit links, purge of unconfirmed signups.
        "SIGNUP_RATE_LIMIT": env.get("SIGNUP_RATE_LIMIT", "5 per minute"),
        "SIGNUP_PURGE_AFTER_DAYS": int(env.get("SIGNUP_PURGE_AFTER_DAYS", "7")),
        "SIGNUP_CONFIRM_MAX_AGE_DAYS": int(env.get("SIGNUP_CONFIRM_MAX_AGE_DAYS", "7")),
        "SIGNUP_KIT_LINK_DAYS": int(env.get("SIGNUP_KIT_LINK_DAYS", "30")),
        "SIGNUP_KIT_DIR": env.get("SIGNUP_KIT_DIR", str(instance / "signup-kit")),
        "SIGNUP_KIT_MAX_BYTES": int(env.get("SIGNUP_KIT_MAX_BYTES", str(20 * 1024 * 1024))),
        "SIGNUP_RECORD_IP": _bool(env.get("SIGNUP_RECORD_IP")),
        # Images of letters (crm.images): where they are kept, the largest upload accepted, the widest stored.
        "IMAGES_DIR": env.get("IMAGES_DIR", str(instance / "images")),
        "IMAGE_MAX_BYTES": int(env.get("IMAGE_MAX_BYTES", str(10 * 1024 * 1024))),
        "IMAGE_MAX_WIDTH": int(env.get("IMAGE_MAX_WIDTH", "1200")),
        # The letter editor saves a draft being written this often (seconds).
        "LETTER_AUTOSAVE_SECONDS": int(env.get("LETTER_AUTOSAVE_SECONDS", "15")),
        # Action plan (crm.actions): a link to propose an action works this long after it was mailed.
        "ACTION_PROPOSAL_LINK_DAYS": int(env.get("ACTION_PROPOSAL_LINK_DAYS", "180")),
        # Events (crm.events): an RSVP link works this long after the invitation was sent.
        "RSVP_LINK_MAX_AGE_DAYS": int(env.get("RSVP_LINK_MAX_AGE_DAYS", "400")),
        # Privacy (crm.privacy.retention): prospects are reviewed after this many years without contact
        # initiated by them, and erased this many days after being listed unless someone keeps them.
        "RETENTION_YEARS": int(env.get("RETENTION_YEARS", "3")),
        "RETENTION_GRACE_DAYS": int(env.get("RETENTION_GRACE_DAYS", "30")),
        # Accounts (crm.auth): the remember-me cookie travels like the session cookie (HTTPS only when it does);
        # failed logins allowed per account, whatever the client address (LOGIN_RATE_LIMIT counts per address).
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=False),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per hour"),
        # Forgotten password: requests per client address and per e-mail address, and the link's life in seconds.
        "PASSWORD_RESET_RATE_LIMIT": env.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
        "PASSWORD_RESET_MAX_AGE": int(env.get("PASSWORD_RESET_MAX_AGE", "3600")),
    }


def _served_at() -> str:
    """Where the development server listens (`make run HOST=… PORT=…` exports both to the web app and the
    scheduler), as links in mail must point there."""
    host = os.environ.get("HOST") or "127.0.0.1"
    if host in {"0.0.0.0", "::", ""}:
        host = "127.0.0.1"
    return f"http://{host}:{os.environ.get('PORT') or '5000'}"


def complete_config(config: Any) -> None:
    """Defaults that depend on other settings, once the caller's overrides are in."""
    if not config.get("BASE_URL"):
        if config["ENV_NAME"] == "production":
            raise RuntimeError("BASE_URL must be set in production (the public address used in links inside "
                               "mails, e.g. https://crm.example.org).")
        config["BASE_URL"] = _served_at()
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    if config.get("MAIL_DELIVER_AFTER_COMMIT") is None:
        config["MAIL_DELIVER_AFTER_COMMIT"] = not config.get("MAIL_SERVER")


def check_production_config(config: dict[str, Any]) -> None:
    if config["ENV_NAME"] == "production" and config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in production (refusing the development key).")
