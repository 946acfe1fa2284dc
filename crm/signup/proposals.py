"""What a signup proposes for the records the team already holds, and the team's decision on it.

Public input proposes; only the team writes the record. The form never writes on a known contact nor on a known
organisation: what it gives that differs is kept beside the signup (``SignupChange``). Once the address is
confirmed, an editor applies some of those changes, through the partners services so that the timeline shows the
real old and new values, and dismisses the others. Functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from crm.audit import services as audit
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.forms import untranslated
from crm.partners import services as partners
from crm.partners import taxonomy
from crm.partners.models import Axis, Contact, Organisation, Sector
from crm.partners.normalize import search_key
from crm.partners.services import ContactInput, OrganisationInput, PartnerValidationError
from crm.signup.models import ChangeStatus, Signup, SignupChange

CONTACT_TEXT_FIELDS = ("first_name", "last_name", "phone", "job_title")
CONTACT_LIST_FIELDS: dict[str, type[Sector] | type[Axis]] = {"sectors": Sector, "axes": Axis}
MOVE = "organisation"  # the contact's organisation: an existing one, or one to create
# A known organisation's own fields -> the OrganisationInput attribute they change.
ORGANISATION_FIELDS = {"organisation_name": "name", "organisation_siret": "siret",
                       "organisation_commune": "commune", "organisation_sectors": "sectors"}

# Every field a signup may propose, in the order the inbox shows them.
FIELD_LABELS = {
    "first_name": _l("Prénom"),
    "last_name": _l("Nom"),
    "phone": _l("Téléphone"),
    "job_title": _l("Fonction"),
    "sectors": _l("Filières qui l'intéressent"),
    "axes": _l("Axes qui l'intéressent"),
    MOVE: _l("Structure du contact"),
    "organisation_name": _l("Nom de la structure"),
    "organisation_siret": _l("SIRET de la structure"),
    "organisation_commune": _l("Commune de la structure"),
    "organisation_sectors": _l("Filières de la structure"),
}
DECISIONS = ("accept", "dismiss")
EMPTY = "—"


class ProposalError(ValidationError):
    """French message; nothing has been written when it is raised."""


# --- The organisation the form names ---------------------------------------------------------------


@dataclass(frozen=True)
class NamedOrganisation:
    """The organisation as the person names it on the form (validated)."""

    name: str
    postal_code: str
    siret: str | None = None
    commune: str = ""
    sector: str = ""


def find_organisation(named: NamedOrganisation) -> Organisation | None:
    """The known organisation the form names: same SIRET, or same name and postal code (and no other SIRET)."""
    if named.siret:
        found = partners.find_organisation_by_siret(named.siret)
        if found is not None:
            return found
    stmt = sa.select(Organisation).where(Organisation.name_key == search_key(named.name),
                                         Organisation.postal_code == named.postal_code).order_by(Organisation.id)
    for candidate in db.session.scalars(stmt):
        if not named.siret or candidate.siret in (None, named.siret):
            return candidate
    return None


def create_organisation(named: NamedOrganisation) -> Organisation:
    return partners.save_organisation(OrganisationInput(
        name=named.name, siret=named.siret or "", sectors=[named.sector] if named.sector else [],
        postal_code=named.postal_code, commune=named.commune))


# --- What a signup proposes ----------------------------------------------------------------------------


def propose(contact: Contact, person: ContactInput | None, named: NamedOrganisation,
            match: Organisation | None) -> list[SignupChange]:
    """The changes a signup proposes, in display order: to the contact (``person``: what the form says of a known
    contact; None for a contact the signup created), and to ``match``, the known organisation the form names.
    Nothing is written on either."""
    proposed: dict[str, SignupChange] = {}

    def add(field: str, value: Any, organisation: Organisation | None = None) -> None:
        proposed[field] = SignupChange.of(contact.id, field, value, organisation.id if organisation else None)

    if person is not None:
        for field in CONTACT_TEXT_FIELDS:
            value = getattr(person, field).strip()
            if value and value != getattr(contact, field):
                add(field, value)
        for field, model in CONTACT_LIST_FIELDS.items():
            held = {item.code for item in getattr(contact, field)}
            added = {item.code for item in taxonomy.by_codes(model, getattr(person, field))} - held
            if added:
                add(field, sorted(added))
        if match is None:
            add(MOVE, asdict(named))
        elif match.id != contact.organisation_id:
            add(MOVE, {"id": match.id, "name": match.name}, match)
    if match is not None:
        if named.name.strip() and search_key(named.name) != match.name_key:
            add("organisation_name", named.name.strip(), match)
        if named.siret and not match.siret:
            add("organisation_siret", named.siret, match)
        if named.commune.strip() and search_key(named.commune) != match.commune_key:
            add("organisation_commune", named.commune.strip(), match)
        if named.sector and named.sector not in {s.code for s in match.sectors}:
            add("organisation_sectors", [named.sector], match)
    return [proposed[field] for field in FIELD_LABELS if field in proposed]


# --- What the inbox shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    field: str
    label: str
    subject: str  # the organisation whose own field this is ("" for the contact's fields)
    current: str
    proposed: str
    hint: str  # what the proposed organisation is (known, to create, deleted since)
    status: str
    status_label: str


@dataclass(frozen=True)
class Review:
    """A signup's proposed changes as the inbox shows them. Before the address is confirmed only their number is
    shown, never the values nor a way to apply them."""

    count: int
    waiting: bool  # the address is not confirmed yet
    actionable: bool  # an editor may decide now
    rows: list[Row]


def _labels() -> dict[str, dict[str, str]]:
    return {field: {item.code: item.label for item in taxonomy.all_of(model)}
            for field, model in (("sectors", Sector), ("axes", Axis))}


def _listed(codes: Iterable[str], labels: dict[str, str]) -> str:
    return ", ".join(labels.get(code, code) for code in codes) or EMPTY


def _organisation_value(organisation: Organisation, attribute: str) -> Any:
    if attribute == "sectors":
        return [s.code for s in organisation.sectors]
    return getattr(organisation, attribute) or ""


def _row(change: SignupChange, contact: Contact, labels: dict[str, dict[str, str]]) -> Row:
    field, value = change.field, change.proposed
    subject = current = proposed = hint = ""
    if field in CONTACT_TEXT_FIELDS:
        current, proposed = getattr(contact, field), str(value or "")
    elif field in CONTACT_LIST_FIELDS:
        held = [item.code for item in getattr(contact, field)]
        current = _listed(held, labels[field])
        proposed = _listed(held + [code for code in value or [] if code not in held], labels[field])
    elif field == MOVE:
        current = contact.organisation.name if contact.organisation else ""
        value = value if isinstance(value, dict) else {}
        if value.get("id") is not None:
            proposed = change.organisation.name if change.organisation else str(value.get("name", ""))
            hint = str(_l("structure déjà connue") if change.organisation else _l("structure supprimée depuis"))
        else:
            proposed = str(value.get("name", ""))
            place = " ".join(part for part in (value.get("postal_code"), value.get("commune")) if part)
            if value.get("siret"):
                place += f", SIRET {value['siret']}"
            hint = str(_l("nouvelle structure, créée si la modification est appliquée : %(place)s", place=place))
    elif field in ORGANISATION_FIELDS:
        organisation, attribute = change.organisation, ORGANISATION_FIELDS[field]
        subject = organisation.name if organisation else str(_l("structure supprimée depuis"))
        held = _organisation_value(organisation, attribute) if organisation else ""
        if attribute == "sectors":
            held = held or []
            current = _listed(held, labels["sectors"])
            proposed = _listed(held + [code for code in value or [] if code not in held], labels["sectors"])
        else:
            current, proposed = held, str(value or "")
    return Row(field=field, label=str(FIELD_LABELS.get(field, field)), subject=subject, current=current or EMPTY,
               proposed=proposed or EMPTY, hint=hint, status=change.status, status_label=str(change.status_label))


def reviews(signups: Iterable[Signup]) -> dict[int, Review]:
    """For the inbox page: each signup that proposes something -> what to show of it."""
    found: dict[int, Review] = {}
    labels: dict[str, dict[str, str]] | None = None
    for signup in signups:
        changes = [c for c in signup.changes if c.field in FIELD_LABELS]
        if not changes:
            continue
        if signup.confirmed_at is None:
            found[signup.id] = Review(count=len(changes), waiting=True, actionable=False, rows=[])
            continue
        labels = labels if labels is not None else _labels()
        still_open = any(c.status == ChangeStatus.OPEN.value for c in changes)
        found[signup.id] = Review(count=len(changes), waiting=False,
                                  actionable=still_open and bool(signup.contact.email),
                                  rows=[_row(c, signup.contact, labels) for c in changes])
    return found


# --- The editor's decision -----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    applied: list[str]  # the fields whose proposed value was applied
    dismissed: int

    @property
    def applied_labels(self) -> list[str]:
        """In the reader's language."""
        return [str(FIELD_LABELS[field]) for field in self.applied]


