"""One spreadsheet row -> checked, normalised values, or the French reasons it is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm.partners.models import HEADCOUNT_BANDS
from crm.partners.normalize import (
    InvalidEmail,
    InvalidSiret,
    normalize_email,
    normalize_naf,
    normalize_siret,
    search_key,
)
from crm.partners.territory import InvalidPostalCode, locate

CONTACT_FIELDS = ("civility", "first_name", "last_name", "phone", "job_title")
ORGANISATION_FIELDS = ("name", "kind_id", "siret", "naf_code", "headcount_band", "address", "postal_code",
                       "commune", "website")
TRUE_WORDS = {"oui", "o", "yes", "y", "1", "x", "vrai", "true", "ok", "accepte", "d accord"}
FALSE_WORDS = {"", "non", "n", "no", "0", "faux", "false", "refuse"}
CIVILITY_WORDS = {"mme": "mme", "madame": "mme", "mlle": "mme", "mademoiselle": "mme", "m": "m", "m.": "m",
                  "mr": "m", "monsieur": "m"}


@dataclass(slots=True)
class CleanRow:
    line: int
    email: str | None = None
    contact: dict[str, Any] = field(default_factory=dict)
    organisation: dict[str, Any] = field(default_factory=dict)
    sector_ids: list[int] = field(default_factory=list)
    consent: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    empty: bool = False

    @property
    def organisation_key(self) -> str | None:
        if self.organisation.get("siret"):
            return "siret:" + self.organisation["siret"]
        if self.organisation.get("name"):
            return "name:" + search_key(self.organisation["name"])
        return None


@dataclass
class Lookups:
    """Reference data resolved once per import: labels or codes -> ids."""

    kinds: dict[str, int]
    sectors: dict[str, int]
    kind_codes: dict[int, str] = field(default_factory=dict)  # id -> code, for the history


def clean_row(line: int, values: dict[str, str], lookups: Lookups, *, known_email: str | None = None) -> CleanRow:
    """``known_email``: the row's address as an earlier pass normalised it (normalising is the costly part)."""
    row = CleanRow(line=line)
    if not any(values.values()):
        row.empty = True
        return row
    raw_email = values.get("email", "")
    if raw_email and known_email is not None:
        row.email = known_email
    elif raw_email:
        try:
            row.email = normalize_email(raw_email)
        except InvalidEmail:
            row.errors.append(f"Adresse e-mail invalide : « {raw_email} ».")
    _clean_contact(row, values)
    _clean_organisation(row, values, lookups)
    if not raw_email and not row.organisation.get("name") and not row.organisation.get("siret"):
        row.errors.append("Ni e-mail ni structure : la ligne ne dit pas qui importer.")
    if values.get("consent"):
        answer = search_key(values["consent"])
        if answer in TRUE_WORDS:
            row.consent = True
        elif answer not in FALSE_WORDS:
            row.warnings.append(f"Consentement « {values['consent']} » non compris : la personne ne sera pas abonnée.")
    return row


def _clean_contact(row: CleanRow, values: dict[str, str]) -> None:
    civility_raw = values.get("civility", "")
    civility = CIVILITY_WORDS.get(civility_raw.strip().lower(), "")
    if civility_raw and not civility:
        row.warnings.append(f"Civilité « {civility_raw} » non reconnue : ignorée.")
    row.contact = {
        "civility": civility,
        "first_name": values.get("first_name", "")[:100],
        "last_name": values.get("last_name", "")[:100],
        "phone": values.get("phone", "")[:30],
        "job_title": values.get("job_title", "")[:120],
    }


def _clean_organisation(row: CleanRow, values: dict[str, str], lookups: Lookups) -> None:
    org: dict[str, Any] = {"name": values.get("organisation_name", "")[:200]}
    raw_siret = values.get("siret", "")
    try:
        org["siret"] = normalize_siret(raw_siret)
    except InvalidSiret as exc:
        row.errors.append(f"SIRET invalide « {raw_siret} » : {exc}")
        org["siret"] = None
    try:
        org["naf_code"] = normalize_naf(values.get("naf_code"))
    except ValueError:
        row.errors.append(f"Code NAF invalide : « {values.get('naf_code')} » (forme attendue : 22.29A).")
        org["naf_code"] = None
    postal = values.get("postal_code", "").replace(" ", "")
    if postal.isdigit() and len(postal) == 4:  # Excel drops the leading zero of 01000
        row.warnings.append(f"Code postal « {postal} » lu comme 0{postal} (zéro initial perdu par le tableur ?).")
        postal = "0" + postal
    org["postal_code"] = org["department"] = org["region"] = None
    if postal:
        try:
            place = locate(postal)
        except InvalidPostalCode as exc:
            row.errors.append(f"Code postal invalide « {values.get('postal_code')} » : {exc}")
        else:
            org.update(postal_code=place.postal_code, department=place.department, region=place.region)
    band = values.get("headcount_band", "").replace(" ", "")
    org["headcount_band"] = band if band in HEADCOUNT_BANDS else None
    if band and band not in HEADCOUNT_BANDS:
        row.warnings.append(f"Effectif « {band} » non reconnu : ignoré.")
    org["kind_id"] = None
    if values.get("organisation_kind"):
        org["kind_id"] = lookups.kinds.get(search_key(values["organisation_kind"]))
        if org["kind_id"] is None:
            row.warnings.append(f"Type de structure « {values['organisation_kind']} » inconnu : ignoré.")
    for name in ("address", "commune", "website"):
        org[name] = values.get(name, "")[:300 if name != "commune" else 120]
    for label in filter(None, (s.strip() for s in values.get("sectors", "").replace(";", ",").split(","))):
        sector_id = lookups.sectors.get(search_key(label))
        if sector_id is None:
            row.warnings.append(f"Filière « {label} » inconnue : ignorée.")
        elif sector_id not in row.sector_ids:
            row.sector_ids.append(sector_id)
    has_org_data = any(org.get(k) for k in ORGANISATION_FIELDS)
    row.organisation = org if has_org_data else {}
