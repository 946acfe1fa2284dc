"""Segment criteria, the SQL they become, counts, and writes. Functions flush; callers commit.

The contact filters are those of the partner lists (``crm.partners.queries.contact_conditions``); a segment
adds topic preferences and a signup date range.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from crm.consent.mail_kinds import Category, first_of, reach
from crm.consent.models import OptInStatus, Subscription, Topic, contact_topics
from crm.extensions import db
from crm.extensions import hooks
from crm.forms import untranslated
from crm.i18n import local_tz
from crm.partners.models import AMBASSADOR_LABELS, AmbassadorStatus, Axis, Contact, OrganisationKind, Sector
from crm.partners.queries import PartnerFilters, contact_conditions
from crm.errors import ValidationError
from crm.partners.territory import REGIONS, UnknownPlace, department_label, parse_department
from crm.segments.models import Segment


# Features that use segments say so through this hook, so a segment in use is not deleted.
IN_USE_HOOK = "segments.in_use"
# Features that engage organisations in something (the action plan) answer "engaged in ...": ``hook(action_code,
# axis_code)`` -> a SELECT of organisation ids, or None when the action code is unknown to it.
ENGAGED_HOOK = "segments.engaged_organisations"


# Criteria that take several values, any of which will do (OR); and those a segment can exclude (NOT). The
# criteria set are combined with AND: "department 61 or 72, AND sector A or B, AND NOT Club members".
MULTI = ("kind", "sector", "axis", "department", "region", "ambassador", "topic", "action_axis")
EXCLUDABLE = ("kind", "sector", "axis", "department", "region", "club", "ambassador", "topic")
SINGLE = ("q", "club", "action", "signed_up_from", "signed_up_to")


def _values(value: Any) -> list[str]:
    """A criterion's values: a list, or one value (a segment saved before several values were possible)."""
    items = value if isinstance(value, list | tuple) else [value]
    found: list[str] = []
    for item in items:
        text = str(item or "").strip()
        if text and text not in found:
            found.append(text)
    return found


@dataclass
class SegmentCriteria:
    """Who a segment holds. Each list is "any of these" (OR); ``exclude`` maps a criterion to values whose
    contacts are left out (NOT); the criteria set are all required (AND).

    Saved as JSON: ``{"department": ["61", "72"], "club": "yes", "exclude": {"sector": ["numerique"]}}``."""

    q: str = ""
    kind: list[str] = field(default_factory=list)
    sector: list[str] = field(default_factory=list)
    axis: list[str] = field(default_factory=list)
    department: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    club: str = ""  # "" any, "yes" current member, "no" not a member
    ambassador: list[str] = field(default_factory=list)
    topic: list[str] = field(default_factory=list)  # topic codes among the contact's preferences
    action: str = ""  # the code of an action of the plan: members of the organisations engaged in it
    action_axis: list[str] = field(default_factory=list)  # engaged in an action of one of these axes
    signed_up_from: str = ""  # ISO dates, Europe/Paris days, on the contact's creation
    signed_up_to: str = ""
    exclude: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in MULTI:
            setattr(self, name, _values(getattr(self, name)))
        for name in SINGLE:
            setattr(self, name, str(getattr(self, name) or "").strip())
        self.exclude = {name: values for name in EXCLUDABLE
                        if (values := _values((self.exclude or {}).get(name)))}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SegmentCriteria:
        data = data or {}
        exclude = data.get("exclude")
        return cls(**{name: data.get(name) for name in (*MULTI, *SINGLE)},
                   exclude=exclude if isinstance(exclude, dict) else {})

    def as_dict(self) -> dict[str, Any]:
        saved: dict[str, Any] = {name: getattr(self, name) for name in (*SINGLE, *MULTI) if getattr(self, name)}
        if self.exclude:
            saved["exclude"] = dict(self.exclude)
        return saved


