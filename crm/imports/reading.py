"""Reads the spreadsheets people actually have: CSV from French Excel (';' or ',', UTF-8 with or without BOM,
Windows-1252) and XLSX. Returns the header and the rows as lists of strings."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

MAX_ROWS = 200_000


class ImportFileError(ValueError):
    """The file cannot be read at all; the message is in French."""


@dataclass
class Sheet:
    header: list[str]
    rows: list[list[str]]  # data rows only; row i is line i + 2 of the file (line 1 is the header)
    encoding: str = ""
    delimiter: str = ""

    def line_of(self, index: int) -> int:
        return index + 2


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
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [row for row in reader]
    except csv.Error as exc:
        raise ImportFileError(f"Le fichier CSV est mal formé : {exc}.") from exc
    return _sheet(rows, encoding, delimiter)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(raw: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a broken file
        raise ImportFileError("Le classeur Excel ne peut pas être lu (fichier .xlsx endommagé ?).") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _sheet(rows, "xlsx", "")


def _sheet(rows: list[list[str]], encoding: str, delimiter: str) -> Sheet:
    rows = [[cell.strip() for cell in row] for row in rows]
    # Drop trailing empty lines (Excel leaves them), keep inner empty lines so line numbers stay true.
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise ImportFileError("Le fichier est vide ou sa première ligne (les en-têtes) est vide.")
    header = rows[0]
    while header and not header[-1]:
        header.pop()
    data = rows[1:]
    if len(data) > MAX_ROWS:
        raise ImportFileError(f"Le fichier compte plus de {MAX_ROWS} lignes : découpez-le.")
    width = len(header)
    data = [(row + [""] * width)[:width] for row in data]
    return Sheet(header=header, rows=data, encoding=encoding, delimiter=delimiter)


def read_file(filename: str, raw: bytes) -> Sheet:
    name = filename.lower()
    if name.endswith(".xlsx") or raw[:4] == b"PK\x03\x04":
        return read_xlsx(raw)
    if name.endswith(".xls"):
        raise ImportFileError("Le format .xls (Excel 97) n'est pas lu : enregistrez le fichier en .xlsx ou en CSV.")
    return read_csv(raw)
