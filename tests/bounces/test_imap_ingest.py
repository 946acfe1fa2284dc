"""Bounce ingest over IMAPS against a real IMAP server: pymap's in-memory backend behind TLS on 127.0.0.1,
with a throwaway self-signed certificate that the app trusts only through BOUNCE_IMAP_CA_FILE."""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import re
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import DictBackend
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pysasl.hashing import BuiltinHash

from crm.bounces.ingest import MailboxError, ingest_configured
from crm.bounces.jobs import ingest_bounces
from crm.bounces.models import Bounce
from crm.consent.models import Suppression
from crm.consent.services import email_hash, is_suppressed
from crm.extensions import db
from crm.mail.claims import queue_delivery
from crm.mail.models import Delivery
from tests.factories import sent_to, subscriber

SAMPLES = Path(__file__).parents[1] / "campaigns" / "bounces"
USER, PASSWORD = "retours@example.org", "mot de passe des retours"
# A space and a cedilla: on the wire the name is quoted and in modified UTF-7, which imaplib leaves to its caller.
FOLDER, WIRE_FOLDER = "Retours reçus", '"Retours re&AOc-us"'
PERMANENT = {"dsn_01.txt": "userx@example.com", "postfix_01.txt": "xxxxx@local.ie",
             "exim_01.txt": "userx@its.example.nl"}
TEMPORARY = {"dsn_05.txt": "userx@example.cz", "simple_03.txt": "userx@example.za"}


def make_certificate(directory: Path, *names: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own authority) for these DNS names or IP addresses, and its key."""
    cert, key = directory / f"{names[0]}.crt", directory / f"{names[0]}.key"
    alt_names = ",".join(("IP:" if re.fullmatch(r"[\d.]+", n) else "DNS:") + n for n in names)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", f"/CN={names[0]}", "-keyout", str(key), "-out", str(cert),
         "-addext", f"subjectAltName={alt_names}", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
        check=True, capture_output=True,
    )
    return cert, key


class ImapsServer:
    """pymap (dict backend: one user, mailboxes in memory) served with TLS from the first byte, as IMAPS is."""

    host = "127.0.0.1"

    def __init__(self, cert: Path, key: Path, password: str = PASSWORD) -> None:
        self.cert, self.key, self.password = cert, key, password
        self.port = 0
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            args = argparse.Namespace(host=self.host, port=0, debug=False, cert=None, key=None, tls=False,
                                      passlib_cfg=None, proxy_protocol=None, demo_data=False,
                                      demo_user=USER, demo_password=self.password)
            backend, config = await DictBackend.init(args, reject_dnsbl=False, invalid_user_sleep=0.0,
                                                     cpu_subsystem=Subsystem.for_asyncio(),
                                                     hash_context=BuiltinHash(rounds=1000))  # fast logins
            config.apply_context()
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(self.cert, self.key)
            handler = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(backend.login, config))
            server = await asyncio.start_server(handler, self.host, 0, ssl=tls)
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._ready.set()
        async with server:
            await self._stopping.wait()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)
        if self._failure is not None or not self.port:
            raise RuntimeError("the IMAP server did not start") from self._failure

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def client(self) -> imaplib.IMAP4_SSL:
        """The test's own look at the mailbox: trusts the certificate whatever names it carries."""
        tls = ssl.create_default_context(cafile=self.cert)
        tls.check_hostname = False
        imap = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=tls, timeout=10)
        credentials = f"\0{USER}\0{self.password}".encode()
        imap.authenticate("PLAIN", lambda _challenge: credentials)
        return imap

    def deliver(self, messages: list[bytes], folder: str = WIRE_FOLDER) -> None:
        with self.client() as imap:
            imap.create(folder)
            for raw in messages:
                status, _ = imap.append(folder, None, None, raw)
                assert status == "OK"

    def seen(self, folder: str = WIRE_FOLDER) -> list[bool]:
        """For each message of the folder, in order: does it carry \\Seen?"""
        with self.client() as imap:
            imap.select(folder, readonly=True)
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [b"\\Seen" in line for line in data if isinstance(line, bytes)]


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path, "localhost", "127.0.0.1")


@pytest.fixture
def start_imaps() -> Iterator[Callable[[Path, Path], ImapsServer]]:
    servers: list[ImapsServer] = []

    def start(cert: Path, key: Path, password: str = PASSWORD) -> ImapsServer:
        server = ImapsServer(cert, key, password)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def imaps(start_imaps: Callable[[Path, Path], ImapsServer], certificate: tuple[Path, Path]) -> ImapsServer:
    return start_imaps(*certificate)


