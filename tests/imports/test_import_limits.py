"""Import files are bounded before they are expanded: rows, columns, cells and characters are checked while the
file is read, an XLSX's declared dimension is not trusted, and the file is parsed once per import."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import reading
from crm.imports.reading import ImportFileError, read_file
from crm.partners.models import Contact


def _xlsx(rows: list[list[Any]], dimension: str | None = None) -> bytes:
    """A workbook; ``dimension`` replaces the size the sheet declares (what a broken exporter may write)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    if dimension is None:
        return out.getvalue()
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode(), data)
                assert count == 1
            target.writestr(item, data)
    return patched.getvalue()


def _peak_mib(function: Any, *args: Any) -> tuple[Any, float]:
    """What ``function`` allocates at its peak, in MiB, beyond what was held before."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = function(*args)
        return result, (tracemalloc.get_traced_memory()[1] - before) / 2**20
    finally:
        if started:
            tracemalloc.stop()


def test_declared_xlsx_dimension_is_not_trusted() -> None:
    # Two cells 400 lines apart, in a sheet that says it is 16,384 columns wide: rows are not padded to it.
    raw = _xlsx([["E-mail", "Nom"], *([[None, None]] * 398), ["a@example.org", "Exemple"]], "A1:XFD400")
    sheet, peak = _peak_mib(read_file, "large.xlsx", raw)
    assert sheet.header == ["E-mail", "Nom"]
    assert len(sheet.rows) == 399 and sheet.rows[-1] == ["a@example.org", "Exemple"]
    assert peak < 10, f"{peak:.0f} MiB to read two cells"


def _counting_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the rows openpyxl hands out, to see where reading stopped."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    pulled = [0]
    original = ReadOnlyWorksheet._cells_by_row

    def counted(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for row in original(self, *args, **kwargs):
            pulled[0] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counted)
    return pulled


def test_xlsx_row_limit_is_checked_while_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _xlsx([["E-mail"], *([f"p{i}@example.org"] for i in range(2000))])
    monkeypatch.setattr(reading, "MAX_ROWS", 2000)
    assert len(read_file("p.xlsx", raw).rows) == 2000  # at the limit: read
    monkeypatch.setattr(reading, "MAX_ROWS", 100)
    pulled = _counting_rows(monkeypatch)
    with pytest.raises(ImportFileError, match="plus de 100 lignes : découpez-le"):
        read_file("p.xlsx", raw)
    assert pulled[0] <= 102  # the header, 100 rows, the one too many: the rest is never read


def test_dense_xlsx_is_refused_at_the_cell_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _xlsx([[f"c{i}" for i in range(50)], *([str(i * j) for j in range(50)] for i in range(400))])
    monkeypatch.setattr(reading, "MAX_CELLS", 400 * 50 + 50)
    assert len(read_file("dense.xlsx", raw).rows) == 400  # at the limit: read
    monkeypatch.setattr(reading, "MAX_CELLS", 5_000)
    pulled = _counting_rows(monkeypatch)
    with pytest.raises(ImportFileError, match=r"plus de 5\u202f000 cellules"):
        read_file("dense.xlsx", raw)
    assert pulled[0] <= 101


def test_too_many_columns_are_refused_csv_and_xlsx() -> None:
    wide = ";".join(f"c{i}" for i in range(100_000)) + "\r\n" + ";".join("x" for _ in range(100_000)) + "\r\n"
    with pytest.raises(ImportFileError, match="La ligne 1 compte plus de 200 colonnes"):
        read_file("wide.csv", wide.encode())
    # A data row too wide is stopped before the csv module builds it whole.
    narrow_header = "E-mail;Nom\r\na@example.org;" + ";" * 100_000 + "x\r\n"
    with pytest.raises(ImportFileError, match="plus de 200 colonnes"):
        read_file("wide.csv", narrow_header.encode())
    with pytest.raises(ImportFileError, match="La ligne 2 compte plus de 200 colonnes"):
        read_file("wide.xlsx", _xlsx([["E-mail"], [f"v{i}" for i in range(201)]]))
    # 200 columns, and empty cells after the last filled one, are fine.
    ok = ";".join(f"c{i}" for i in range(200)) + ";;;;\r\n" + ";".join("x" for _ in range(200)) + ";;;;\r\n"
    assert len(read_file("ok.csv", ok.encode()).header) == 200
    assert len(read_file("ok.xlsx", _xlsx([[f"c{i}" for i in range(200)], ["x"] * 200])).rows[0]) == 200


def test_characters_are_bounded_and_cells_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    long_text = "é" * 5000
    sheet = read_file("long.xlsx", _xlsx([["Nom", "Notes"], ["Exemple", long_text]]))
    assert sheet.rows == [["Exemple", "é" * reading.MAX_CELL_CHARS]]
    monkeypatch.setattr(reading, "MAX_CHARS", 10_000)
    rows = "".join(f"Exemple {i};{'x' * 900}\r\n" for i in range(20))
    with pytest.raises(ImportFileError, match=r"plus de 10\u202f000 caractères"):
        read_file("many.csv", ("Nom;Notes\r\n" + rows).encode())


def test_xlsx_parts_too_large_once_inflated_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _xlsx([["Nom"], *([f"Nom {i}" * 20] for i in range(500))])
    monkeypatch.setattr(reading, "MAX_XLSX_SHEET_BYTES", 10_000)
    with pytest.raises(ImportFileError, match="trop volumineux une fois décompressé"):
        read_file("gros.xlsx", raw)


def test_upload_page_refuses_a_wide_file_with_a_french_message(app, client, login, tmp_path) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    login("editor")
    wide = (";".join("x" * 100_000) + "\r\n").encode()  # 100,000 columns (under 500 kB: no spooled file)
    response = client.post("/admin/donnees/import", data={"file": (io.BytesIO(wide), "large.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "compte plus de 200 colonnes" in page and len(page) < 100_000
    assert list(tmp_path.iterdir()) == []


def test_file_is_parsed_once_per_import(app, client, login, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    login("editor")
    data = "Prénom;Nom;Courriel\r\nÉlodie;Démo;elodie@example.org\r\n".encode("cp1252")
    response = client.post("/admin/donnees/import", data={"file": (io.BytesIO(data), "p.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    columns_url = response.location

    def parse_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was parsed again")

    for name in ("read_file", "read_csv", "read_xlsx"):
        monkeypatch.setattr(reading, name, parse_again)
    monkeypatch.setattr("crm.imports.services.read_file", parse_again)
    page = client.get(columns_url).get_data(as_text=True)
    assert "Élodie" in page and "1 ligne(s) de données" in page
    response = client.post(columns_url, data={"col_0": "first_name", "col_1": "last_name", "col_2": "email",
                                              "mode": "update"})
    assert response.status_code == 302
    assert "1</strong>contact(s) créé(s)" in client.get(response.location).get_data(as_text=True)
    token = columns_url.rsplit("/", 1)[1]
    done = client.post(f"/admin/donnees/import/{token}/executer", data={}, follow_redirects=True)
    assert "Import terminé : 1 contact(s) créé(s)" in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(Contact.email)) == "elodie@example.org"
    assert list(tmp_path.iterdir()) == []


def test_over_long_or_malformed_token_is_not_a_server_error(app, client, login, tmp_path) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    login("editor")
    long_token = "a" * 5000
    for url in (f"/admin/donnees/import/{long_token}", f"/admin/donnees/import/{long_token}/simulation"):
        assert client.get(url).status_code in (400, 404)
    assert client.post(f"/admin/donnees/import/{long_token}/executer").status_code in (400, 404)
    assert client.get("/admin/donnees/import/" + "a" * 300).status_code in (400, 404)
    # A well-formed token that names no upload still sends back to the upload page.
    assert client.get("/admin/donnees/import/inconnu").status_code == 302
    assert client.get("/admin/donnees/import/pas.un.jeton").status_code == 302