def validate(criteria: SegmentCriteria) -> None:
    errors: dict[str, str] = {}
    for where in ("", "exclude_"):
        values = criteria.department if not where else criteria.exclude.get("department", [])
        parsed: list[str] = []
        for value in values:
            try:
                parsed.append(parse_department(value))
            except UnknownPlace as exc:
                errors[f"{where}department"] = str(exc)
        if where:
            if "department" in criteria.exclude:
                criteria.exclude["department"] = parsed
        else:
            criteria.department = parsed
    if criteria.club not in {"", "yes", "no"} or set(criteria.exclude.get("club", [])) - {"yes", "no"}:
        errors["club"] = "Choix inconnu pour le Club des Industriels."
    for where, source in (("", asdict(criteria)), ("exclude_", criteria.exclude)):
        if set(source.get("region") or []) - set(REGIONS):
            errors[f"{where}region"] = "Région inconnue."
        if set(source.get("ambassador") or []) - {s.value for s in AmbassadorStatus}:
            errors[f"{where}ambassador"] = "Statut d'ambassadeur inconnu."
        for name, model in (("kind", OrganisationKind), ("sector", Sector), ("axis", Axis), ("topic", Topic),
                            ("action_axis", Axis)):
            codes = set(source.get(name) or [])
            if codes and len(set(db.session.scalars(sa.select(model.code).where(model.code.in_(codes))))) < len(codes):
                errors[f"{where}{name}"] = "Valeur inconnue."
    if criteria.action and not any(hook(criteria.action, "") is not None for hook in hooks(ENGAGED_HOOK)):
        errors["action"] = "Aucune action du plan n'a ce code."
    days = {}
    for name in ("signed_up_from", "signed_up_to"):
        value = getattr(criteria, name)
        if value:
            try:
                days[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = "Date invalide (attendu : AAAA-MM-JJ)."
    if len(days) == 2 and days["signed_up_from"] > days["signed_up_to"]:
        errors["signed_up_to"] = "La date de fin précède la date de début."
    if errors:
        raise ValidationError(errors)


def _start_of_day(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(), local_tz())


def _engaged(action: str, axis: str) -> sa.ColumnElement[bool]:
    engaged = [found for hook in hooks(ENGAGED_HOOK) if (found := hook(action, axis)) is not None]
    if not engaged:
        return sa.false()
    return Contact.organisation_id.in_(engaged[0] if len(engaged) == 1 else sa.union(*engaged))


def _one(name: str, value: str) -> sa.ColumnElement[bool]:
    """The condition for one value of one criterion."""
    if name == "topic":
        topic_id = sa.select(Topic.id).where(Topic.code == value).scalar_subquery()
        return sa.exists().where(contact_topics.c.contact_id == Contact.id, contact_topics.c.topic_id == topic_id)
    if name == "action_axis":
        return _engaged("", value)
    return sa.and_(sa.true(), *contact_conditions(PartnerFilters(**{name: value})))


def _any_of(name: str, values: list[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(_one(name, value) for value in values))


def conditions(criteria: SegmentCriteria) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions on ``Contact`` for these criteria (plain SQL, usable inside an INSERT ... SELECT)."""
    result = contact_conditions(PartnerFilters(q=criteria.q, club=criteria.club))
    for name in MULTI:
        values = getattr(criteria, name)
        if values:
            result.append(_any_of(name, values))
    if criteria.action:
        result.append(_engaged(criteria.action, ""))
    for name, values in criteria.exclude.items():
        # Every single-value condition is an EXISTS or a NOT NULL column's comparison: NOT is never NULL.
        result.append(sa.not_(_any_of(name, values)))
    if criteria.signed_up_from:
        result.append(Contact.created_at >= _start_of_day(criteria.signed_up_from))
    if criteria.signed_up_to:
        result.append(Contact.created_at < _start_of_day(criteria.signed_up_to) + timedelta(days=1))
    return result


def criteria_of(segment: Segment) -> SegmentCriteria:
    return SegmentCriteria.from_dict(segment.criteria)


def contact_ids(segment: Segment | SegmentCriteria) -> sa.Select[Any]:
    """``SELECT contacts.id`` of the segment's members: for ``IN (...)`` or an ``INSERT ... SELECT``."""
    criteria = segment if isinstance(segment, SegmentCriteria) else criteria_of(segment)
    return sa.select(Contact.id).where(*conditions(criteria))


def count(criteria: SegmentCriteria) -> int:
    stmt = sa.select(sa.func.count()).select_from(Contact).where(*conditions(criteria))
    return db.session.scalar(stmt) or 0


def newsletter_reach(criteria: SegmentCriteria) -> tuple[int, dict[str, int]]:
    """How many of the segment the newsletter would reach now, and who it leaves out and why."""
    kind = first_of(Category.NEWSLETTER)
    if kind is None:
        return 0, {}
    return reach(kind, conditions(criteria))


def count_confirmed(criteria: SegmentCriteria) -> int:
    """Members whose newsletter subscription is confirmed (before topic and suppression list)."""
    stmt = (sa.select(sa.func.count()).select_from(Contact)
            .join(Subscription, Subscription.contact_id == Contact.id)
            .where(Subscription.status == OptInStatus.CONFIRMED.value, *conditions(criteria)))
    return db.session.scalar(stmt) or 0


def preview(criteria: SegmentCriteria, limit: int = 10) -> list[Contact]:
    """The first people of the segment, by name: to check the criteria say what is meant."""
    stmt = (sa.select(Contact).where(*conditions(criteria))
            .order_by(Contact.last_name_key, Contact.first_name_key, Contact.id).limit(limit))
    return list(db.session.scalars(stmt))


def _labels(model: Any, codes: list[str]) -> str:
    found = dict(db.session.execute(sa.select(model.code, model.label).where(model.code.in_(codes))).all())
    return " ou ".join(found.get(code) or code for code in codes)


def _describe_values(name: str, values: list[str]) -> str:
    if name == "kind":
        return f"type : {_labels(OrganisationKind, values)}"
    if name == "sector":
        return f"filière : {_labels(Sector, values)}"
    if name == "axis":
        return f"axe : {_labels(Axis, values)}"
    if name == "department":
        return "département : " + " ou ".join(department_label(value) for value in values)
    if name == "region":
        return "région : " + " ou ".join(values)
    if name == "club":
        return " ou ".join("membres du Club" if value == "yes" else "hors Club" for value in values)
    if name == "ambassador":
        return "ambassadeur : " + " ou ".join(untranslated(AMBASSADOR_LABELS[AmbassadorStatus(value)])
                                              for value in values)
    if name == "topic":
        return f"intéressés par : {_labels(Topic, values)}"
    return f"engagés dans une action de l'axe : {_labels(Axis, values)}"


def describe(criteria: SegmentCriteria) -> list[str]:
    """The criteria in words, for lists and confirmations."""
    parts = []
    if criteria.q:
        parts.append(f"recherche « {criteria.q} »")
    for name in MULTI:
        values = getattr(criteria, name)
        if values and name != "action_axis":
            parts.append(_describe_values(name, values))
    if criteria.club:
        parts.append("membres du Club" if criteria.club == "yes" else "hors Club")
    if criteria.action:
        parts.append(f"engagés dans l'action {criteria.action}")
    if criteria.action_axis:
        parts.append(_describe_values("action_axis", criteria.action_axis))
    if criteria.signed_up_from:
        parts.append(f"ajoutés depuis le {date.fromisoformat(criteria.signed_up_from):%d/%m/%Y}")
    if criteria.signed_up_to:
        parts.append(f"ajoutés jusqu'au {date.fromisoformat(criteria.signed_up_to):%d/%m/%Y}")
    for name, values in criteria.exclude.items():
        parts.append(f"sauf {_describe_values(name, values)}")
    return parts or ["tous les contacts"]


def all_segments() -> list[Segment]:
    return list(db.session.scalars(sa.select(Segment).order_by(Segment.name)))


def save_segment(name: str, description: str, criteria: SegmentCriteria, segment: Segment | None = None) -> Segment:
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Le nom du segment est obligatoire."
    else:
        other = db.session.scalar(sa.select(Segment).where(Segment.name == name))
        if other is not None and other is not segment:
            errors["name"] = "Un segment porte déjà ce nom."
    try:
        validate(criteria)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if segment is None:
        segment = Segment()
        db.session.add(segment)
    segment.name = name
    segment.description = description.strip()[:300]
    segment.criteria = criteria.as_dict()
    db.session.flush()
    return segment


def delete_segment(segment: Segment) -> None:
    """Refused while something not yet done uses it (a letter not yet sent: its audience would silently change).
    Features answer through the ``segments.in_use`` hook: ``hook(segment)`` -> what uses it, in French, or None."""
    for in_use in hooks(IN_USE_HOOK):
        user = in_use(segment)
        if user:
            raise ValidationError({"segment": f"Ce segment est utilisé par {user}."})
    db.session.delete(segment)
    db.session.flush()
