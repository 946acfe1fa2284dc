"""Sending throughput of the real pipeline against a plain smtplib loop, and the sender's peak memory.

    .venv/bin/python benchmarks/send_throughput.py [--recipients 10000] [--large 100000] [--pin]

1. An SMTP sink (aiosmtpd, counting and discarding) runs in another process.
2. A campaign to N recipients goes through the real pipeline (materialisation, claims, per-recipient rendering,
   one persistent SMTP connection held by the pipeline's child process, status commits every SEND_BATCH_SIZE),
   in a sender subprocess.
3. In the same run, N pre-built messages go through a plain smtplib loop over one connection to the same sink.
4. The sender's peak memory (VmHWM of the sender and of its SMTP child) is measured at N and at the larger
   count, each in a fresh process on a fresh database.

CPU placement is left to the kernel. With ``--pin`` (two cores or more), the sink is pinned to the last core and
both senders (the pipeline's processes and the plain loop) to the others, as if the relay ran on its own
machine: on a shared two-core machine the kernel sometimes wakes the sink, the renderer and the SMTP child on a
busy core, and both rates swing from one run to the next. The database is a SQLite file in a temporary folder
unless BENCH_DATABASE_URL is set (an empty PostgreSQL database you own: its tables are dropped and created).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- The sink, in its own process ---------------------------------------------------------------

def _placement(pin: bool) -> tuple[set[int], set[int]] | None:
    """(CPUs for the sink, CPUs for the senders), or None to leave placement to the kernel."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or len(cpus) < 2:
        return None
    return {cpus[-1]}, set(cpus[:-1])


class _CountingProtocol:
    """One SMTP session that answers every command with success, counts each message at its final dot and
    discards it: no parsing of the message, no disk, replies to a pipelined group written at once."""

    END = b"\r\n.\r\n"

    def __init__(self, counter: Any) -> None:
        self.counter = counter
        self.buffer = b""
        self.in_data = False
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        replies = []
        position = 0
        while True:
            if self.in_data:
                # The message is everything up to CRLF.CRLF (or a lone ".CRLF" right after the 354).
                if buffer.startswith(b".\r\n", position):
                    end = position + 3
                else:
                    found = buffer.find(self.END, position)
                    if found < 0:
                        position = max(position, len(buffer) - 4)  # keep what could start the end marker
                        break
                    end = found + 5
                position = end
                self.in_data = False
                self.counter.value += 1
                replies.append(b"250 OK\r\n")
                continue
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                break
            verb = buffer[position:position + 4].upper()
            position = line_end + 2
            if verb == b"EHLO":
                replies.append(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.in_data = True
                replies.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif verb == b"QUIT":
                replies.append(b"221 Bye\r\n")
                self.transport.write(b"".join(replies))
                self.transport.close()
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                replies.append(b"250 OK\r\n")
        self.buffer = buffer[position:]
        if replies:
            self.transport.write(b"".join(replies))

    def eof_received(self) -> None:
        return None

    def connection_lost(self, exc: Any) -> None:
        return None

    def pause_writing(self) -> None:
        return None

    def resume_writing(self) -> None:
        return None


def _sink(port: int, counter: Any, ready: Any, stop: Any, cpus: set[int] | None) -> None:
    """The sink's process: an asyncio server of ``_CountingProtocol`` sessions until ``stop`` is set."""
    import asyncio

    if cpus:
        os.sched_setaffinity(0, cpus)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _CountingProtocol(counter), "127.0.0.1", port, backlog=64)
        ready.set()
        await loop.run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(serve())


