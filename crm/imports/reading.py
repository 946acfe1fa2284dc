"""Reads the spreadsheets people actually have: CSV from French Excel (';' or ',', UTF-8 with or without BOM,
Windows-1252) and XLSX. Returns the header and the rows as lists of strings.

A file is bounded before it is expanded: rows, columns, cells and characters are counted while they are read,
and reading stops at the first limit passed. An XLSX is read as a stream (openpyxl's read-only mode) without
trusting the dimension it declares, and the parts openpyxl would load whole are measured in the zip first.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime

from crm.errors import ValidationError

MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELLS = 2_000_000  # cells read, empty ones included
MAX_CHARS = 40_000_000  # characters kept, all cells together
MAX_CELL_CHARS = 1_000  # longer cells are cut: no field of the import is longer
# A CSV row can only gain a field at a delimiter: a row whose lines hold this many is stopped before the csv
# module builds it whole (quoted text may hold delimiters too, hence the margin).
MAX_DELIMITERS_PER_ROW = 10 * MAX_COLUMNS
EXCEL_MAX_ROWS = 1_048_576
# Uncompressed sizes declared in the zip (zipfile never inflates a member past its declared size): the sheet is
# streamed, the other parts (shared strings, styles...) are loaded whole by openpyxl.
MAX_XLSX_SHEET_BYTES = 256 * 1024 * 1024
MAX_XLSX_PART_BYTES = 64 * 1024 * 1024


class ImportFileError(ValidationError):
    """The file cannot be read at all; the message is in French."""


@dataclass
class Sheet:
    header: list[str]
    # Data rows only; row i is line i + 2 of the file (line 1 is the header). A list, or rows kept on disk that
    # each pass reads again (crm.imports.services): iterate, do not index.
    rows: Collection[list[str]]
    encoding: str = ""
    delimiter: str = ""

    def line_of(self, index: int) -> int:
        return index + 2


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


class _Collector:
    """Builds the header and the rows from raw rows, checking every limit as each row arrives."""

    def __init__(self) -> None:
        self.header: list[str] | None = None
        self.rows: list[list[str]] = []
        self.blank = 0  # empty lines not kept yet: kept only when a filled line follows (line numbers stay true)
        self.cells = 0
        self.chars = 0

    def add(self, line: int, raw: Sequence[object]) -> None:
        self.cells += len(raw)
        if self.cells > MAX_CELLS:
            raise ImportFileError(f"Le fichier compte plus de {_thousands(MAX_CELLS)} cellules : découpez-le.")
        width = len(raw)
        while width and (raw[width - 1] is None or raw[width - 1] == ""):
            width -= 1
        if width > MAX_COLUMNS:
            raise _too_wide(line)
        cells = [_text(raw[i]) for i in range(width)]
        while cells and not cells[-1]:
            cells.pop()
        if self.header is None:
            if not cells:
                raise ImportFileError("Le fichier est vide ou sa première ligne (les en-têtes) est vide.")
            self.header = cells
            self._count(cells)
            return
        if not cells:
            self.blank += 1
            return
        if len(self.rows) + self.blank >= MAX_ROWS:
            raise ImportFileError(f"Le fichier compte plus de {_thousands(MAX_ROWS)} lignes : découpez-le.")
        width = len(self.header)
        self.rows.extend([""] * width for _ in range(self.blank))
        self.blank = 0
        row = (cells + [""] * width)[:width] if len(cells) != width else cells
        self._count(row)
        self.rows.append(row)

    def _count(self, cells: list[str]) -> None:
        self.chars += sum(map(len, cells))
        if self.chars > MAX_CHARS:
            raise ImportFileError(f"Le fichier contient plus de {_thousands(MAX_CHARS)} caractères : découpez-le.")

    def sheet(self, encoding: str, delimiter: str) -> Sheet:
        if self.header is None:
            raise ImportFileError("Le fichier est vide ou sa première ligne (les en-têtes) est vide.")
        return Sheet(header=self.header, rows=self.rows, encoding=encoding, delimiter=delimiter)


def _too_wide(line: int) -> ImportFileError:
    return ImportFileError(f"La ligne {line} compte plus de {MAX_COLUMNS} colonnes : gardez seulement les colonnes "
                           "à importer.")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime | date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text.strip()[:MAX_CELL_CHARS]


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Excel "CSV (séparateur : point-virgule)" on Windows writes Windows-1252.
        return raw.decode("cp1252", errors="replace"), "cp1252"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


class _Lines:
    """Feeds the csv reader one line at a time and stops a row that grows past any real row's width."""

    def __init__(self, text: str, delimiter: str) -> None:
        self._lines = iter(io.StringIO(text))
        self._delimiter = delimiter
        self.row = 1  # the row being read (a quoted cell may span lines)
        self.pending = 0  # delimiters in the lines of that row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.pending += line.count(self._delimiter)
        if self.pending > MAX_DELIMITERS_PER_ROW:
            raise _too_wide(self.row)
        return line

    def next_row(self) -> None:
        self.row += 1
        self.pending = 0


