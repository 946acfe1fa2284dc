"""Import 10,000 then 50,000 rows into an empty database and print rows per second for each, and their ratio;
then import a 5 MB CSV and a 5 MB XLSX through the back office's steps and print each one's peak memory.

The cost must grow linearly with the file: the ratio (rate at 50,000 / rate at 10,000) should be >= 0.8.
The peak memory (resident set, VmHWM) of the import of a 5 MB file should stay under 300 MB; each file is
imported in a process of its own, so that one peak does not hide the other.
Usage: .venv/bin/python benchmarks/import_scale.py [DATABASE_URL] [--memory-only]
       (default: a temporary SQLite file)
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
FILE_BYTES = 5 * 1024 * 1024
MEMORY_LIMIT_MB = 300
HEADER = ["Prénom", "Nom", "E-mail", "Téléphone", "Structure", "SIRET", "Code postal", "Ville", "Consentement"]


def siret(n: int) -> str:
    base = f"8{n:012d}"
    return next(base + str(k) for k in range(10) if luhn_ok(base + str(k)))


def row(i: int) -> list[str]:
    org = i // 8
    return ["Hélène", f"Fictive-{i}", f"bench.{i}@example.org", "02 33 00 00 00", f"Entreprise fictive {org}",
            siret(org), "61000", "Alençon", "oui" if i % 4 == 0 else ""]


def make_file(count: int, offset: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(offset, offset + count):
        writer.writerow(row(i))
    return out.getvalue().encode("cp1252")


def make_xlsx(count: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for i in range(count):
        sheet.append(row(i))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def five_megabytes(make: Callable[[int], bytes]) -> bytes:
    """A file of about 5 MB: the row count is scaled from a first try."""
    count = 20_000
    for _attempt in range(3):
        data = make(count)
        if abs(len(data) - FILE_BYTES) < FILE_BYTES * 0.02:
            break
        count = int(count * FILE_BYTES / len(data))
    return data


def timed_import(count: int, offset: int) -> float:
    sheet = read_file("bench.csv", make_file(count, offset))
    mapping = fields.propose_mapping(sheet.header)
    start = time.perf_counter()
    _plan, summary = run_import(sheet, mapping, "update", filename="bench.csv")
    db.session.commit()
    elapsed = time.perf_counter() - start
    assert summary["contacts_created"] == count, summary
    return count / elapsed


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM): ru_maxrss may carry a parent's across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_like_the_back_office(path: str, url: str) -> None:
    """In a process of its own: upload (read once), columns, simulation, run; prints one line of JSON."""
    from crm.imports import services

    uploads = tempfile.TemporaryDirectory()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "IMPORT_UPLOAD_DIR": uploads.name})
    with uploads, app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_taxonomy()
        load_topics()
        db.session.commit()
        baseline = peak_rss_mb()
        start = time.perf_counter()
        upload = services.save_upload(Path(path).name, Path(path).read_bytes())
        upload = services.load_upload(upload.token)
        assert not services.set_choices(upload, upload.mapping, "update", False)
        db.session.commit()
        summary = services.simulate(services.load_upload(upload.token)).summary()
        db.session.rollback()
        upload = services.load_upload(upload.token)
        _plan, done = services.run_import(upload.sheet, upload.mapping, upload.mode, filename=upload.filename,
                                          expected=summary)
        db.session.commit()
        services.discard_upload(upload.token)
        elapsed = time.perf_counter() - start
        print(json.dumps({"rows": summary["rows"], "created": done["contacts_created"], "seconds": elapsed,
                          "baseline_mb": baseline, "peak_mb": peak_rss_mb()}))
        db.session.remove()
        db.drop_all()


def memory(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as name:
        measure_memory(Path(name), url)


def measure_memory(folder: Path, url: str | None) -> None:
    files = {"CSV": ("bench.csv", five_megabytes(lambda n: make_file(n, 0))),
             "XLSX": ("bench.xlsx", five_megabytes(make_xlsx))}
    for kind, (name, data) in files.items():
        path = folder / name
        path.write_bytes(data)
        child_url = url or f"sqlite:///{folder}/memory-{kind.lower()}.sqlite3"
        output = subprocess.run([sys.executable, __file__, "--memory-child", str(path), child_url],
                                check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        verdict = "under" if result["peak_mb"] < MEMORY_LIMIT_MB else "OVER"
        print(f"{kind} {len(data) / 2**20:.1f} MB, {result['rows']:,} rows: peak RSS {result['peak_mb']:.0f} MB "
              f"({verdict} {MEMORY_LIMIT_MB} MB; {result['baseline_mb']:.0f} MB before the import), "
              f"{result['seconds']:.0f} s")


def main() -> None:
    if sys.argv[1:2] == ["--memory-child"]:
        import_like_the_back_office(sys.argv[2], sys.argv[3])
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--memory-only" in sys.argv:
        memory(args[0] if args else None)
        return
    url = args[0] if args else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    rates(url)
    memory(args[0] if args else None)


def rates(url: str) -> None:
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
