"""Import of an existing action plan from a spreadsheet (CSV or XLSX, French headers).

The file is read and kept by the import machinery (``crm.imports``: limits, encodings, the parsed copy on disk);
this module maps its columns to the fields of an action, checks every row (the dry run gives a reason per row)
and creates the actions all at once or not at all. An action whose code already exists is left as it is: an
import proposes, it never overwrites what the team holds.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from crm.actions.models import ACTION_STATUS_LABELS, ORIGIN_LABELS, Action, ActionStatus, Origin
from crm.actions.services import ActionError, ActionInput, create_action
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.forms import untranslated
from crm.imports.fields import header_key
from crm.imports.reading import Sheet
from crm.partners.models import Axis, Organisation
from crm.partners.normalize import search_key


@dataclass(frozen=True)
class PlanField:
    code: str
    label: Any
    aliases: tuple[str, ...]


PLAN_FIELDS: list[PlanField] = [
    PlanField("code", _l("Code"), ("code", "n", "numero", "no", "code action", "n action", "numero action", "ref",
                                   "reference")),
    PlanField("title", _l("Titre"), ("titre", "intitule", "action", "nom de l action", "libelle", "intitule action")),
    PlanField("axis", _l("Axe"), ("axe", "axe du programme", "axe strategique")),
    PlanField("objective", _l("Objectif"), ("objectif", "objectifs")),
    PlanField("description", _l("Description"), ("description", "contenu", "detail")),
    PlanField("origin", _l("Origine"), ("origine", "proposee par", "propose par", "porteur de la proposition")),
    PlanField("pilot", _l("Structure pilote"), ("pilote", "structure pilote", "porteur", "pilote de l action")),
    PlanField("status", _l("Statut"), ("statut", "etat", "etat d avancement", "avancement")),
    PlanField("priority", _l("Priorité"), ("priorite",)),
    PlanField("planned_start", _l("Début prévu"), ("debut prevu", "debut", "date de debut", "demarrage")),
    PlanField("planned_end", _l("Fin prévue"), ("fin prevue", "fin", "date de fin", "echeance")),
    PlanField("actual_start", _l("Début réel"), ("debut reel",)),
    PlanField("actual_end", _l("Fin réelle"), ("fin reelle",)),
    PlanField("is_public", _l("Publique"), ("publique", "public", "publiee", "visible")),
]
PLAN_FIELD_CODES = {f.code for f in PLAN_FIELDS}
PLAN_FIELD_LABELS = {f.code: f.label for f in PLAN_FIELDS}
REQUIRED = ("code", "title", "axis")
_ALIASES = {alias: f.code for f in PLAN_FIELDS for alias in (*f.aliases, search_key(untranslated(f.label)), f.code)}
_YES = {"oui", "o", "yes", "y", "x", "1", "vrai", "true", "publique", "public"}
_NO = {"non", "n", "no", "0", "faux", "false", ""}
_DATE_PATTERNS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
_AXIS_NUMBER = re.compile(r"^(?:axe\s*)?(\d)\b")


def propose_mapping(header: list[str]) -> list[str]:
    """For each column, the action field its French header names ('' = not imported); each field once."""
    proposal: list[str] = []
    taken: set[str] = set()
    for title in header:
        guess = _ALIASES.get(header_key(title), "")
        if guess in taken:
            guess = ""
        taken.add(guess)
        proposal.append(guess)
    return proposal


def check_mapping(mapping: list[str]) -> list[str]:
    """French messages for a mapping that cannot work (unknown field, a field twice, a required field missing)."""
    used = [code for code in mapping if code]
    errors = [f"Champ inconnu : {code}." for code in sorted(set(used) - PLAN_FIELD_CODES)]
    errors += [f"Le champ « {untranslated(PLAN_FIELD_LABELS[code])} » est associé à plusieurs colonnes."
               for code, count in sorted(Counter(used).items()) if count > 1 and code in PLAN_FIELD_CODES]
    errors += [f"Associez une colonne au champ « {untranslated(PLAN_FIELD_LABELS[code])} »."
               for code in REQUIRED if code not in used]
    return errors


class Outcome(StrEnum):
    CREATE = "creation"
    SKIP = "ignoree"
    REFUSED = "refusee"


OUTCOME_LABELS = {Outcome.CREATE: _l("Créée"), Outcome.SKIP: _l("Ignorée"), Outcome.REFUSED: _l("Refusée")}


@dataclass
class PlanRow:
    line: int
    code: str
    title: str
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)
    data: ActionInput | None = None
    status: ActionStatus = ActionStatus.PROPOSED

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclass
class PlanImport:
    rows: list[PlanRow]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def creations(self) -> int:
        return self.count(Outcome.CREATE)

    @property
    def refused(self) -> int:
        return self.count(Outcome.REFUSED)

    @property
    def skipped(self) -> int:
        return self.count(Outcome.SKIP)


class _Lookups:
    """The reference data every row is checked against, loaded once for the whole file."""

    def __init__(self) -> None:
        axes = list(db.session.scalars(sa.select(Axis).order_by(Axis.position, Axis.id)))
        self.axes: dict[str, Axis] = {}
        for number, axis in enumerate(axes, start=1):
            for key in (str(number), axis.code, search_key(axis.code), search_key(axis.label)):
                self.axes.setdefault(key, axis)
        self.axis_labels = [f"{number} ({axis.label})" for number, axis in enumerate(axes, start=1)]
        self.existing_codes = set(db.session.scalars(sa.select(Action.code)))
        self.statuses = {key: status for status, label in ACTION_STATUS_LABELS.items()
                         for key in (status.value, search_key(untranslated(label)))}
        self.statuses.update({"a l etude": ActionStatus.STUDY, "etude": ActionStatus.STUDY,
                              "realise": ActionStatus.DONE, "terminee": ActionStatus.DONE,
                              "en cours de realisation": ActionStatus.IN_PROGRESS})
        self.origins = {key: origin for origin, label in ORIGIN_LABELS.items()
                        for key in (origin.value, search_key(untranslated(label)))}
        self.origins.update({"club": Origin.CLUB, "club des industriels": Origin.CLUB, "partenaire": Origin.PARTNER,
                             "comite": Origin.COMMITTEE, "comite technique": Origin.COMMITTEE,
                             "equipe": Origin.TEAM, "equipe projet": Origin.TEAM})
        self._organisations: dict[str, list[int]] = {}

    def axis(self, text: str) -> Axis | None:
        key = search_key(text)
        if key in self.axes:
            return self.axes[key]
        number = _AXIS_NUMBER.match(key)
        if number:
            return self.axes.get(number.group(1))
        return next((axis for label, axis in self.axes.items() if label and key.startswith(label)), None)

    def organisations(self, name: str) -> list[int]:
        key = search_key(name)
        if key not in self._organisations:
            digits = re.sub(r"\s", "", name)
            column = Organisation.siret if digits.isdigit() and len(digits) == 14 else Organisation.name_key
            value = digits if column is Organisation.siret else key
            self._organisations[key] = list(db.session.scalars(sa.select(Organisation.id).where(column == value)))
        return self._organisations[key]


def _date(text: str, label: str, reasons: list[str]) -> date | None:
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    reasons.append(f"{label} illisible : « {text} » (attendu JJ/MM/AAAA).")
    return None


def _check_row(line: int, values: dict[str, str], lookups: _Lookups, seen: Counter[str]) -> PlanRow:
    code, title = values.get("code", "").strip(), values.get("title", "").strip()
    row = PlanRow(line, code, title, Outcome.CREATE)
    reasons = row.reasons
    if not code:
        reasons.append("Code manquant.")
    elif len(code) > 12:
        reasons.append(f"Code trop long : « {code} » (12 caractères au plus).")
    elif seen[code] > 1:
        reasons.append(f"Le code « {code} » figure sur plusieurs lignes du fichier.")
    elif code in lookups.existing_codes:
        row.outcome = Outcome.SKIP
        reasons.append(f"L'action {code} existe déjà : elle est laissée telle quelle.")
        return row
    if not title:
        reasons.append("Titre manquant.")
    elif len(title) > 200:
        reasons.append("Titre trop long (200 caractères au plus).")
    axis = lookups.axis(values.get("axis", ""))
    if axis is None:
        reasons.append(f"Axe inconnu : « {values.get('axis', '')} » (attendu : {', '.join(lookups.axis_labels)}).")
    status = ActionStatus.PROPOSED
    if text := values.get("status", "").strip():
        if (found := lookups.statuses.get(search_key(text))) is None:
            reasons.append(f"Statut inconnu : « {text} ».")
        else:
            status = found
    origin = Origin.TEAM
    if text := values.get("origin", "").strip():
        if (found_origin := lookups.origins.get(search_key(text))) is None:
            reasons.append(f"Origine inconnue : « {text} » (Club des Industriels, partenaire, comité, équipe).")
        else:
            origin = found_origin
    pilot_id = None
    if text := values.get("pilot", "").strip():
        matches = lookups.organisations(text)
        if not matches:
            reasons.append(f"Structure pilote inconnue : « {text} » (créez-la d'abord dans les structures).")
        elif len(matches) > 1:
            reasons.append(f"Plusieurs structures s'appellent « {text} » : indiquez le SIRET.")
        else:
            pilot_id = matches[0]
    priority = None
    if text := values.get("priority", "").strip():
        if text.isdigit() and 1 <= int(text) <= 5:
            priority = int(text)
        else:
            reasons.append(f"Priorité invalide : « {text} » (de 1 à 5).")
    dates = {name: _date(values.get(name, "").strip(), str(PLAN_FIELD_LABELS[name]), reasons)
             for name in ("planned_start", "planned_end", "actual_start", "actual_end")}
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        if dates[start] and dates[end] and dates[end] < dates[start]:
            reasons.append(f"{PLAN_FIELD_LABELS[end]} avant {str(PLAN_FIELD_LABELS[start]).lower()}.")
    public_text = search_key(values.get("is_public", ""))
    if public_text not in _YES | _NO:
        reasons.append(f"Publique : « {values.get('is_public')} » n'est ni oui ni non.")
    if reasons:
        row.outcome = Outcome.REFUSED
        return row
    assert axis is not None
    row.status = status
    row.data = ActionInput(code=code, title=title, axis_id=axis.id, objective=values.get("objective", "").strip(),
                           description=values.get("description", "").strip(), origin=origin.value,
                           pilot_organisation_id=pilot_id, priority=priority, is_public=public_text in _YES,
                           **dates)
    return row


def simulate(sheet: Sheet, mapping: list[str]) -> PlanImport:
    """The dry run: what the import would do, row by row, with the reasons of every refusal. Writes nothing."""
    if errors := check_mapping(mapping):
        raise ActionError(" ".join(errors))
    lookups = _Lookups()
    records: list[tuple[int, dict[str, str]]] = []
    for index, cells in enumerate(sheet.rows):
        if not any(cell.strip() for cell in cells):
            continue
        values = {code: (cells[column] if column < len(cells) else "")
                  for column, code in enumerate(mapping) if code}
        records.append((sheet.line_of(index), values))
    seen = Counter(values.get("code", "").strip() for _, values in records)
    return PlanImport([_check_row(line, values, lookups, seen) for line, values in records])


def run(sheet: Sheet, mapping: list[str], *, expected: int | None = None) -> PlanImport:
    """Creates the actions of the file in the caller's transaction, all of them or none: a refused row, or a
    file that no longer gives what the dry run showed, raises ``ActionError`` before anything is written."""
    result = simulate(sheet, mapping)
    if result.refused:
        lines = ", ".join(str(row.line) for row in result.rows if row.outcome == Outcome.REFUSED)
        raise ActionError(f"Import refusé : {result.refused} ligne(s) à corriger (ligne(s) {lines}). "
                          "Aucune action n'a été créée.")
    if expected is not None and result.creations != expected:
        raise ActionError("Le plan a changé depuis la simulation : relancez la simulation avant d'importer.")
    if not result.creations:
        raise ActionError("Aucune action à créer dans ce fichier.")
    for row in result.rows:
        if row.outcome == Outcome.CREATE and row.data is not None:
            create_action(row.data, status=row.status)
    db.session.flush()
    return result
