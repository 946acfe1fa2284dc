"""p95 server time of a filtered, searched, sorted contact list page at 1,000 and at 100,000 (or 1,000,000) contacts.

    python benchmarks/admin_list.py                       # SQLite in a temporary folder
    python benchmarks/admin_list.py --database-url postgresql+psycopg://user:pw@127.0.0.1/db

    python benchmarks/admin_list.py --large 1000000 --runs 3

Each size is seeded once (COPY and VACUUM ANALYZE on PostgreSQL), then measured ``--runs`` times; the plan of
the slowest statement is printed for both sizes. On PostgreSQL the benchmark works in schemas of its own
(dropped at the end). Target: p95 ratio <= 2.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import scratch_database_url  # noqa: E402
from crm import create_app  # noqa: E402
from crm.auth.services import create_user  # noqa: E402
from crm.consent.services import email_hash, load_topics  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.partners.models import (  # noqa: E402
    Axis,
    ClubMembership,
    Contact,
    Organisation,
    OrganisationKind,
    Sector,
    contact_axes,
    contact_sectors,
    contact_words,
    organisation_sectors,
    organisation_words,
)
from crm.partners.normalize import search_key  # noqa: E402
from crm.partners.taxonomy import load_reference_taxonomy  # noqa: E402
from crm.partners.words import contact_word_rows, word_rows  # noqa: E402
from crm.partners.territory import locate  # noqa: E402

SCHEMA = "bench_admin_list"
SYLLABLES = ["ma", "ri", "lo", "ca", "be", "du", "fa", "ge", "ni", "po", "sa", "te", "vi", "ro", "mo", "la",
             "ne", "pi", "cha", "ber", "tin", "val", "mar", "gon", "dre", "lle", "son", "cour", "fon", "bel"]
POSTAL_CODES = ["61000", "61250", "72610", "72000", "14000", "53000", "50000", "27000", "44000", "49000"]
# What the programme manager types: the first letters of a name, a company or a town, plus filters.
QUERIES = [
    "q=marti&department=61&sort=-name",
    "q=beval&region=Normandie&sort=name",
    "q=chatin&axis=foncier&sort=name",
    "q=loca&club=yes&sort=name",
    "q=rifon&sector=plasturgie&sort=-name",
]
# Two-letter prefixes match a tenth of the base: their cost grows with the number of matches (see --broad).
BROAD_QUERIES = [
    "q=mar&department=61&sort=-name",
    "q=be&region=Normandie&sort=name",
    "q=ri&sector=plasturgie&sort=-name",
]
PASSWORD = "benchmark password"


def fake_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _bulk_insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Many rows at once: COPY on PostgreSQL (ten times an executemany), an executemany on SQLite."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    # COPY applies no Python-side default (a contact's link secret): they are computed here.
    defaults = {column.name: column.default for column in table.columns
                if column.name not in rows[0] and column.default is not None}
    columns = [*rows[0], *defaults]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([*row.values(), *(default.arg(None) if default.is_callable else default.arg
                                             for default in defaults.values())])


def seed(contacts: int, rng: random.Random) -> None:
    load_reference_taxonomy()
    load_topics()
    db.session.commit()
    kinds = db.session.scalars(sa.select(OrganisationKind.id)).all()
    sectors = db.session.scalars(sa.select(Sector.id)).all()
    axes = db.session.scalars(sa.select(Axis.id)).all()
    now = datetime.now(UTC)
    organisations = max(1, contacts // 10)
    org_rows, org_sector_rows, club_rows = [], [], []
    for org_id in range(1, organisations + 1):
        name = f"{fake_name(rng)} {rng.choice(['Industrie', 'Plastiques', 'Services', 'Formation'])}"
        place = locate(rng.choice(POSTAL_CODES))
        commune = fake_name(rng)
        org_rows.append({"id": org_id, "name": name, "name_key": search_key(name), "kind_id": rng.choice(kinds),
                         "address": "", "postal_code": place.postal_code, "commune": commune,
                         "commune_key": search_key(commune), "department": place.department, "region": place.region,
                         "website": "", "created_at": now, "updated_at": now})
        org_sector_rows.append({"organisation_id": org_id, "sector_id": rng.choice(sectors)})
        if rng.random() < 0.2:
            club_rows.append({"organisation_id": org_id, "joined_on": date(2024, 2, 15), "created_at": now})
    connection = db.session.connection()
    _bulk_insert(connection, Organisation.__table__, org_rows)
    _bulk_insert(connection, organisation_words, [word for row in org_rows for word in
                                                  word_rows(row["id"], row["name_key"], row["commune_key"])])
    _bulk_insert(connection, organisation_sectors, org_sector_rows)
    _bulk_insert(connection, ClubMembership.__table__, [{"id": i, **row} for i, row in enumerate(club_rows, 1)])
    batch: list[dict] = []
    axis_rows: list[dict] = []
    word_rows_batch: list[dict] = []
    sector_rows: list[dict] = []
    for contact_id in range(1, contacts + 1):
        first, last = fake_name(rng), fake_name(rng)
        email = f"{first}.{last}.{contact_id}@example.org".lower()
        batch.append({"id": contact_id, "civility": "", "first_name": first, "last_name": last,
                      "first_name_key": search_key(first), "last_name_key": search_key(last), "email": email,
                      "email_hash": email_hash(email), "phone": "", "job_title": "",
                      "organisation_id": rng.randint(1, organisations), "ambassador_status": "none",
                      "language": "fr", "created_at": now, "updated_at": now})
        word_rows_batch.extend(contact_word_rows(contact_id, search_key(first), search_key(last)))
        axis_rows.append({"contact_id": contact_id, "axis_id": rng.choice(axes)})
        if rng.random() < 0.3:
            sector_rows.append({"contact_id": contact_id, "sector_id": rng.choice(sectors)})
        if len(batch) >= 20000 or contact_id == contacts:
            _bulk_insert(connection, Contact.__table__, batch)
            _bulk_insert(connection, contact_axes, axis_rows)
            _bulk_insert(connection, contact_sectors, sector_rows)
            _bulk_insert(connection, contact_words, word_rows_batch)
            batch, axis_rows, sector_rows, word_rows_batch = [], [], [], []
    if connection.dialect.name == "postgresql":
        for table in ("organisations", "contacts", "club_memberships"):
            connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    if connection.dialect.name == "postgresql":
        # What autovacuum does to a table loaded this way within a minute or so: statistics, and the visibility map
        # that lets index-only scans (the list's existence checks) skip the table.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def database_url_for(base_url: str | None, folder: Path, size: int) -> str:
    return scratch_database_url(base_url, folder / f"bench_{size}.sqlite3", f"{SCHEMA}_{size}")


class Base:
    """One seeded database and a logged-in client on it."""

    def __init__(self, size: int, base_url: str | None, folder: Path) -> None:
        self.size, self.base_url = size, base_url
        url = database_url_for(base_url, folder, size)
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                               "MAILDIR_PATH": str(folder / "outbox"), "LOGIN_RATE_LIMIT": "1000 per minute"})
        with self.app.app_context():
            db.create_all()
            started = time.perf_counter()
            seed(size, random.Random(size))
            self.seeded_in = time.perf_counter() - started
            create_user("bench@example.org", PASSWORD, "viewer")
            db.session.commit()
            self.engine = db.engine
            self.dialect = db.engine.dialect.name
        self.client = self.app.test_client()
        self.client.post("/connexion", data={"email": "bench@example.org", "password": PASSWORD})
        for query in QUERIES:  # warm-up: caches, templates, query plans
            assert self.client.get(f"/admin/contacts/?{query}").status_code == 200
        # Per SQL text: total time over the measured pages, the slowest execution and its parameters.
        self.totals: dict[str, tuple[float, float, Any]] = {}

    def measure(self, repeats: int) -> tuple[float, float, int]:
        """p95 and median of the page's server time, and SQL statements per page; notes the slowest statement."""
        statements = 0
        started_at: dict[int, float] = {}

        def before(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
            nonlocal statements
            statements += 1
            started_at[id(conn)] = time.perf_counter()

        def after(conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool) -> None:
            elapsed = time.perf_counter() - started_at.pop(id(conn), time.perf_counter())
            total, slowest, slowest_params = self.totals.get(statement, (0.0, 0.0, None))
            if elapsed >= slowest:
                slowest, slowest_params = elapsed, params
            self.totals[statement] = (total + elapsed, slowest, slowest_params)

        sa.event.listen(self.engine, "before_cursor_execute", before)
        sa.event.listen(self.engine, "after_cursor_execute", after)
        timings = []
        try:
            for _ in range(repeats):
                for query in QUERIES:
                    started = time.perf_counter()
                    response = self.client.get(f"/admin/contacts/?{query}")
                    timings.append(time.perf_counter() - started)
                    assert response.status_code == 200
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", before)
            sa.event.remove(self.engine, "after_cursor_execute", after)
        p95 = statistics.quantiles(timings, n=20)[18]
        return p95, statistics.median(timings), statements // (repeats * len(QUERIES))

    def worst_plan(self) -> str:
        """The plan of the statement that took the most time in all (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
        ANALYZE on PostgreSQL), with the parameters of its slowest execution."""
        statement, (total, elapsed, params) = max(self.totals.items(), key=lambda item: item[1][0])
        explain = "EXPLAIN QUERY PLAN " if self.dialect == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection  # type: ignore[union-attr]
            cursor = raw.cursor()
            cursor.execute(explain + statement, params)
            rows = cursor.fetchall()
        if self.dialect == "sqlite":
            lines = [f"{'  ' * _depth(row, rows)}{row[3]}" for row in rows]
        else:
            lines = [row[0] for row in rows]
        first_line = " ".join(statement.split())[:160]
        return (f"    worst statement ({total * 1000:.0f} ms in all, slowest {elapsed * 1000:.1f} ms): {first_line}...\n"
                + "\n".join(f"      {line}" for line in lines))

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            if self.base_url:
                with db.engine.begin() as connection:
                    connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA}_{self.size} CASCADE"))
            db.engine.dispose()


