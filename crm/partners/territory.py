"""French postal code -> department -> region. The CUA sits on Orne (61, Normandie) and Sarthe (72)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from crm.partners.normalize import search_key

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The official geographic code (INSEE, COG 2024): 18 regions and 101 departments, shipped as data.
REGION_NAMES: dict[str, str] = {row["REG"]: row["LIBELLE"] for row in _rows("regions.csv")}
DEPARTMENT_NAMES: dict[str, str] = {}
DEPARTMENT_REGION: dict[str, str] = {}
for _row in _rows("departements.csv"):
    DEPARTMENT_NAMES[_row["DEP"]] = _row["LIBELLE"]
    DEPARTMENT_REGION[_row["DEP"]] = REGION_NAMES[_row["REG"]]
REGIONS: dict[str, tuple[str, ...]] = {
    name: tuple(dept for dept, region in DEPARTMENT_REGION.items() if region == name)
    for name in sorted(REGION_NAMES.values(), key=search_key)
}
NOT_GIVEN = "-"  # a list filter's value for "no department / region recorded"


class UnknownPlace(ValueError):
    pass


def _place_key(value: str) -> str:
    return re.sub(r"[\s-]+", " ", search_key(value.replace("’", " "))).strip()


def _department_keys() -> dict[str, str]:
    keys = {_place_key(name): code for code, name in DEPARTMENT_NAMES.items()}
    keys.update({code.lower(): code for code in DEPARTMENT_NAMES})
    keys.update({code.lstrip("0").lower(): code for code in DEPARTMENT_NAMES if code.startswith("0")})
    return keys


DEPARTMENT_KEYS = _department_keys()


def parse_department(value: str) -> str:
    """A department's code from its code or name, as people type them ("61", "Orne", "orne", "2a", "1",
    "61 — Orne"); ``NOT_GIVEN`` passes through. Raises UnknownPlace with a French message."""
    text = (value or "").strip()
    if text == NOT_GIVEN:
        return NOT_GIVEN
    for candidate in (text, text.split("—")[0], text.split(" - ")[0]):
        code = DEPARTMENT_KEYS.get(_place_key(candidate)) or DEPARTMENT_KEYS.get(candidate.strip().lower())
        if code:
            return code
    raise UnknownPlace(f"Département inconnu : « {text} ». Indiquez son numéro ou son nom (par exemple 61 ou Orne).")


def parse_region(value: str) -> str:
    text = (value or "").strip()
    if text == NOT_GIVEN:
        return NOT_GIVEN
    for name in REGIONS:
        if _place_key(name) == _place_key(text):
            return name
    raise UnknownPlace(f"Région inconnue : « {text} ».")


POSTAL_CODE = re.compile(r"^\d{5}$")


class InvalidPostalCode(ValueError):
    pass


@dataclass(frozen=True)
class Place:
    postal_code: str
    department: str
    region: str


def department_of(postal_code: str) -> str:
    if postal_code.startswith("20"):
        # Corsica: 200xx and 201xx are Corse-du-Sud, 202xx and above Haute-Corse.
        return "2A" if int(postal_code[:3]) < 202 else "2B"
    if postal_code.startswith("97"):
        return postal_code[:3]
    return postal_code[:2]


def locate(postal_code: str) -> Place:
    code = (postal_code or "").replace(" ", "")
    if not POSTAL_CODE.match(code):
        raise InvalidPostalCode("Le code postal doit compter 5 chiffres.")
    department = department_of(code)
    region = DEPARTMENT_REGION.get(department)
    if region is None:
        raise InvalidPostalCode(f"Le code postal {code} ne correspond à aucun département.")
    return Place(code, department, region)


def department_label(department: str | None) -> str:
    if not department:
        return ""
    name = DEPARTMENT_NAMES.get(department)
    return f"{department} — {name}" if name else department
