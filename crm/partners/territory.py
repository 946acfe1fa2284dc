"""French postal code -> department -> region. The CUA sits on Orne (61, Normandie) and Sarthe (72)."""

from __future__ import annotations

import re
from dataclasses import dataclass

REGIONS: dict[str, tuple[str, ...]] = {
    "Auvergne-Rhône-Alpes": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "Bourgogne-Franche-Comté": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "Bretagne": ("22", "29", "35", "56"),
    "Centre-Val de Loire": ("18", "28", "36", "37", "41", "45"),
    "Corse": ("2A", "2B"),
    "Grand Est": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "Hauts-de-France": ("02", "59", "60", "62", "80"),
    "Île-de-France": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "Normandie": ("14", "27", "50", "61", "76"),
    "Nouvelle-Aquitaine": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "Occitanie": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "Pays de la Loire": ("44", "49", "53", "72", "85"),
    "Provence-Alpes-Côte d'Azur": ("04", "05", "06", "13", "83", "84"),
    "Guadeloupe": ("971",),
    "Martinique": ("972",),
    "Guyane": ("973",),
    "La Réunion": ("974",),
    "Mayotte": ("976",),
}
DEPARTMENT_REGION = {dept: region for region, depts in REGIONS.items() for dept in depts}
DEPARTMENT_NAMES = {"61": "Orne", "72": "Sarthe"}
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