def _depth(row: Any, rows: list[Any]) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1, help="measurements of both sizes, each seeded once")
    parser.add_argument("--broad", action="store_true", help="two-letter searches matching ~10%% of contacts")
    args = parser.parse_args()
    if args.broad:
        QUERIES[:] = BROAD_QUERIES
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"admin_list benchmark on {backend}: filtered, searched, sorted contact list ({len(QUERIES)} queries)")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bases = [Base(args.small, args.database_url, folder), Base(args.large, args.database_url, folder)]
        try:
            for base in bases:
                print(f"  {base.size:>9,} contacts seeded in {base.seeded_in:.1f} s")
            for run in range(1, args.runs + 1):
                (small, small_median, small_statements), (large, large_median, large_statements) = (
                    base.measure(args.repeats) for base in bases)
                ratio = large / small
                worst = max(worst, ratio)
                print(f"  run {run}: p95 {small * 1000:.1f} ms at {args.small:,} (median {small_median * 1000:.1f}), "
                      f"{large * 1000:.1f} ms at {args.large:,} (median {large_median * 1000:.1f}); "
                      f"ratio {ratio:.2f} (target <= 2) {'OK' if ratio <= 2 else 'OVER TARGET'}; "
                      f"SQL statements per page: {small_statements} -> {large_statements}")
            for base in bases:
                print(f"  worst query's plan at {base.size:,} contacts:")
                print(base.worst_plan())
        finally:
            for base in bases:
                base.close()
    return 0 if worst <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