def _label(field: str) -> str:
    return untranslated(FIELD_LABELS[field])


def _checked(signup: Signup, decision: str, fields: Iterable[str]) -> tuple[list[SignupChange], list[SignupChange]]:
    """(changes to apply, changes to dismiss), or ProposalError with what is wrong."""
    if decision not in DECISIONS:
        raise ProposalError("Choisissez d'appliquer les modifications cochées ou de les écarter.")
    if signup.confirmed_at is None:
        raise ProposalError("L'adresse de cette inscription n'est pas confirmée : ses modifications proposées ne "
                            "peuvent pas encore être examinées.")
    if not signup.contact.email:
        raise ProposalError("Ce contact a été effacé : ses modifications proposées ne peuvent plus être appliquées.")
    changes = {c.field: c for c in signup.changes}
    if not changes:
        raise ProposalError("Cette inscription ne propose aucune modification.")
    wanted = list(dict.fromkeys(fields))
    for field in wanted:
        if field not in FIELD_LABELS:
            raise ProposalError(f"Modification inconnue : « {field[:40]} ». Rechargez la page et recommencez.")
        if field not in changes:
            raise ProposalError(f"« {_label(field)} » ne fait pas partie des modifications proposées par cette "
                                "inscription.")
    if all(c.status != ChangeStatus.OPEN.value for c in changes.values()):
        raise ProposalError("Les modifications proposées par cette inscription ont déjà été traitées.")
    for field in wanted:
        if changes[field].status != ChangeStatus.OPEN.value:
            raise ProposalError(f"La modification « {_label(field)} » a déjà été traitée.")
    if decision == "dismiss":
        wanted = []
    elif not wanted:
        raise ProposalError("Cochez au moins une modification à appliquer, ou écartez-les toutes.")
    accepted = [changes[field] for field in FIELD_LABELS if field in wanted]
    dismissed = [c for c in changes.values() if c.status == ChangeStatus.OPEN.value and c.field not in wanted]
    return accepted, dismissed