def _blast(port: int, message: bytes, count: int, started: Any, results: Any) -> None:
    """One client of the sink's maximum: ``count`` transactions over one connection, each written without
    waiting for any answer (the sink answers them all in order), answers read as they come."""
    import socket

    sock = socket.create_connection(("127.0.0.1", port))
    sock.recv(1024)
    sock.sendall(b"EHLO blast\r\n")
    sock.recv(1024)
    body = message if message.endswith(b"\r\n") else message + b"\r\n"
    transaction = (b"MAIL FROM:<retours@example.org>\r\nRCPT TO:<abonne@example.org>\r\nDATA\r\n"
                   + body + b".\r\n")
    chunk = 20
    expected = 4 * count  # four answers per transaction
    received = 0
    started.wait()
    begin = time.perf_counter()
    sent = 0

    def read_some() -> int:
        data = sock.recv(1 << 16)
        if not data:
            raise ConnectionError("sink closed the connection")
        return data.count(b"\n")

    while sent < count:
        n = min(chunk, count - sent)
        sock.sendall(transaction * n)
        sent += n
        while received < 4 * (sent - 2 * chunk):  # at most two chunks ahead of the answers
            received += read_some()
    while received < expected:
        received += read_some()
    elapsed = time.perf_counter() - begin
    sock.sendall(b"QUIT\r\n")
    sock.close()
    results.put(elapsed)


def sink_maximum(port: int, message: bytes, connections: int = 4, per_connection: int = 5000) -> float:
    """Messages per second the sink takes in over several connections at once, each client in its own
    process (the physical limit this machine puts on any sender)."""
    started, results = multiprocessing.Event(), multiprocessing.Queue()
    clients = [multiprocessing.Process(target=_blast, args=(port, message, per_connection, started, results))
               for _ in range(connections)]
    for client in clients:
        client.start()
    time.sleep(0.5)  # every client connected
    begin = time.perf_counter()
    started.set()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - begin
    while not results.empty():
        results.get()
    return connections * per_connection / elapsed


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Setup and the sender, each run in a fresh process ------------------------------------------

def _config(db_url: str, port: int, instance: str) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": db_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
            "SEND_RATE_PER_SECOND": 0, "SEND_RATE_PER_HOUR": 10_000_000, "SECRET_KEY": "bench",
            "BASE_URL": "https://territoires.example.org", "BOUNCE_ADDRESS": "retours@example.org",
            "MAILDIR_PATH": os.path.join(instance, "outbox"),
            "MAIL_MAX_CONNECTIONS": int(os.environ.get("MAIL_MAX_CONNECTIONS", "2"))}


