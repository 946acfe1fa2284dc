"""A partner spreadsheet with faults planted at known lines (fictional people, example.org addresses)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from crm.partners.normalize import luhn_ok

HEADER = ["Civilité", "Prénom", "Nom", "Courriel", "Téléphone", "Fonction", "Entreprise", "SIRET", "Code postal",
          "Ville", "Filière", "Consentement lettre"]
FIRST = ["Élodie", "Hervé", "Maëlle", "Gaëtan", "Solène", "Loïc", "Anaïs", "Régis", "Inès", "François"]
LAST = ["Exemple", "Fictif", "Démo", "Modèle", "Échantillon", "Ébauche", "Gabarit", "Témoin"]


def siret(n: int) -> str:
    base = f"9{n:012d}"
    for key in range(10):
        if luhn_ok(base + str(key)):
            return base + str(key)
    raise AssertionError


def bad_siret(n: int) -> str:
    good = siret(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


@dataclass
class Sample:
    rows: list[list[str]]
    bad_email: set[int] = field(default_factory=set)  # file line numbers (header = line 1)
    bad_siret: set[int] = field(default_factory=set)
    bad_postal: set[int] = field(default_factory=set)
    duplicate: set[int] = field(default_factory=set)
    existing: set[int] = field(default_factory=set)
    consent: set[int] = field(default_factory=set)

    @property
    def refused(self) -> set[int]:
        return self.bad_email | self.bad_siret | self.bad_postal | self.duplicate

    def csv_bytes(self, delimiter: str = ";", encoding: str = "cp1252", bom: bool = False) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(self.rows)
        data = buffer.getvalue().encode(encoding)
        return (b"\xef\xbb\xbf" + data) if bom else data

    def xlsx_bytes(self) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(HEADER)
        for row in self.rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def existing_email(n: int) -> str:
    return f"deja.{n}@example.org"


def build(count: int, existing: int = 0) -> Sample:
    """``existing``: how many rows reuse the addresses existing_email(0..existing-1), created beforehand."""
    sample = Sample(rows=[])
    for i in range(count):
        line = i + 2
        org = i // 10
        email = f"personne.{i}@example.org"
        siret_value = siret(org)
        postal = "61000" if org % 2 else "72610"
        if i % 97 == 5:
            email = f"personne.{i}(at)example.org"
            sample.bad_email.add(line)
        elif i % 101 == 7:
            siret_value = bad_siret(org)
            sample.bad_siret.add(line)
        elif i % 113 == 9:
            postal = "6100"[:3] + "A"
            sample.bad_postal.add(line)
        elif i % 89 == 11 and i > 0:
            email = f"personne.{i - 1}@example.org".upper()  # same address once normalised
            sample.duplicate.add(line)
            if line - 1 in sample.refused or line - 1 in sample.existing:  # no first occurrence to clash with
                sample.duplicate.discard(line)
                email = f"personne.{i}@example.org"
        elif i < existing * 7 and i % 7 == 3:
            email = existing_email(i // 7)
            sample.existing.add(line)
        consent = "oui" if i % 3 == 0 else "non"
        if consent == "oui" and line not in sample.refused:
            sample.consent.add(line)
        sample.rows.append(["Mme" if i % 2 else "M.", FIRST[i % len(FIRST)], f"{LAST[i % len(LAST)]}-{i}", email,
                            f"02 33 00 {i % 100:02d} {i % 97:02d}", "Responsable qualité",
                            f"Société Fictive n°{org} d'Alençon", siret_value, postal,
                            "Alençon" if org % 2 else "Arçonnay", "Plasturgie et composites", consent])
    return sample
