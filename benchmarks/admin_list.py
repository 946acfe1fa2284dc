"""p95 server time of a filtered, searched, sorted contact list page at 1,000 and at 100,000 contacts.

    python benchmarks/admin_list.py                       # SQLite in a temporary folder
    python benchmarks/admin_list.py --database-url postgresql+psycopg://user:pw@127.0.0.1/db

On PostgreSQL the benchmark works in its own schema (dropped at the end). Target: ratio <= 3.
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
    connection.execute(sa.insert(Organisation.__table__), org_rows)
    connection.execute(sa.insert(organisation_words), [word for row in org_rows for word in
                                                       word_rows(row["id"], row["name_key"], row["commune_key"])])
    connection.execute(sa.insert(organisation_sectors), org_sector_rows)
    connection.execute(sa.insert(ClubMembership.__table__), club_rows)
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
        if len(batch) >= 5000:
            connection.execute(sa.insert(Contact.__table__), batch)
            connection.execute(sa.insert(contact_axes), axis_rows)
            connection.execute(sa.insert(contact_sectors), sector_rows)
            if word_rows_batch:
                connection.execute(sa.insert(contact_words), word_rows_batch)
            batch, axis_rows, sector_rows, word_rows_batch = [], [], [], []
    if batch:
        connection.execute(sa.insert(Contact.__table__), batch)
        connection.execute(sa.insert(contact_axes), axis_rows)
        connection.execute(sa.insert(contact_sectors), sector_rows)
        if word_rows_batch:
            connection.execute(sa.insert(contact_words), word_rows_batch)
    if connection.dialect.name == "postgresql":
        for table in ("organisations", "contacts"):
            connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def database_url_for(base_url: str | None, folder: Path, size: int) -> str:
    return scratch_database_url(base_url, folder / f"bench_{size}.sqlite3", SCHEMA)


def measure(size: int, base_url: str | None, folder: Path, repeats: int) -> tuple[float, float, int]:
    url = database_url_for(base_url, folder, size)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "MAILDIR_PATH": str(folder / "outbox"), "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        seed(size, random.Random(size))
        seeded_in = time.perf_counter() - started
        create_user("bench@example.org", PASSWORD, "viewer")
        db.session.commit()
        statements = 0

        def count_statements(*_args: object) -> None:
            nonlocal statements
            statements += 1

        engine = db.engine
    client = app.test_client()
    client.post("/connexion", data={"email": "bench@example.org", "password": PASSWORD})
    for query in QUERIES:  # warm-up: caches, templates, query plans
        assert client.get(f"/admin/contacts/?{query}").status_code == 200
    sa.event.listen(engine, "before_cursor_execute", count_statements)
    timings = []
    for _ in range(repeats):
        for query in QUERIES:
            started = time.perf_counter()
            response = client.get(f"/admin/contacts/?{query}")
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
    sa.event.remove(engine, "before_cursor_execute", count_statements)
    p95 = statistics.quantiles(timings, n=20)[18]
    per_page = statements // (repeats * len(QUERIES))
    print(f"  {size:>7} contacts: seeded in {seeded_in:.1f} s, p95 {p95 * 1000:.1f} ms, "
          f"median {statistics.median(timings) * 1000:.1f} ms, {per_page} SQL statements per page")
    with app.app_context():
        db.session.remove()
        if base_url:
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        db.engine.dispose()
    return p95, statistics.median(timings), per_page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--broad", action="store_true", help="two-letter searches matching ~10%% of contacts")
    args = parser.parse_args()
    if args.broad:
        QUERIES[:] = BROAD_QUERIES
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"admin_list benchmark on {backend}: filtered, searched, sorted contact list ({len(QUERIES)} queries)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, _, small_statements = measure(args.small, args.database_url, folder, args.repeats)
        large, _, large_statements = measure(args.large, args.database_url, folder, args.repeats)
    ratio = large / small
    print(f"p95 ratio {args.large:,} / {args.small:,} contacts: {ratio:.2f} (target <= 3) "
          f"{'OK' if ratio <= 3 else 'OVER TARGET'}; SQL statements per page: {small_statements} -> "
          f"{large_statements} (no N+1)")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