def imap_settings(server: ImapsServer, **overrides: Any) -> dict[str, Any]:
    return {"BOUNCE_MAILDIR": None, "BOUNCE_IMAP_HOST": server.host, "BOUNCE_IMAP_PORT": server.port,
            "BOUNCE_IMAP_USER": USER, "BOUNCE_IMAP_PASSWORD": PASSWORD, "BOUNCE_IMAP_FOLDER": FOLDER,
            "BOUNCE_IMAP_CA_FILE": str(server.cert), "BOUNCE_ADDRESS": "retours@example.org", **overrides}


def ordinary_message() -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Martin <claire.martin@example.net>"
    message["To"] = USER
    message["Subject"] = "Re: Lettre n°1"
    message["Message-ID"] = "<reponse-1@example.net>"
    message.set_content("Bonjour,\n\nMerci pour la lettre, je transmets à mon équipe.\n\nClaire\n")
    return message.as_bytes()


def bounce_samples(verp: dict[str, int]) -> list[bytes]:
    """The permanent and temporary samples; those named in ``verp`` arrive at retours+<delivery>@ (VERP)."""
    samples = []
    for name in [*PERMANENT, *TEMPORARY]:
        raw = (SAMPLES / name).read_bytes()
        if name in verp:
            raw = raw.replace(b"\nTo: ", f"\nDelivered-To: retours+{verp[name]}@example.org\nX-Was-To: ".encode())
        samples.append(raw)
    return samples


def sent_delivery(email: str) -> Delivery:
    contact = subscriber(email, "Ugo", "Exemple")
    queue_delivery("campaign", f"test:{contact.id}", contact_id=contact.id)
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.contact_id == contact.id))
    delivery.status = "sent"
    db.session.commit()
    return delivery


def run_ingest(entry: str, app: Flask) -> tuple[int, int, int]:
    """Messages read, addresses suppressed, temporary failures scored, as the entry point reports them."""
    if entry == "scheduler":
        report = ingest_configured()
        assert report is not None
        return report.messages, len(report.suppressed), len(report.scored)
    result = app.test_cli_runner().invoke(args=["bounces", "ingest", "--imap-host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    counts = re.search(r"(\d+) message\(s\) lu\(s\).* (\d+) adresse\(s\) exclue\(s\), (\d+) échec", result.output)
    assert counts, result.output
    return int(counts[1]), int(counts[2]), int(counts[3])


def nothing_written() -> bool:
    return not db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) and \
        not db.session.scalar(sa.select(sa.func.count()).select_from(Suppression))


@pytest.mark.parametrize("entry", ["scheduler", "cli"])
def test_imap_ingest_suppresses_permanent_failures_scores_temporary_ones_and_marks_all_seen(
        entry: str, imaps: ImapsServer, make_app: Callable[..., Flask]) -> None:
    # The CLI is given the host: nothing in the configuration names it.
    app = make_app(**imap_settings(imaps, **({"BOUNCE_IMAP_HOST": None} if entry == "cli" else {})))
    with app.app_context():
        delivery = sent_delivery(PERMANENT["dsn_01.txt"])
        for address in [*PERMANENT.values(), *TEMPORARY.values()][1:]:  # reports apply to addresses we wrote to
            sent_to(address, days_ago=3)
        subscriber("voisin@example.org")
        db.session.commit()
        imaps.deliver([*bounce_samples({"dsn_01.txt": delivery.id}), ordinary_message()])
        assert imaps.seen() == [False] * 6

        assert run_ingest(entry, app) == (6, len(PERMANENT), len(TEMPORARY))

        db.session.expire_all()
        suppressed = set(db.session.scalars(sa.select(Suppression.email_hash)))
        assert suppressed == {email_hash(address) for address in PERMANENT.values()}
        for address in TEMPORARY.values():
            assert not is_suppressed(address)
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce).where(
                Bounce.email_hash == email_hash(address), Bounce.permanent.is_(False))) == 1
        assert not is_suppressed("voisin@example.org")
        assert db.session.get(Delivery, delivery.id).status == "bounced"
        assert imaps.seen() == [True] * 6  # the ordinary message too: it was read

        bounces = db.session.scalar(sa.select(sa.func.count()).select_from(Bounce))
        assert run_ingest(entry, app) == (0, 0, 0)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) == bounces


def test_only_unseen_messages_are_read(imaps: ImapsServer, make_app: Callable[..., Flask]) -> None:
    app = make_app(**imap_settings(imaps, BOUNCE_IMAP_FOLDER="INBOX"))
    with app.app_context():
        sent_to(PERMANENT["postfix_01.txt"])
        sent_to(TEMPORARY["dsn_05.txt"])
        db.session.commit()
        imaps.deliver([(SAMPLES / "postfix_01.txt").read_bytes()], "INBOX")
        assert ingest_configured().messages == 1
        imaps.deliver([(SAMPLES / "dsn_05.txt").read_bytes()], "INBOX")
        report = ingest_configured()
        assert (report.messages, report.suppressed, report.scored) == (1, [], [TEMPORARY["dsn_05.txt"]])
        assert imaps.seen("INBOX") == [True, True]


