"""Import 10,000 then 50,000 rows into an empty database and print rows per second for each, and their ratio.

The cost must grow linearly with the file: the ratio (rate at 50,000 / rate at 10,000) should be >= 0.8.
Usage: .venv/bin/python benchmarks/import_scale.py [DATABASE_URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm import create_app  # noqa: E402
from crm.consent.services import load_topics  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.imports import fields  # noqa: E402
from crm.imports.reading import read_file  # noqa: E402
from crm.imports.services import run_import  # noqa: E402
from crm.partners.normalize import luhn_ok  # noqa: E402
from crm.partners.taxonomy import load_reference_taxonomy  # noqa: E402

ROUNDS = 2
HEADER = ["Prénom", "Nom", "E-mail", "Téléphone", "Structure", "SIRET", "Code postal", "Ville", "Consentement"]


def siret(n: int) -> str:
    base = f"8{n:012d}"
    return next(base + str(k) for k in range(10) if luhn_ok(base + str(k)))


def make_file(count: int, offset: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(offset, offset + count):
        org = i // 8
        writer.writerow(["Hélène", f"Fictive-{i}", f"bench.{i}@example.org", "02 33 00 00 00",
                         f"Entreprise fictive {org}", siret(org), "61000", "Alençon", "oui" if i % 4 == 0 else ""])
    return out.getvalue().encode("cp1252")


def timed_import(count: int, offset: int) -> float:
    sheet = read_file("bench.csv", make_file(count, offset))
    mapping = fields.propose_mapping(sheet.header)
    start = time.perf_counter()
    _plan, summary = run_import(sheet, mapping, "update", filename="bench.csv")
    db.session.commit()
    elapsed = time.perf_counter() - start
    assert summary["contacts_created"] == count, summary
    return count / elapsed


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_taxonomy()
        load_topics()
        db.session.commit()
        # Each import runs against a base that already holds the previous ones: lookups must stay cheap.
        # Two rounds, best rate of each size kept: the machine is shared, one slow moment should not decide.
        small = large = 0.0
        offset = 0
        for _round in range(ROUNDS):
            small = max(small, timed_import(10_000, offset))
            large = max(large, timed_import(50_000, offset + 10_000))
            offset += 60_000
        print(f"database: {db.engine.dialect.name} (best of {ROUNDS} rounds; base grows to {offset:,} contacts)")
        print(f"10,000 rows: {small:,.0f} rows/s")
        print(f"50,000 rows: {large:,.0f} rows/s")
        print(f"ratio (50k rate / 10k rate): {large / small:.2f}  (linear if >= 0.8)")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
