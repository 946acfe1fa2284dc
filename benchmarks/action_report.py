"""Server time and SQL statement count of the action plan's progress report page and of its XLSX export, for a
plan of 26 actions and for a stress plan of 2,000 actions.

    python benchmarks/action_report.py                       # SQLite in a temporary folder
    python benchmarks/action_report.py --database-url postgresql+psycopg://user:pw@127.0.0.1/db

On PostgreSQL the benchmark works in its own schema (dropped at the end). The report reads the whole plan in a
fixed number of queries (one per table): the counts must be the same at both sizes. Target: the 2,000-action
report under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import scratch_database_url  # noqa: E402
from crm import create_app  # noqa: E402
from crm.actions import versions  # noqa: E402
from crm.actions.demo import build_plan  # noqa: E402
from crm.auth.services import create_user  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.partners.models import Organisation  # noqa: E402
from crm.partners.normalize import search_key  # noqa: E402
from crm.partners.taxonomy import load_reference_taxonomy  # noqa: E402

SCHEMA = "bench_action_report"
PASSWORD = "bench password 123"
PAGES = {"report page": "/admin/plan-d-actions/etat-d-avancement",
         "XLSX export": "/admin/plan-d-actions/etat-d-avancement.xlsx"}


def database_url_for(base_url: str | None, folder: Path, size: int) -> str:
    return scratch_database_url(base_url, folder / f"bench_actions_{size}.sqlite3", SCHEMA)


def measure(size: int, base_url: str | None, folder: Path, repeats: int) -> dict[str, tuple[float, int]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url_for(base_url, folder, size), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "MAILDIR_PATH": str(folder / "outbox"),
                      "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        db.create_all()
        load_reference_taxonomy()
        for index in range(40):  # pilots and partners
            name = f"Entreprise fictive {index}"
            db.session.add(Organisation(name=name, name_key=search_key(name)))
        db.session.flush()
        build_plan(size, lines_per_action=4)
        versions.freeze()  # "since the last committee" has a version to compare with
        create_user("bench@example.org", PASSWORD, "viewer")
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    client.post("/connexion", data={"email": "bench@example.org", "password": PASSWORD})
    results = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200  # warm-up
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        sa.event.listen(engine, "before_cursor_execute", count)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        sa.event.remove(engine, "before_cursor_execute", count)
        results[name] = (statistics.median(timings), statements // repeats)
        print(f"  {size:>5} actions, {name:<12}: median {statistics.median(timings) * 1000:8.1f} ms, "
              f"max {max(timings) * 1000:8.1f} ms, {statements // repeats} SQL statements")
    with app.app_context():
        db.session.remove()
        if base_url:
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--small", type=int, default=26)
    parser.add_argument("--large", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"Action plan report on {'PostgreSQL' if args.database_url else 'SQLite'}:")
    with tempfile.TemporaryDirectory() as folder:
        small = measure(args.small, args.database_url, Path(folder), args.repeats)
        large = measure(args.large, args.database_url, Path(folder), args.repeats)
    same = all(small[name][1] == large[name][1] for name in PAGES)
    fast = large["report page"][0] < 2.0
    for name in PAGES:
        print(f"  {name}: time ratio {args.large}/{args.small} = {large[name][0] / small[name][0]:.1f}, "
              f"SQL statements {small[name][1]} and {large[name][1]}")
    print(f"  same query count at both sizes: {'yes' if same else 'NO'}; "
          f"{args.large}-action report under 2 s: {'yes' if fast else 'NO'}")
    return 0 if same and fast else 1


if __name__ == "__main__":
    sys.exit(main())