@pytest.mark.parametrize("trust", ["system store only", "trusted, for another host name"])
def test_a_server_whose_certificate_is_not_trusted_is_refused(
        trust: str, start_imaps: Callable[[Path, Path], ImapsServer], certificate: tuple[Path, Path],
        tmp_path: Path, make_app: Callable[..., Flask]) -> None:
    if trust == "system store only":
        server = start_imaps(*certificate)
        settings = imap_settings(server, BOUNCE_IMAP_CA_FILE=None)
    else:
        server = start_imaps(*make_certificate(tmp_path, "imap.example.org"))
        settings = imap_settings(server)
    app = make_app(**settings)
    with app.app_context():
        server.deliver([(SAMPLES / "postfix_01.txt").read_bytes()])
        with pytest.raises(MailboxError) as refused:
            ingest_configured()
        assert isinstance(refused.value.__cause__, ssl.SSLCertVerificationError)

        result = app.test_cli_runner().invoke(args=["bounces", "ingest"])
        assert result.exit_code != 0
        assert f"Certificat du serveur IMAP 127.0.0.1:{server.port} refusé" in result.output
        assert "BOUNCE_IMAP_CA_FILE" in result.output
        assert nothing_written() and server.seen() == [False]


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("BOUNCE_IMAP_PASSWORD", "pas le bon", "refuse l'identifiant « retours@example.org » ou son mot de passe"),
    ("BOUNCE_IMAP_FOLDER", "Inexistant", "Dossier « Inexistant » introuvable sur le serveur IMAP 127.0.0.1"),
    ("BOUNCE_IMAP_CA_FILE", "/nulle/part/ca.pem", "Fichier d'autorités de certification illisible"),
])
def test_a_mistaken_setting_is_explained_in_french_and_nothing_is_written(
        setting: str, value: str, message: str, imaps: ImapsServer, make_app: Callable[..., Flask]) -> None:
    app = make_app(**imap_settings(imaps, BOUNCE_IMAP_HOST=None, **{setting: value}))
    with app.app_context():
        imaps.deliver([(SAMPLES / "postfix_01.txt").read_bytes()])
        result = app.test_cli_runner().invoke(args=["bounces", "ingest", "--imap-host", "127.0.0.1"])
        assert result.exit_code != 0
        assert message in result.output
        assert nothing_written() and imaps.seen() == [False]


def test_an_unreachable_server_says_so_in_french(imaps: ImapsServer, make_app: Callable[..., Flask]) -> None:
    port = imaps.port
    imaps.stop()
    app = make_app(**imap_settings(imaps, BOUNCE_IMAP_PORT=port))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["bounces", "ingest"])
        assert result.exit_code != 0
        assert f"Serveur IMAP 127.0.0.1:{port} injoignable" in result.output


def test_the_scheduler_job_logs_a_mailbox_error_and_carries_on(
        imaps: ImapsServer, make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(**imap_settings(imaps, BOUNCE_IMAP_PASSWORD="pas le bon"))
    with app.app_context():
        sent_to(PERMANENT["postfix_01.txt"])
        db.session.commit()
        imaps.deliver([(SAMPLES / "postfix_01.txt").read_bytes()])
    with caplog.at_level("ERROR"):
        ingest_bounces(app)  # raises nothing: the next tick tries again
    assert any("refuse l'identifiant « retours@example.org »" in record.getMessage() for record in caplog.records)
    with app.app_context():
        assert nothing_written() and imaps.seen() == [False]
        app.config["BOUNCE_IMAP_PASSWORD"] = PASSWORD
    ingest_bounces(app)
    with app.app_context():
        assert set(db.session.scalars(sa.select(Suppression.email_hash))) == {email_hash(PERMANENT["postfix_01.txt"])}
        assert imaps.seen() == [True]


def test_a_password_with_accents_is_sent_in_utf8(start_imaps: Callable[..., ImapsServer],
                                                  certificate: tuple[Path, Path], make_app: Callable[..., Flask]) -> None:
    server = start_imaps(*certificate, password="clé secrète à ne pas divulguer")
    app = make_app(**imap_settings(server, BOUNCE_IMAP_PASSWORD="clé secrète à ne pas divulguer",
                                   BOUNCE_IMAP_FOLDER="INBOX"))
    with app.app_context():
        sent_to(PERMANENT["postfix_01.txt"])
        db.session.commit()
        server.deliver([(SAMPLES / "postfix_01.txt").read_bytes()], "INBOX")
        assert ingest_configured().suppressed == [PERMANENT["postfix_01.txt"]]
        app.config["BOUNCE_IMAP_PASSWORD"] = "clé erronée"
        with pytest.raises(MailboxError, match="refuse l'identifiant"):
            ingest_configured()
