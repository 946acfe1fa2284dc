"""Actions, their partners, milestones, funding lines and indicators. Plain functions: they flush, the caller
commits; a user's mistake raises ``ActionError`` (French) before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from crm.actions.models import (
    ACTION_STATUS_LABELS,
    FUNDING_STATUS_LABELS,
    Action,
    ActionNote,
    ActionNoteKind,
    ActionPartner,
    ActionPilot,
    ActionStatus,
    FundingLine,
    FundingStatus,
    Indicator,
    IndicatorValue,
    Milestone,
    Origin,
    PartnerRole,
    allowed_next,
)
from crm.audit import services as audit
from crm.errors import ValidationError
from crm.extensions import db
from crm.forms import choices, untranslated
from crm.partners.models import Axis, Contact, Organisation

ENTITY = "action"
CENT = Decimal("0.01")


class ActionError(ValidationError):
    """French message(s); nothing has been written."""


def money(value: Any) -> Decimal:
    """An amount in euros, exact to the cent (refuses floats' approximations and negative sums)."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).replace("\u202f", "").replace(" ", "").replace(",", ".")).quantize(CENT)
    except (InvalidOperation, ValueError) as exc:
        raise ActionError("Montant illisible.") from exc
    if amount < 0:
        raise ActionError("Un montant ne peut pas être négatif.")
    return amount


# --- Actions ------------------------------------------------------------------------------------

FIELDS = ["code", "title", "axis_id", "objective", "description", "origin", "pilot_organisation_id", "priority",
          "planned_start", "planned_end", "actual_start", "actual_end", "is_public"]


@dataclass
class ActionInput:
    code: str
    title: str
    axis_id: int
    objective: str = ""
    description: str = ""
    origin: str = Origin.TEAM.value
    pilot_organisation_id: int | None = None
    pilot_contact_id: int | None = None
    priority: int | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    is_public: bool = False


def _check(data: ActionInput, action: Action | None) -> None:
    errors: dict[str, str] = {}
    code = data.code.strip()
    if not code:
        errors["code"] = "Le code de l'action est obligatoire (par exemple 2.3)."
    else:
        clash = db.session.scalar(sa.select(Action.id).where(Action.code == code))
        if clash is not None and (action is None or clash != action.id):
            errors["code"] = f"Le code « {code} » est déjà celui d'une autre action."
    if not data.title.strip():
        errors["title"] = "Le titre est obligatoire."
    if db.session.get(Axis, data.axis_id) is None:
        errors["axis_id"] = "Choisissez un des quatre axes."
    if data.priority is not None and not 1 <= data.priority <= 5:
        errors["priority"] = "La priorité va de 1 (la plus haute) à 5."
    for start, end, name in ((data.planned_start, data.planned_end, "planned_end"),
                             (data.actual_start, data.actual_end, "actual_end")):
        if start and end and end < start:
            errors[name] = "La fin ne peut pas précéder le début."
    if data.pilot_contact_id is not None:
        contact = db.session.get(Contact, data.pilot_contact_id)
        if contact is None:
            errors["pilot_contact_id"] = "Ce contact n'existe pas."
        elif data.pilot_organisation_id and contact.organisation_id != data.pilot_organisation_id:
            errors["pilot_contact_id"] = "Le contact pilote doit appartenir à la structure pilote."
    if errors:
        raise ActionError(errors)


def _apply(action: Action, data: ActionInput) -> None:
    action.code = data.code.strip()
    action.title = data.title.strip()
    action.axis_id = data.axis_id
    action.objective = data.objective
    action.description = data.description
    action.origin = Origin(data.origin).value
    action.pilot_organisation_id = data.pilot_organisation_id
    action.priority = data.priority
    action.planned_start, action.planned_end = data.planned_start, data.planned_end
    action.actual_start, action.actual_end = data.actual_start, data.actual_end
    action.is_public = data.is_public
    if data.pilot_contact_id is None:
        action.pilot = None
    elif action.pilot is None or action.pilot.contact_id != data.pilot_contact_id:
        action.pilot = ActionPilot(contact_id=data.pilot_contact_id)


def create_action(data: ActionInput, status: ActionStatus = ActionStatus.PROPOSED) -> Action:
    _check(data, None)
    action = Action(status=status.value, status_since=date.today())
    db.session.add(action)
    with audit.track_changes(ENTITY, action, FIELDS + ["status"], creating=True,
                             created=lambda: f"Action {action.code} créée", updated=""):
        _apply(action, data)
    return action


def update_action(action: Action, data: ActionInput) -> Action:
    _check(data, action)
    with audit.track_changes(ENTITY, action, FIELDS, creating=False, created=lambda: "",
                             updated=f"Action {data.code.strip()} modifiée"):
        _apply(action, data)
    return action


def change_status(action: Action, new: str, on: date | None = None, *, source: str = "") -> None:
    """Moves the action along its life; dated, audited with the real old status (labels, not codes)."""
    try:
        target = ActionStatus(new)
    except ValueError as exc:
        raise ActionError({"status": "Statut inconnu."}) from exc
    current = ActionStatus(action.status)
    if target == current:
        return
    if target not in allowed_next(current):
        raise ActionError({"status": f"L'action {action.code} ne peut pas passer de « "
                                     f"{untranslated(ACTION_STATUS_LABELS[current])} » à « "
                                     f"{untranslated(ACTION_STATUS_LABELS[target])} »."})
    on = on or date.today()
    action.status, action.status_since = target.value, on
    if target == ActionStatus.IN_PROGRESS and action.actual_start is None:
        action.actual_start = on
    if target == ActionStatus.DONE and action.actual_end is None:
        action.actual_end = on
    db.session.flush()
    audit.record("update", ENTITY, action.id,
                 f"Action {action.code} : statut changé le {on.strftime('%d/%m/%Y')}"
                 f"{(' (' + source + ')') if source else ''}",
                 {"statut": [untranslated(ACTION_STATUS_LABELS[current]), untranslated(ACTION_STATUS_LABELS[target])]})


def set_priority(action: Action, priority: int | None) -> None:
    if priority is not None and not 1 <= priority <= 5:
        raise ActionError({"priority": "La priorité va de 1 (la plus haute) à 5."})
    if priority == action.priority:
        return
    old, action.priority = action.priority, priority
    db.session.flush()
    audit.record("update", ENTITY, action.id, f"Action {action.code} : priorité", {"priorité": [old, priority]})


# --- Partners, milestones -----------------------------------------------------------------------


def add_partner(action: Action, organisation_id: int, role: str) -> ActionPartner:
    if db.session.get(Organisation, organisation_id) is None:
        raise ActionError({"organisation_id": "Choisissez une structure existante."})
    try:
        role = PartnerRole(role).value
    except ValueError as exc:
        raise ActionError({"role": "Rôle inconnu."}) from exc
    existing = next((p for p in action.partners if p.organisation_id == organisation_id), None)
    if existing is not None:
        existing.role = role
        db.session.flush()
        return existing
    partner = ActionPartner(organisation_id=organisation_id, role=role)
    action.partners.append(partner)
    db.session.flush()
    audit.record("update", ENTITY, action.id, f"Action {action.code} : partenaire ajouté",
                 {"partenaire": [None, partner.organisation.name]})
    return partner


def remove_partner(action: Action, partner_id: int) -> None:
    partner = next((p for p in action.partners if p.id == partner_id), None)
    if partner is None:
        raise ActionError("Ce partenaire n'est pas engagé dans l'action.")
    action.partners.remove(partner)
    db.session.flush()


def add_milestone(action: Action, title: str, due_on: date | None, done_on: date | None = None) -> Milestone:
    if not title.strip():
        raise ActionError({"title": "Le jalon a besoin d'un intitulé."})
    milestone = Milestone(title=title.strip(), due_on=due_on, done_on=done_on)
    action.milestones.append(milestone)
    db.session.flush()
    return milestone


def mark_milestone_done(action: Action, milestone_id: int, done_on: date | None = None) -> Milestone:
    milestone = next((m for m in action.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise ActionError("Ce jalon n'appartient pas à l'action.")
    milestone.done_on = done_on or date.today()
    db.session.flush()
    audit.record("update", ENTITY, action.id, f"Action {action.code} : jalon atteint",
                 {"jalon": [None, f"{milestone.title} ({milestone.done_on.isoformat()})"]})
    return milestone


# --- Funding lines ------------------------------------------------------------------------------


@dataclass
class FundingInput:
    funder_id: int
    scheme: str
    amount_requested: Any
    amount_granted: Any = None
    status: str = FundingStatus.CONSIDERED.value
    requested_on: date | None = None
    decided_on: date | None = None
    paid_on: date | None = None


def _funding_fields(line: FundingLine, data: FundingInput) -> None:
    errors: dict[str, str] = {}
    if db.session.get(Organisation, data.funder_id) is None:
        errors["funder_id"] = "Choisissez le financeur parmi les structures."
    try:
        status = FundingStatus(data.status)
    except ValueError:
        errors["status"] = "Statut inconnu."
        status = FundingStatus.CONSIDERED
    try:
        requested = money(data.amount_requested or 0)
    except ActionError as exc:
        errors["amount_requested"] = exc.errors["__all__"]
        requested = Decimal("0")
    granted = None
    if data.amount_granted not in (None, ""):
        try:
            granted = money(data.amount_granted)
        except ActionError as exc:
            errors["amount_granted"] = exc.errors["__all__"]
    if status.value in ("accorde", "verse") and granted is None:
        errors["amount_granted"] = "Indiquez le montant accordé."
    if errors:
        raise ActionError(errors)
    line.funder_id, line.scheme = data.funder_id, data.scheme.strip()
    line.amount_requested, line.amount_granted, line.status = requested, granted, status.value
    line.requested_on, line.decided_on, line.paid_on = data.requested_on, data.decided_on, data.paid_on


def add_funding(action: Action, data: FundingInput) -> FundingLine:
    line = FundingLine()
    _funding_fields(line, data)
    action.funding_lines.append(line)
    db.session.flush()
    audit.record("update", ENTITY, action.id, f"Action {action.code} : ligne de financement ajoutée",
                 {"financement": [None, f"{line.funder.name} — {line.scheme} — "
                                        f"{untranslated(FUNDING_STATUS_LABELS[FundingStatus(line.status)])}"]})
    return line


def update_funding(line: FundingLine, data: FundingInput) -> FundingLine:
    old = untranslated(FUNDING_STATUS_LABELS[FundingStatus(line.status)])
    old_granted = line.amount_granted
    _funding_fields(line, data)
    db.session.flush()
    audit.record("update", ENTITY, line.action_id, "Ligne de financement modifiée",
                 {"statut du financement": [old, untranslated(FUNDING_STATUS_LABELS[FundingStatus(line.status)])],
                  "montant accordé": [str(old_granted) if old_granted is not None else None,
                                      str(line.amount_granted) if line.amount_granted is not None else None]})
    return line


# --- Indicators ---------------------------------------------------------------------------------


def add_indicator(action: Action, name: str, unit: str, baseline: Any, target: Any) -> Indicator:
    errors = {}
    if not name.strip():
        errors["name"] = "L'indicateur a besoin d'un nom."
    try:
        base, goal = Decimal(str(baseline or 0)), Decimal(str(target))
    except (InvalidOperation, ValueError):
        errors["target"] = "Valeur de référence ou cible illisible."
        base = goal = Decimal("0")
    if not errors and goal == base:
        errors["target"] = "La cible doit différer de la valeur de référence."
    if errors:
        raise ActionError(errors)
    indicator = Indicator(name=name.strip(), unit=unit.strip(), baseline=base, target=goal)
    action.indicators.append(indicator)
    db.session.flush()
    return indicator


def record_value(indicator: Indicator, measured_on: date, value: Any) -> IndicatorValue:
    """A dated measure; a second one the same day replaces the first."""
    try:
        number = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ActionError({"value": "Valeur illisible."}) from exc
    if measured_on > date.today():
        raise ActionError({"measured_on": "Une mesure ne peut pas être datée dans le futur."})
    existing = next((v for v in indicator.values if v.measured_on == measured_on), None)
    old = str(existing.value) if existing else None
    if existing is None:
        existing = IndicatorValue(measured_on=measured_on, value=number)
        indicator.values.append(existing)
    else:
        existing.value = number
    db.session.flush()
    audit.record("update", ENTITY, indicator.action_id, f"Indicateur « {indicator.name} » mesuré",
                 {indicator.name: [old, f"{number} ({measured_on.isoformat()})"]})
    return existing


def progress(baseline: Decimal, target: Decimal, last: Decimal | None) -> float | None:
    """How far the last value went from the baseline toward the target, 0 to 1 (None: nothing measured)."""
    if last is None:
        return None
    span = target - baseline
    if span == 0:
        return 1.0 if last >= target else 0.0
    return float(max(Decimal(0), min(Decimal(1), (last - baseline) / span)))


def actions_by_code() -> list[Action]:
    return list(db.session.scalars(sa.select(Action).order_by(Action.code)))


def contact_choices() -> list[Any]:
    rows = db.session.execute(sa.select(Contact.id, Contact.first_name, Contact.last_name, Organisation.name)
                              .join(Organisation, Contact.organisation_id == Organisation.id)
                              .where(Contact.email.is_not(None))
                              .order_by(Organisation.name, Contact.last_name)).all()
    return choices((cid, f"{first} {last} — {org}".strip()) for cid, first, last, org in rows)


def organisation_choices() -> list[Any]:
    return choices(db.session.execute(sa.select(Organisation.id, Organisation.name).order_by(Organisation.name_key)))


def axis_choices() -> list[Any]:
    return choices((a.id, a.label) for a in db.session.scalars(sa.select(Axis).order_by(Axis.position)))


def action_choices(exclude: set[int] | None = None) -> list[Any]:
    return choices((a.id, str(a)) for a in actions_by_code() if a.id not in (exclude or set()))


# --- Notes and history --------------------------------------------------------------------------

NOTE_MAX_CHARS = 5000


def add_note(action: Action, body: str, kind: str = ActionNoteKind.REMARK.value, *,
             author_id: int | None = None) -> ActionNote:
    text = (body or "").strip()
    if not text:
        raise ActionError({"body": "La note est vide."})
    if len(text) > NOTE_MAX_CHARS:
        raise ActionError({"body": f"La note dépasse {NOTE_MAX_CHARS} caractères."})
    if kind not in {k.value for k in ActionNoteKind}:
        raise ActionError({"kind": "Type de note inconnu."})
    note = ActionNote(action_id=action.id, body=text, kind=kind, author_id=author_id)
    db.session.add(note)
    db.session.flush()
    return note


@dataclass
class HistoryEntry:
    at: Any
    note: ActionNote | None = None
    audit: Any = None


def history(action: Action, limit: int = 200) -> list[HistoryEntry]:
    """The action's timeline, newest first: the team's notes and the audited changes (status, fields...)."""
    notes = db.session.scalars(sa.select(ActionNote).where(ActionNote.action_id == action.id)
                               .order_by(ActionNote.occurred_at.desc()).limit(limit))
    entries = [HistoryEntry(note.occurred_at, note=note) for note in notes]
    entries += [HistoryEntry(entry.at, audit=entry) for entry in audit.entries_for(ENTITY, action.id, limit)]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