def read_csv(raw: bytes) -> Sheet:
    try:
        text, encoding = _decode(raw)
    except UnicodeDecodeError as exc:
        raise ImportFileError("Le fichier n'est ni en UTF-8 ni en Windows-1252.") from exc
    if "\x00" in text:  # no one types it, PostgreSQL cannot store it: most often a UTF-16 file
        raise ImportFileError("Le fichier contient des caractères nuls : ce n'est sans doute pas un CSV en UTF-8 ou "
                              "en Windows-1252 (un export « Texte Unicode » d'Excel, par exemple). Enregistrez-le "
                              "en « CSV UTF-8 » puis recommencez.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = _sniff_delimiter(text[:text.find("\n")] if "\n" in text else text)
    lines = _Lines(text, delimiter)
    collector = _Collector()
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            collector.add(lines.row, row)
            lines.next_row()
    except csv.Error as exc:
        raise ImportFileError(f"Le fichier CSV est mal formé : {exc}.") from exc
    return collector.sheet(encoding, delimiter)


def _check_xlsx_sizes(raw: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError("Le classeur Excel ne peut pas être lu (fichier .xlsx endommagé ?).") from exc
    for member in members:
        sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
        if member.file_size > (MAX_XLSX_SHEET_BYTES if sheet else MAX_XLSX_PART_BYTES):
            raise ImportFileError("Le classeur Excel est trop volumineux une fois décompressé : enregistrez-le en "
                                  "CSV ou découpez-le.")


def _xlsx_rows(raw: bytes) -> Iterator[Sequence[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a broken file
        raise ImportFileError("Le classeur Excel ne peut pas être lu (fichier .xlsx endommagé ?).") from exc
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension ("A1:XFD3000" for two cells) would pad every row to it: rows come as they are.
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def read_xlsx(raw: bytes) -> Sheet:
    _check_xlsx_sizes(raw)
    collector = _Collector()
    try:
        with closing(_xlsx_rows(raw)) as rows:
            for line, row in enumerate(rows, start=1):
                if line > EXCEL_MAX_ROWS:
                    raise ImportFileError(f"Le classeur déclare plus de {_thousands(EXCEL_MAX_ROWS)} lignes : "
                                          "fichier .xlsx endommagé ?")
                collector.add(line, row)
    except ImportFileError:
        raise
    except Exception as exc:  # a broken sheet may fail in the middle of reading
        raise ImportFileError("Le classeur Excel ne peut pas être lu (fichier .xlsx endommagé ?).") from exc
    return collector.sheet("xlsx", "")


def read_file(filename: str, raw: bytes) -> Sheet:
    name = filename.lower()
    if name.endswith(".xlsx") or raw[:4] == b"PK\x03\x04":
        return read_xlsx(raw)
    if name.endswith(".xls"):
        raise ImportFileError("Le format .xls (Excel 97) n'est pas lu : enregistrez le fichier en .xlsx ou en CSV.")
    return read_csv(raw)