def _claim(changes: list[SignupChange], status: ChangeStatus, user_id: int | None) -> None:
    """Marks the changes decided, only where they are still open: two editors deciding at once, one wins."""
    if not changes:
        return
    ids = [c.id for c in changes]
    result = db.session.execute(
        sa.update(SignupChange).where(SignupChange.id.in_(ids), SignupChange.status == ChangeStatus.OPEN.value)
        .values(status=status.value, decided_at=utcnow(), decided_by_id=user_id)
        .execution_options(synchronize_session="fetch"))
    if result.rowcount != len(ids):  # type: ignore[attr-defined]
        raise ProposalError("Ces modifications viennent d'être traitées par quelqu'un d'autre : rechargez la page.")


def _value(change: SignupChange) -> Any:
    value = change.proposed
    if value is None:
        raise ProposalError(f"La valeur proposée pour « {_label(change.field)} » n'est plus lisible.")
    return value


def _destination(change: SignupChange) -> Organisation:
    """The organisation a contact moves to: the known one proposed, or the new one (created now, unless it has
    appeared in the meantime)."""
    value = _value(change)
    if value.get("id") is not None:
        if change.organisation is None:
            raise ProposalError(f"La structure « {value.get('name', '')} » a été supprimée depuis l'inscription : "
                                "le contact ne peut pas y être rattaché.")
        return change.organisation
    named = NamedOrganisation(name=value["name"], postal_code=value["postal_code"], siret=value.get("siret"),
                              commune=value.get("commune", ""), sector=value.get("sector", ""))
    return find_organisation(named) or create_organisation(named)


