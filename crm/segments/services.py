"""Segment criteria, the SQL they become, counts, and writes. Functions flush; callers commit.

The contact filters are those of the partner lists (``crm.partners.queries.contact_conditions``); a segment
adds topic preferences and a signup date range.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
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
from crm.partners.queries import PartnerCriteria, PartnerFilters, contact_conditions
from crm.errors import ValidationError
from crm.partners.territory import REGIONS, UnknownPlace, department_label, parse_department
from crm.segments.models import Segment


# Features that use segments say so through this hook, so a segment in use is not deleted.
IN_USE_HOOK = "segments.in_use"
# Features that engage organisations in something (the action plan) answer "engaged in ...": ``hook(action_code,
# axis_code)`` -> a SELECT of organisation ids, or None when the action code is unknown to it.
ENGAGED_HOOK = "segments.engaged_organisations"


@dataclass
class SegmentCriteria(PartnerCriteria):
    """The partners' criteria (crm.partners.queries.PartnerCriteria), and the subscriber's own."""

    topic: str = ""
    action: str = ""  # the code of an action of the plan: members of the organisations engaged in it
    action_axis: str = ""  # an axis code: members of the organisations engaged in an action of that axis  # a topic code among the contact's preferences
    signed_up_from: str = ""  # ISO dates, Europe/Paris days, on the contact's creation
    signed_up_to: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SegmentCriteria:
        data = data or {}
        return cls(**{f.name: str(data.get(f.name) or "").strip() for f in fields(cls)})

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in asdict(self).items() if value}

    def partner_filters(self) -> PartnerFilters:
        return PartnerFilters(**asdict(self.partner_criteria()))


def validate(criteria: SegmentCriteria) -> None:
    errors: dict[str, str] = {}
    if criteria.department:
        try:
            criteria.department = parse_department(criteria.department)
        except UnknownPlace as exc:
            errors["department"] = str(exc)
    if criteria.region and criteria.region not in REGIONS:
        errors["region"] = "Région inconnue."
    if criteria.club not in {"", "yes", "no"}:
        errors["club"] = "Choix inconnu pour le Club des Industriels."
    if criteria.ambassador and criteria.ambassador not in {s.value for s in AmbassadorStatus}:
        errors["ambassador"] = "Statut d'ambassadeur inconnu."
    for name, model in (("kind", OrganisationKind), ("sector", Sector), ("axis", Axis), ("topic", Topic)):
        code = getattr(criteria, name)
        if code and db.session.scalar(sa.select(model.id).where(model.code == code)) is None:
            errors[name] = "Valeur inconnue."
    if criteria.action and not any(hook(criteria.action, "") is not None for hook in hooks(ENGAGED_HOOK)):
        errors["action"] = "Aucune action du plan n'a ce code."
    if criteria.action_axis and db.session.scalar(sa.select(Axis.id).where(Axis.code == criteria.action_axis)) is None:
        errors["action_axis"] = "Valeur inconnue."
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


def conditions(criteria: SegmentCriteria) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions on ``Contact`` for these criteria (plain SQL, usable inside an INSERT ... SELECT)."""
    result = contact_conditions(criteria.partner_filters())
    if criteria.topic:
        topic_id = sa.select(Topic.id).where(Topic.code == criteria.topic).scalar_subquery()
        result.append(sa.exists().where(contact_topics.c.contact_id == Contact.id,
                                        contact_topics.c.topic_id == topic_id))
    if criteria.action or criteria.action_axis:
        engaged = [found for hook in hooks(ENGAGED_HOOK)
                   if (found := hook(criteria.action, criteria.action_axis)) is not None]
        if not engaged:
            result.append(sa.false())
        else:
            result.append(Contact.organisation_id.in_(engaged[0] if len(engaged) == 1 else sa.union(*engaged)))
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


def describe(criteria: SegmentCriteria) -> list[str]:
    """The criteria in words, for lists and confirmations."""
    def label(model: Any, code: str) -> str:
        return db.session.scalar(sa.select(model.label).where(model.code == code)) or code

    parts = []
    if criteria.q:
        parts.append(f"recherche « {criteria.q} »")
    if criteria.kind:
        parts.append(f"type : {label(OrganisationKind, criteria.kind)}")
    if criteria.sector:
        parts.append(f"filière : {label(Sector, criteria.sector)}")
    if criteria.axis:
        parts.append(f"axe : {label(Axis, criteria.axis)}")
    if criteria.department:
        parts.append(f"département : {department_label(criteria.department)}")
    if criteria.region:
        parts.append(f"région : {criteria.region}")
    if criteria.club:
        parts.append("membres du Club" if criteria.club == "yes" else "hors Club")
    if criteria.ambassador:
        parts.append(f"ambassadeur : {untranslated(AMBASSADOR_LABELS[AmbassadorStatus(criteria.ambassador)])}")
    if criteria.topic:
        parts.append(f"intéressés par : {label(Topic, criteria.topic)}")
    if criteria.action:
        parts.append(f"engagés dans l'action {criteria.action}")
    if criteria.action_axis:
        parts.append(f"engagés dans une action de l'axe : {label(Axis, criteria.action_axis)}")
    if criteria.signed_up_from:
        parts.append(f"ajoutés depuis le {date.fromisoformat(criteria.signed_up_from):%d/%m/%Y}")
    if criteria.signed_up_to:
        parts.append(f"ajoutés jusqu'au {date.fromisoformat(criteria.signed_up_to):%d/%m/%Y}")
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
