"""The fields a spreadsheet column can feed, the header names we recognise, and the remembered mapping."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.forms import untranslated
from crm.imports.models import ImportMapping
from crm.partners.normalize import search_key


@dataclass(frozen=True)
class Field:
    code: str
    label: str
    aliases: tuple[str, ...]


FIELDS: list[Field] = [
    Field("email", _l("E-mail"), ("email", "e mail", "mail", "mel", "courriel", "adresse mail", "adresse e mail",
                                   "adresse electronique", "adresse courriel")),
    Field("civility", _l("Civilité"), ("civilite", "titre", "civ")),
    Field("first_name", _l("Prénom"), ("prenom", "first name", "firstname")),
    Field("last_name", _l("Nom"), ("nom", "nom de famille", "last name", "lastname")),
    Field("phone", _l("Téléphone"), ("telephone", "tel", "portable", "mobile", "phone", "numero de telephone")),
    Field("job_title", _l("Fonction"), ("fonction", "poste", "job title", "titre du poste")),
    Field("organisation_name", _l("Structure (nom)"), ("structure", "entreprise", "societe", "organisation",
                                                        "raison sociale", "nom de la structure", "nom structure",
                                                        "organisme", "etablissement")),
    Field("organisation_kind", _l("Type de structure"), ("type", "type de structure", "categorie")),
    Field("siret", _l("SIRET"), ("siret", "n siret", "numero siret", "no siret")),
    Field("naf_code", _l("Code NAF"), ("naf", "code naf", "ape", "code ape", "naf ape")),
    Field("headcount_band", _l("Effectif"), ("effectif", "tranche d effectif", "salaries")),
    Field("address", _l("Adresse"), ("adresse", "adresse postale", "rue")),
    Field("postal_code", _l("Code postal"), ("code postal", "cp", "code_postal")),
    Field("commune", _l("Commune"), ("commune", "ville", "localite")),
    Field("website", _l("Site web"), ("site", "site web", "site internet", "web")),
    Field("sectors", _l("Filières"), ("filiere", "filieres", "secteur", "secteurs")),
    Field("consent", _l("Consentement à la lettre"), ("consentement", "consentement lettre", "accepte la lettre",
                                                       "newsletter", "lettre d information", "abonne", "optin",
                                                       "opt in", "rgpd")),
]
FIELD_CODES = {f.code for f in FIELDS}
FIELD_LABELS = {f.code: f.label for f in FIELDS}
_ALIASES = {alias: f.code for f in FIELDS for alias in (f.aliases + (search_key(untranslated(f.label)), f.code))}


def header_key(header: str) -> str:
    return search_key(header.replace("_", " ").replace("-", " "))[:120]


def guess_field(header: str) -> str:
    return _ALIASES.get(header_key(header), "")


def remembered() -> dict[str, str]:
    return dict(((k, f) for k, f in db.session.execute(sa.select(ImportMapping.header_key, ImportMapping.field))))


def propose_mapping(header: list[str]) -> list[str]:
    """For each column: the field remembered for that header name, else a guess from its name, else ''."""
    memory = remembered()
    proposal: list[str] = []
    taken: set[str] = set()
    for title in header:
        key = header_key(title)
        field = memory[key] if key in memory else guess_field(title)
        if field in taken:
            field = ""
        if field:
            taken.add(field)
        proposal.append(field)
    return proposal


def check_mapping(mapping: list[str]) -> list[str]:
    """French messages for a mapping that cannot work."""
    errors = []
    used = [f for f in mapping if f]
    for code in set(used):
        if code not in FIELD_CODES:
            errors.append(f"Champ inconnu : {code}.")
        elif used.count(code) > 1:
            errors.append(f"Le champ « {untranslated(FIELD_LABELS[code])} » est associé à plusieurs colonnes.")
    if "email" not in used and "organisation_name" not in used and "siret" not in used:
        errors.append("Associez au moins une colonne à l'e-mail, au nom de la structure ou au SIRET.")
    return errors


def remember(header: list[str], mapping: list[str]) -> None:
    memory = {row.header_key: row for row in db.session.scalars(sa.select(ImportMapping))}
    for title, field in zip(header, mapping, strict=False):
        key = header_key(title)
        if not key:
            continue
        if key in memory:
            memory[key].field = field
        else:
            memory[key] = ImportMapping(header_key=key, field=field)
            db.session.add(memory[key])
    db.session.flush()