def _apply_to_organisations(changes: list[SignupChange]) -> None:
    inputs: dict[int, tuple[Organisation, OrganisationInput]] = {}
    for change in changes:
        organisation = change.organisation
        if organisation is None:
            raise ProposalError(f"La structure concernée par « {_label(change.field)} » a été supprimée depuis "
                                "l'inscription : cette modification ne peut pas être appliquée.")
        data = inputs.setdefault(organisation.id, (organisation, partners.organisation_input_of(organisation)))[1]
        attribute, value = ORGANISATION_FIELDS[change.field], _value(change)
        if attribute == "sectors":
            data.sectors = sorted(set(data.sectors) | set(value))
        else:
            setattr(data, attribute, str(value))
    for organisation, data in inputs.values():
        partners.save_organisation(data, organisation)


def _apply_to_contact(contact: Contact, changes: list[SignupChange]) -> None:
    if not changes:
        return
    data = partners.contact_input_of(contact)
    for change in changes:
        value = _value(change)
        if change.field in CONTACT_TEXT_FIELDS:
            setattr(data, change.field, str(value))
        elif change.field in CONTACT_LIST_FIELDS:
            setattr(data, change.field, sorted(set(getattr(data, change.field)) | set(value)))
        else:
            data.organisation_id = _destination(change).id
    partners.save_contact(data, contact)


def decide(signup: Signup, decision: str, fields: Iterable[str], user_id: int | None) -> Decision:
    """``decision`` "accept": apply the changes named in ``fields`` and dismiss the others; "dismiss": dismiss them
    all. Raises ProposalError (the caller rolls back) on a field unknown, not proposed or already decided."""
    accepted, dismissed = _checked(signup, decision, fields)
    _claim(accepted, ChangeStatus.ACCEPTED, user_id)
    _claim(dismissed, ChangeStatus.DISMISSED, user_id)
    try:
        _apply_to_organisations([c for c in accepted if c.field in ORGANISATION_FIELDS])
        _apply_to_contact(signup.contact, [c for c in accepted if c.field not in ORGANISATION_FIELDS])
    except PartnerValidationError as exc:
        raise ProposalError(" ".join(exc.errors.values())) from exc
    applied = [_label(c.field) for c in accepted]
    summary = f"Modifications proposées à l'inscription n° {signup.id} : "
    summary += ("appliquées : " + ", ".join(applied).lower()) if applied else "toutes écartées"
    if applied and dismissed:
        summary += " ; écartées : " + ", ".join(_label(c.field) for c in dismissed).lower()
    audit.record("signup_changes", "contact", signup.contact_id, summary,
                 {"applied": [c.field for c in accepted], "dismissed": [c.field for c in dismissed]}, user_id=user_id)
    db.session.flush()
    return Decision(applied=[c.field for c in accepted], dismissed=len(dismissed))
