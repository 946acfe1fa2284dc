"""Filling an organisation from the State's open company directory (API Recherche d'entreprises,
``GET {SIRENE_API_URL}/search?q=<siren or siret>``, no key needed).

Standard library only (urllib): one short GET with a timeout. Every failure becomes a ``SireneError`` whose
message is French and says what to do; nothing here raises anything else to a view.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from crm.partners.normalize import InvalidSiret, luhn_ok, normalize_naf, normalize_siret

# INSEE's "tranche d'effectif salarié" codes -> the bands the team uses (crm.partners.models.HEADCOUNT_BANDS).
HEADCOUNT_FROM_TRANCHE = {
    "00": "0", "01": "1-9", "02": "1-9", "03": "1-9", "11": "10-49", "12": "10-49", "21": "50-249",
    "22": "50-249", "31": "50-249", "32": "250-999", "41": "250-999", "42": "1000+", "51": "1000+", "52": "1000+",
    "53": "1000+",
}


class SireneError(Exception):
    """A lookup that gave nothing: ``str()`` is the message for the user, ``status`` the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class CompanyFacts:
    siret: str
    name: str
    address: str
    postal_code: str
    commune: str
    naf_code: str
    headcount_band: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def parse_number(value: str | None) -> str:
    """A SIRET (14 digits) or a SIREN (9 digits), spaces and dots allowed, its check key verified."""
    digits = re.sub(r"[\s.]", "", value or "")
    if not digits:
        raise SireneError("Indiquez un SIRET (14 chiffres) ou un SIREN (9 chiffres).")
    if not digits.isdigit() or len(digits) not in (9, 14):
        raise SireneError("Un SIRET compte 14 chiffres, un SIREN 9 chiffres.")
    if len(digits) == 9:
        if not luhn_ok(digits):
            raise SireneError("Ce SIREN n'est pas valide (clé de contrôle incorrecte).")
        return digits
    try:
        return normalize_siret(digits) or digits
    except InvalidSiret as exc:
        raise SireneError(str(exc)) from exc


def _get(base_url: str, number: str, timeout: float) -> Any:
    url = f"{base_url}/search?" + urllib.parse.urlencode({"q": number, "page": 1, "per_page": 1})
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "crm-territoires-industrie"})
    unreachable = "Le répertoire des entreprises ne répond pas pour l'instant : remplissez la fiche à la main ou réessayez plus tard."
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) URL from a setting)
            body = response.read(2_000_000)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise SireneError("Aucune entreprise trouvée pour ce numéro.", 404) from exc
        if exc.code == 429:
            raise SireneError("Le répertoire des entreprises reçoit trop de demandes : réessayez dans une minute.",
                              503) from exc
        raise SireneError(f"Le répertoire des entreprises a répondu par une erreur ({exc.code}) : réessayez plus "
                          "tard ou remplissez la fiche à la main.", 502) from exc
    except (TimeoutError, socket.timeout, urllib.error.URLError, OSError) as exc:
        raise SireneError(unreachable, 503) from exc
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SireneError("La réponse du répertoire des entreprises est illisible : remplissez la fiche à la main.",
                          502) from exc


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


def _street(place: dict[str, Any]) -> str:
    parts = [_text(place.get(key)) for key in ("numero_voie", "indice_repetition", "type_voie", "libelle_voie")]
    street = " ".join(part for part in parts if part)
    if street:
        return street
    full = _text(place.get("adresse"))
    tail = " ".join(part for part in (_text(place.get("code_postal")), _text(place.get("libelle_commune"))) if part)
    return full[: -len(tail)].strip(" ,") if tail and full.upper().endswith(tail.upper()) else full


def _facts(answer: Any, number: str) -> CompanyFacts:
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise SireneError("La réponse du répertoire des entreprises est illisible : remplissez la fiche à la main.",
                          502)
    company = next((item for item in answer["results"] if isinstance(item, dict)
                    and _text(item.get("siren")) == number[:9]), None)
    if company is None:
        raise SireneError("Aucune entreprise trouvée pour ce numéro.", 404)
    places = [company.get("siege"), *(company.get("matching_etablissements") or [])]
    places = [place for place in places if isinstance(place, dict)]
    place = next((p for p in places if len(number) == 14 and _text(p.get("siret")) == number), None)
    if place is None:
        if len(number) == 14:
            raise SireneError("Ce SIRET ne correspond à aucun établissement de l'entreprise.", 404)
        place = places[0] if places else {}
    try:
        naf = normalize_naf(_text(place.get("activite_principale") or company.get("activite_principale"))) or ""
    except ValueError:
        naf = ""
    tranche = _text(place.get("tranche_effectif_salarie") or company.get("tranche_effectif_salarie"))
    name = _text(company.get("nom_raison_sociale") or company.get("nom_complet"))
    if not name:
        raise SireneError("La réponse du répertoire des entreprises est illisible : remplissez la fiche à la main.",
                          502)
    return CompanyFacts(siret=_text(place.get("siret")) or (number if len(number) == 14 else ""), name=name,
                        address=_street(place)[:300], postal_code=_text(place.get("code_postal"))[:10],
                        commune=_text(place.get("libelle_commune")).title()[:120], naf_code=naf,
                        headcount_band=HEADCOUNT_FROM_TRANCHE.get(tranche, ""))


def lookup(value: str | None, base_url: str, timeout: float) -> CompanyFacts:
    """The organisation's facts for a SIRET or SIREN typed by the team. Raises SireneError (French message)."""
    number = parse_number(value)
    if not base_url:
        raise SireneError("La recherche dans le répertoire des entreprises n'est pas activée sur ce site "
                          "(réglage SIRENE_API_URL) : remplissez la fiche à la main.", 503)
    return _facts(_get(base_url, number, timeout), number)