def setup(db_url: str, port: int, instance: str, recipients: int) -> None:
    """A fresh schema, N confirmed subscribers of the lettre, one campaign due now."""
    import sqlalchemy as sa

    from crm import create_app
    from crm.campaigns import services as campaigns
    from crm.consent.models import Subscription, Topic, contact_topics
    from crm.consent.services import email_hash, load_topics
    from crm.db import utcnow
    from crm.extensions import db
    from crm.partners.models import Contact, Organisation
    from crm.partners.taxonomy import load_reference_taxonomy

    app = create_app(_config(db_url, port, instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_taxonomy()
        load_topics()
        org = Organisation(name="Plastiques de l'Orne", name_key="plastiques de l orne")
        db.session.add(org)
        db.session.flush()
        lettre = db.session.scalar(sa.select(Topic.id).where(Topic.code == "lettre"))
        now = utcnow()
        for start in range(0, recipients, 10_000):
            ids = range(start + 1, min(start + 10_000, recipients) + 1)
            db.session.execute(sa.insert(Contact), [
                {"id": i, "email": f"abonne{i}@example.org", "email_hash": email_hash(f"abonne{i}@example.org"),
                 "first_name": f"Prénom{i}", "last_name": f"Nom{i}", "first_name_key": f"prenom{i}",
                 "last_name_key": f"nom{i}", "organisation_id": org.id, "created_at": now, "updated_at": now}
                for i in ids])
            db.session.execute(sa.insert(Subscription), [{"contact_id": i, "status": "confirmed", "updated_at": now}
                                                         for i in ids])
            db.session.execute(sa.insert(contact_topics), [{"contact_id": i, "topic_id": lettre} for i in ids])
        body = ("Bonjour {{prenom}} {{nom}},\n\n## Les nouvelles de {{structure}}\n\n"
                + "Le programme Territoires d'industrie avance : **ateliers**, visites, *comité technique*.\n\n" * 8
                + "- [Foncier industriel](https://territoires.example.org/foncier)\n- Recrutement et compétences\n")
        campaigns.schedule(campaigns.save_campaign(campaigns.CampaignInput(
            subject="Lettre d'information n°12 pour {{prenom}}", body_markdown=body,
            preheader="Les nouvelles du programme")))
        db.session.commit()


def sender(db_url: str, port: int, instance: str) -> None:
    """Materialises and sends the campaign; prints timings and the peak memory of this process and of its
    SMTP child as JSON."""
    from crm import create_app
    from crm.campaigns import services as campaigns
    from crm.extensions import db
    from crm.mail.pipeline import send_due

    app = create_app(_config(db_url, port, instance))
    children = _ChildPeaks()
    with app.app_context(), children:
        if os.environ.get("BENCH_SQL_PROFILE"):
            _profile_sql(db.engine)
        started = time.perf_counter()
        campaigns.start_due()
        materialised = time.perf_counter()
        report = send_due()
        sent = time.perf_counter()
        campaigns.finish_done()
        db.session.commit()
    print(json.dumps({"sent": report.sent, "failed": report.failed, "stopped": report.stopped,
                      "materialise_s": materialised - started, "send_s": sent - materialised,
                      "timings": report.timings,
                      "maxrss_kib": _peak_rss_kib(), "child_maxrss_kib": children.peak_kib}))


def _profile_sql(engine: Any) -> None:
    """BENCH_SQL_PROFILE=1: at exit, the statements that took the most time, per thread, on stderr."""
    import atexit
    import threading

    import sqlalchemy as sa

    totals: dict[tuple[str, str], list[float]] = {}
    started: dict[int, float] = {}

    def before(conn: Any, *_: Any) -> None:
        started[threading.get_ident()] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        elapsed = time.perf_counter() - started.pop(threading.get_ident(), time.perf_counter())
        entry = totals.setdefault((threading.current_thread().name, " ".join(statement.split())[:100]), [0.0, 0])
        entry[0] += elapsed
        entry[1] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)

    @atexit.register
    def report() -> None:
        for (thread, statement), (total, count) in sorted(totals.items(), key=lambda item: -item[1][0])[:10]:
            print(f"{total:7.3f} s {count:6} x  {thread[:14]:14} {statement}", file=sys.stderr)


def _peak_rss_kib(pid: int | str = "self") -> int:
    """A process's own peak (VmHWM). ru_maxrss is not: Linux carries the parent's high-water mark across
    fork and exec, so a sender started by a big parent would report the parent's peak."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if pid == "self" else 0


class _ChildPeaks:
    """Reads the VmHWM of this process's children (the SMTP children) every 50 ms while the block runs: a high-water
    mark only grows, so the last reading before the child ends is its peak."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> _ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            for children in Path("/proc/self/task").glob("*/children"):
                for pid in children.read_text().split():
                    # Only once it runs the SMTP script: between fork and exec, a child's resident set is its
                    # parent's (a reading then would count the renderer twice).
                    try:
                        if b"smtp_process" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                            continue
                    except OSError:
                        continue
                    self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_rss_kib(pid))

    @property
    def peak_kib(self) -> int:
        """The SMTP children's peaks added up (they run at the same time)."""
        return sum(self.peaks.values())


def sample_message(db_url: str, port: int, instance: str) -> bytes:
    """One message as the pipeline renders it, to make the plain loop send the same bytes."""
    import sqlalchemy as sa

    from crm import create_app
    from crm.campaigns.content import message_for
    from crm.campaigns.models import Campaign
    from crm.extensions import db
    from crm.partners.models import Contact

    app = create_app(_config(db_url, port, instance))
    with app.app_context():
        campaign = db.session.scalar(sa.select(Campaign))
        contact = db.session.scalar(sa.select(Contact).order_by(Contact.id))
        return message_for(campaign, contact).as_bytes()


def _child(mode: str, *args: str) -> Any:
    done = subprocess.run([sys.executable, __file__, f"--{mode}", *args], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    if os.environ.get("BENCH_SQL_PROFILE") and mode == "sender":
        sys.stderr.write(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1]) if mode in ("sender", "sample") else {}


def pipeline_run(db_url: str, port: int, instance: str, recipients: int) -> dict[str, Any]:
    _child("setup", db_url, str(port), instance, str(recipients))
    return _child("sender", db_url, str(port), instance)


