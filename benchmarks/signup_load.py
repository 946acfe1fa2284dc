"""Load on the public signup POST: the app under gunicorn (2 workers) on a loopback port, a temporary database.

    .venv/bin/python benchmarks/signup_load.py [--threads 8] [--requests 400] [--duration 60]

Each simulated visitor does what a browser does: GET /inscription (session cookie + CSRF token from the form),
then POST the form with both, and expects the 303 to the thank-you page. Every POST uses a new address.

Configuration used (documented here, set only for the benchmark's gunicorn):
- SIGNUP_RATE_LIMIT is raised to "1000000 per minute": the production default (5 per minute per IP and per
  address) would refuse almost every POST, since all load comes from 127.0.0.1.
- DATABASE_URL: a temporary SQLite file in WAL mode, unless DATABASE_URL is set in the environment (e.g. a
  PostgreSQL database of your own; its tables are created if missing, and the benchmark's rows are left there).
- MAIL_SERVER unset: confirmation mails go to a temporary Maildir (the embedded transport), one per signup.

Prints POST requests per second, the error count, latency percentiles, and checks the rows written.
Never run by pytest. Loopback only; bounded by --requests and --duration.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def prepare_database(url: str) -> None:
    """Tables and reference data, in this process, before gunicorn starts."""
    from crm import create_app
    from crm.consent.services import load_topics
    from crm.extensions import db
    from crm.partners.taxonomy import load_reference_taxonomy

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        if url.startswith("sqlite"):
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        db.create_all()
        load_reference_taxonomy()
        load_topics()
        db.session.commit()
        db.engine.dispose()


def count_contacts(url: str, domain: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT COUNT(*) FROM contacts WHERE email LIKE :d"),
                                   {"d": f"%@{domain}"}).scalar_one()
    engine.dispose()
    return int(total)


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/inscription")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


class Visitor(threading.Thread):
    def __init__(self, index: int, port: int, domain: str, budget: Budget) -> None:
        super().__init__(daemon=True)
        self.index, self.port, self.domain, self.budget = index, port, domain, budget
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def _call(self, method: str, path: str, body: str | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def run(self) -> None:
        n = 0
        while self.budget.take():
            n += 1
            try:
                status, headers, page = self._call("GET", "/inscription")
                match = CSRF.search(page)
                cookie = headers.get("set-cookie", "").split(";", 1)[0]
                if status != 200 or not match or not cookie:
                    self.errors.append(f"GET {status}")
                    continue
                token = match.group(1) or match.group(2)
                form = urlencode({
                    "csrf_token": token, "organisation_name": f"Atelier {self.index}-{n}", "sector": "plasturgie",
                    "postal_code": "61000", "commune": "Alençon", "first_name": "Camille", "last_name": f"Test{n}",
                    "email": f"bench-{self.index}-{n}@{self.domain}", "requests": "newsletter",
                    "axes": "innovation", "consent": "y", "site_web": "",
                })
                started = time.perf_counter()
                status, headers, _ = self._call("POST", "/inscription", form, {
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
                self.latencies.append(time.perf_counter() - started)
                if status != 303 or not headers.get("location", "").endswith("/inscription/merci"):
                    self.errors.append(f"POST {status}")
            except OSError as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")


class Budget:
    """At most ``count`` visits, and none started after ``seconds``."""

    def __init__(self, count: int, seconds: float) -> None:
        self.left, self.deadline, self.lock = count, time.monotonic() + seconds, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() > self.deadline:
                return False
            self.left -= 1
            return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400, help="signup POSTs in total (upper bound)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (upper bound)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="signup-bench-") as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        domain = f"bench{int(time.time())}.example.org"
        prepare_database(url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "signup-bench-secret", "CRM_ENV": "development",
               "SIGNUP_RATE_LIMIT": "1000000 per minute", "MAILDIR_PATH": f"{tmp}/outbox", "MAIL_SERVER": "",
               "SIGNUP_KIT_DIR": f"{tmp}/kit", "RATELIMIT_STORAGE_URI": "memory://"}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{port}",
             "--log-level", "warning", "crm:create_app()"], cwd=ROOT, env=env)
        try:
            wait_ready(port)
            budget = Budget(args.requests, args.duration)
            visitors = [Visitor(i, port, domain, budget) for i in range(args.threads)]
            started = time.perf_counter()
            for visitor in visitors:
                visitor.start()
            for visitor in visitors:
                visitor.join(args.duration + 60)
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        latencies = sorted(x for v in visitors for x in v.latencies)
        errors = [e for v in visitors for e in v.errors]
        written = count_contacts(url, domain)
        posts = len(latencies)
        print(f"database           : {url.split('@')[-1] if '@' in url else 'temporary SQLite (WAL)'}")
        print(f"gunicorn workers   : 2, load threads: {args.threads}, loopback port {port}")
        print(f"signup POSTs       : {posts} in {elapsed:.1f} s (each after a GET for the CSRF token)")
        print(f"POST requests/s    : {posts / elapsed:.1f}   (all HTTP requests, GET + POST: {2 * posts / elapsed:.1f}/s)")
        if latencies:
            p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
            print(f"POST latency       : median {statistics.median(latencies) * 1000:.0f} ms, "
                  f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
        print(f"errors             : {len(errors)}" + (f"  e.g. {sorted(set(errors))[:5]}" if errors else ""))
        print(f"contacts written   : {written} (expected {posts - len([e for e in errors if e.startswith('POST')])})")
        ok = not errors and written == posts
        print("result             : " + ("OK, no error under load" if ok else "ERRORS"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