def plain_loop(port: int, message: bytes, count: int) -> float:
    connection = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for i in range(count):
        connection.sendmail("retours@example.org", [f"abonne{i}@example.org"], message)
    elapsed = time.perf_counter() - started
    connection.quit()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=2, help="MAIL_MAX_CONNECTIONS of the pipeline")
    parser.add_argument("--pin", action="store_true", help="the sink on one core, the senders on the others")
    parser.add_argument("--setup", nargs=4)
    parser.add_argument("--sender", nargs=3)
    parser.add_argument("--sample", nargs=3)
    args = parser.parse_args()
    if args.sample:
        db_url, port, instance = args.sample
        print(json.dumps(sample_message(db_url, int(port), instance).hex()))
        return
    if args.setup:
        db_url, port, instance, recipients = args.setup
        setup(db_url, int(port), instance, int(recipients))
        return
    if args.sender:
        db_url, port, instance = args.sender
        sender(db_url, int(port), instance)
        return

    connections = int(os.environ.setdefault("MAIL_MAX_CONNECTIONS", str(args.connections)))
    port = _free_port()
    placement = _placement(args.pin)
    counter, ready, stop = multiprocessing.RawValue("l", 0), multiprocessing.Event(), multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(port, counter, ready, stop, placement and placement[0]),
                                   daemon=True)
    sink.start()
    ready.wait(10)
    if placement:
        os.sched_setaffinity(0, placement[1])  # the plain loop, and the sender subprocesses, which inherit it
    with tempfile.TemporaryDirectory() as tmp:
        # A fresh database for each measurement (with SQLite, a file reused after drop_all made the sender's
        # peak memory depend on the previous run).
        db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        large_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench-large.sqlite3"
        try:
            small = pipeline_run(db_url, port, tmp, args.recipients)
            delivered = counter.value
            message = bytes.fromhex(_child("sample", db_url, str(port), tmp))
            plain_s = plain_loop(port, message, args.recipients)
            sink_rate = sink_maximum(port, message)
            large = pipeline_run(large_url, port, tmp, args.large) if args.large else None
        finally:
            stop.set()
            sink.join(10)
    pipeline_rate = small["sent"] / small["send_s"]
    plain_rate = args.recipients / plain_s
    print(f"database: {db_url.split('://')[0]}; message size {len(message):,} bytes; " + (
        f"sink on CPU {sorted(placement[0])}, senders on CPU {sorted(placement[1])}" if placement
        else "CPU placement left to the kernel"))
    print(f"pipeline: {small['sent']:,} sent ({delivered:,} received by the sink) in {small['send_s']:.1f} s "
          f"= {pipeline_rate:,.0f} msg/s (materialisation in one INSERT ... SELECT: {small['materialise_s']:.2f} s)")
    print(f"plain smtplib loop: {args.recipients:,} in {plain_s:.1f} s = {plain_rate:,.0f} msg/s; "
          f"the sink's own maximum (4 connections at once, fully pipelined): {sink_rate:,.0f} msg/s")
    timings = small["timings"]
    busy = sum(timings.values())
    print("where the pipeline's sending time goes: " + ", ".join(
        f"{name} {seconds:.2f} s ({seconds / small['send_s']:.0%})" for name, seconds in timings.items())
        + f", other {small['send_s'] - busy:.2f} s ({connections} SMTP connections)")
    ratio = pipeline_rate / plain_rate
    print(f"ratio pipeline / plain loop: {ratio:.2f} (target >= 1.0) {'OK' if ratio >= 1.0 else 'UNDER TARGET'}")
    print(f"sender peak memory at {args.recipients:,} recipients: {_memory(small)}")
    if large:
        print(f"sender peak memory at {args.large:,} recipients: {_memory(large)} "
              f"({large['sent']:,} sent in {large['send_s']:.0f} s)")
        ratio = _total_kib(large) / _total_kib(small)
        print(f"memory ratio large / small: {ratio:.2f} (target <= 1.1) {'OK' if ratio <= 1.1 else 'OVER TARGET'}")


def _total_kib(run: dict[str, Any]) -> int:
    return int(run["maxrss_kib"] + run["child_maxrss_kib"])


def _memory(run: dict[str, Any]) -> str:
    return (f"{_total_kib(run) / 1024:.1f} MiB (renderer {run['maxrss_kib'] / 1024:.1f} MiB "
            f"+ SMTP children {run['child_maxrss_kib'] / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
