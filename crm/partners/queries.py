"""The filtered, searched and sorted lists of the back office, and the exports built on them.

Search compares normalised keys by prefix (``key >= term AND key < term + U+FFFF``) so every
condition is served by a b-tree index on SQLite and PostgreSQL alike: no full scan at 100,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.util import ClauseAdapter

from crm.extensions import db, hooks
from crm.pagination import Page, paginate, paginate_keys, table_estimate
from crm.partners.models import (
    Axis,
    ClubMembership,
    Contact,
    ContactEmail,
    Organisation,
    OrganisationKind,
    Sector,
    contact_axes,
    contact_sectors,
    contact_words,
    organisation_sectors,
    organisation_words,
)
from crm.partners.normalize import search_key
from crm.partners.territory import NOT_GIVEN, UnknownPlace, parse_department, parse_region

CONTACT_FILTER_HOOK = "partners.contact_filter"  # hook(name, value) -> a condition on Contact, or None
PREFIX_END = "\uffff"
MAX_SEARCH_TOKENS = 4
# Lists count matches up to this many and then say "plus de …": the count never walks a whole large base.
LIST_COUNT_LIMIT = 1000


@dataclass
class PartnerCriteria:
    """What a list of partners can be narrowed by: shared by the list filters and the segments."""

    q: str = ""
    kind: str = ""
    sector: str = ""
    axis: str = ""
    department: str = ""
    region: str = ""
    club: str = ""  # "" any, "yes" current member, "no" not a member
    ambassador: str = ""

    def partner_criteria(self) -> PartnerCriteria:
        return PartnerCriteria(**{f.name: getattr(self, f.name) for f in fields(PartnerCriteria)})


@dataclass
class PartnerFilters(PartnerCriteria):
    sort: str = "name"
    # Answered by another package through the ``partners.contact_filter`` hook (e.g. the consent's
    # "newsletter" = a subscription status): what the dashboard's figures of subscribers lead to.
    newsletter: str = ""

    @classmethod
    def from_args(cls, args: Any) -> PartnerFilters:
        return cls(**{f.name: (args.get(f.name) or "").strip() for f in fields(cls) if args.get(f.name)})

    def understand(self) -> dict[str, str]:
        """Turns the place typed into codes ("Orne" -> "61"); returns a French message per value not
        understood (the list then shows it rather than silently nothing)."""
        problems: dict[str, str] = {}
        for name, parse in (("department", parse_department), ("region", parse_region)):
            value = getattr(self, name)
            if value:
                try:
                    setattr(self, name, parse(value))
                except UnknownPlace as exc:
                    problems[name] = str(exc)
        return problems

    def as_args(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def starts_with(column: InstrumentedAttribute[Any] | sa.ColumnElement[Any], term: str) -> sa.ColumnElement[bool]:
    return sa.and_(column >= term, column < term + PREFIX_END)


def _organisations_matching(token: str) -> sa.CompoundSelect[Any]:
    """Organisations whose name or commune starts with the token, or has a later word that does: a union of
    index range scans."""
    ids = sa.select(Organisation.id)
    return sa.union(
        ids.where(starts_with(Organisation.name_key, token)),
        ids.where(starts_with(Organisation.commune_key, token)),
        sa.select(organisation_words.c.organisation_id).where(starts_with(organisation_words.c.word, token)),
    )


def _tokens(q: str) -> list[str]:
    return search_key(q).split()[:MAX_SEARCH_TOKENS]


def _current_club_member(organisation_id: sa.ColumnElement[Any], today: date) -> sa.Exists:
    return sa.exists().where(
        ClubMembership.organisation_id == organisation_id,
        ClubMembership.joined_on <= today,
        sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today),
    )


def _contact_ids_matching(token: str) -> sa.CompoundSelect[Any]:
    """A union of index range scans (last name, first name, a later word of either, e-mail, organisation).

    Written as a union rather than one OR so that both SQLite and PostgreSQL drive it from the indexes
    instead of scanning every contact.
    """
    ids = sa.select(Contact.id)
    return sa.union(
        ids.where(starts_with(Contact.last_name_key, token)),
        ids.where(starts_with(Contact.first_name_key, token)),
        ids.where(starts_with(Contact.email, token)),
        sa.select(ContactEmail.contact_id).where(starts_with(ContactEmail.email, token)),
        sa.select(contact_words.c.contact_id).where(starts_with(contact_words.c.word, token)),
        ids.where(Contact.organisation_id.in_(_organisations_matching(token))),
    )


def _blank(column: InstrumentedAttribute[Any]) -> sa.ColumnElement[bool]:
    return sa.or_(column.is_(None), column == "")


def _organisation_place_filters(filters: PartnerFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.kind == NOT_GIVEN:
        conditions.append(Organisation.kind_id.is_(None))
    elif filters.kind:
        conditions.append(
            Organisation.kind_id == sa.select(OrganisationKind.id).where(OrganisationKind.code == filters.kind)
            .scalar_subquery()
        )
    if filters.department:
        conditions.append(_blank(Organisation.department) if filters.department == NOT_GIVEN
                          else Organisation.department == filters.department)
    if filters.region:
        conditions.append(_blank(Organisation.region) if filters.region == NOT_GIVEN
                          else Organisation.region == filters.region)
    return conditions


def _sector_id(code: str) -> sa.ScalarSelect[Any]:
    return sa.select(Sector.id).where(Sector.code == code).scalar_subquery()


def _axis_id(code: str) -> sa.ScalarSelect[Any]:
    return sa.select(Axis.id).where(Axis.code == code).scalar_subquery()


def contacts_statement(filters: PartnerFilters, today: date | None = None) -> sa.Select[Any]:
    stmt = sa.select(Contact).where(*contact_conditions(filters, today))
    return stmt.order_by(*_contact_order(filters.sort))


def contact_conditions(filters: PartnerFilters, today: date | None = None) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions on ``Contact`` for these filters; segments build their audiences on them."""
    today = today or date.today()
    conditions: list[sa.ColumnElement[bool]] = []
    for token in _tokens(filters.q):
        conditions.append(Contact.id.in_(_contact_ids_matching(token)))
    organisation_conditions = _organisation_place_filters(filters)
    if organisation_conditions:
        # Correlated, so that a selective search drives the plan rather than "every contact in the region".
        conditions.append(
            sa.exists().where(Organisation.id == Contact.organisation_id, *organisation_conditions)
        )
    if filters.sector:
        sector_id = _sector_id(filters.sector)
        conditions.append(
            sa.or_(
                sa.exists().where(contact_sectors.c.contact_id == Contact.id, contact_sectors.c.sector_id == sector_id),
                sa.exists().where(
                    organisation_sectors.c.organisation_id == Contact.organisation_id,
                    organisation_sectors.c.sector_id == sector_id,
                ),
            )
        )
    if filters.axis:
        conditions.append(
            sa.exists().where(contact_axes.c.contact_id == Contact.id, contact_axes.c.axis_id == _axis_id(filters.axis))
        )
    if filters.club == "yes":
        conditions.append(_current_club_member(Contact.organisation_id, today))
    elif filters.club == "no":
        conditions.append(~_current_club_member(Contact.organisation_id, today))
    if filters.ambassador:
        conditions.append(Contact.ambassador_status == filters.ambassador)
    if getattr(filters, "newsletter", ""):
        answers = [hook("newsletter", filters.newsletter) for hook in hooks(CONTACT_FILTER_HOOK)]
        conditions.extend(answer for answer in answers if answer is not None)
        if not any(answer is not None for answer in answers):
            conditions.append(sa.false())
    return conditions


def _contact_order(sort: str) -> list[Any]:
    if sort == "-name":
        return [Contact.last_name_key.desc(), Contact.first_name_key.desc(), Contact.id.desc()]
    if sort == "created":
        return [Contact.created_at, Contact.id]
    if sort == "-created":
        return [Contact.created_at.desc(), Contact.id.desc()]
    if sort == "email":
        return [Contact.email, Contact.id]
    return [Contact.last_name_key, Contact.first_name_key, Contact.id]


def organisations_statement(filters: PartnerFilters, today: date | None = None) -> sa.Select[Any]:
    today = today or date.today()
    conditions: list[sa.ColumnElement[bool]] = []
    for token in _tokens(filters.q):
        conditions.append(
            sa.or_(Organisation.id.in_(_organisations_matching(token)), starts_with(Organisation.siret, token))
        )
    conditions.extend(_organisation_place_filters(filters))
    if filters.sector:
        conditions.append(
            sa.exists().where(
                organisation_sectors.c.organisation_id == Organisation.id,
                organisation_sectors.c.sector_id == _sector_id(filters.sector),
            )
        )
    if filters.axis:
        conditions.append(
            sa.exists().where(
                Contact.organisation_id == Organisation.id,
                contact_axes.c.contact_id == Contact.id,
                contact_axes.c.axis_id == _axis_id(filters.axis),
            )
        )
    if filters.ambassador:
        conditions.append(
            sa.exists().where(Contact.organisation_id == Organisation.id, Contact.ambassador_status == filters.ambassador)
        )
    if filters.club == "yes":
        conditions.append(_current_club_member(Organisation.id, today))
    elif filters.club == "no":
        conditions.append(~_current_club_member(Organisation.id, today))
    stmt = sa.select(Organisation).where(*conditions)
    if filters.sort == "-name":
        return stmt.order_by(Organisation.name_key.desc(), Organisation.id.desc())
    if filters.sort == "commune":
        return stmt.order_by(Organisation.commune_key, Organisation.name_key, Organisation.id)
    if filters.sort == "-created":
        return stmt.order_by(Organisation.created_at.desc(), Organisation.id.desc())
    return stmt.order_by(Organisation.name_key, Organisation.id)


def _with_estimate(result: Page[Any], filters: PartnerFilters, table: sa.Table) -> Page[Any]:
    """A list with no filter whose count stopped at the limit: the table's estimated size, marked as such."""
    if result.total_is_capped and not filters.newsletter and not any(
            getattr(filters, f.name) for f in fields(PartnerCriteria)):
        estimate = table_estimate(table)
        if estimate is not None and estimate > result.total:
            result.estimate = estimate
    return result


def _contact_matches(token: str, dialect: str) -> sa.ColumnElement[bool]:
    """The same matches as ``Contact.id IN (_contact_ids_matching(token))``, written as one OR of conditions on
    the contact that each index serves: PostgreSQL ORs bitmap index scans (``= ANY(ARRAY(…))`` lets the
    subqueries take part) and SQLite runs a MULTI-INDEX OR; either reads each matching contact once, instead of
    building the set of ids and then looking every one of them up again by its key."""

    def among(column: InstrumentedAttribute[Any],
              ids: sa.Select[Any] | sa.CompoundSelect[Any]) -> sa.ColumnElement[bool]:
        if dialect == "postgresql":
            return column == sa.any_(sa.func.array(ids.scalar_subquery()))
        return column.in_(ids)

    return sa.or_(
        starts_with(Contact.last_name_key, token),
        starts_with(Contact.first_name_key, token),
        starts_with(Contact.email, token),
        among(Contact.id, sa.select(ContactEmail.contact_id).where(starts_with(ContactEmail.email, token))),
        among(Contact.id, sa.select(contact_words.c.contact_id).where(starts_with(contact_words.c.word, token))),
        among(Contact.organisation_id, _organisations_matching(token)),
    )


def contact_list_keys(filters: PartnerFilters, dialect: str, today: date | None = None) -> sa.Select[Any]:
    """The ids of ``contacts_statement(filters)`` in the same order, shaped for the list page of a large base.

    A search's matches grow with the base (a prefix matches a share of it). The matches are read once (see
    ``_contact_matches``); on PostgreSQL they are sorted first and the other filters (department, sector, Club,
    ...) then checked in that order, so the check stops as soon as the page and the count limit are reached
    instead of looking up the organisation, sectors... of every match (the ``OFFSET 0`` keeps the planner
    from merging the two steps). Without a search the plain statement is already driven by the sort's index."""
    tokens = _tokens(filters.q)
    order = _contact_order(filters.sort)
    if not tokens:
        return contacts_statement(filters, today).with_only_columns(Contact.id)
    others = contact_conditions(replace(filters, q=""), today)
    search = [_contact_matches(token, dialect) for token in tokens]
    if dialect != "postgresql":
        return sa.select(Contact.id).where(*search, *others).order_by(*order)
    matches = (sa.select(*Contact.__table__.c).where(*search).order_by(*order).offset(0)
               .subquery("matches"))
    adapt = ClauseAdapter(matches).traverse
    return sa.select(matches.c.id).where(*(adapt(condition) for condition in others)).order_by(
        *(adapt(sa.asc(column) if isinstance(column, InstrumentedAttribute) else column) for column in order))


def list_contacts(filters: PartnerFilters, page: int, per_page: int) -> Page[Contact]:
    keys = contact_list_keys(filters, db.session.get_bind().dialect.name)
    return _with_estimate(paginate_keys(keys, Contact, Contact.id, page, per_page, LIST_COUNT_LIMIT),
                          filters, Contact.__table__)


def list_organisations(filters: PartnerFilters, page: int, per_page: int) -> Page[Organisation]:
    return _with_estimate(paginate(organisations_statement(filters), page, per_page, count_limit=LIST_COUNT_LIMIT,
                                   key=Organisation.id), filters, Organisation.__table__)


def club_members_statement(today: date | None = None) -> sa.Select[Any]:
    """The Club's members on that day, one row per organisation (its current membership): the Club's page and
    the dashboard's count."""
    today = today or date.today()
    current = sa.and_(ClubMembership.joined_on <= today,
                      sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today))
    latest = (sa.select(sa.func.max(ClubMembership.id)).where(current)
              .group_by(ClubMembership.organisation_id).scalar_subquery())
    return (sa.select(Organisation, ClubMembership)
            .join(ClubMembership, ClubMembership.organisation_id == Organisation.id)
            .where(ClubMembership.id.in_(latest))
            .order_by(Organisation.name_key, Organisation.id))


def current_club_members(today: date | None = None) -> list[tuple[Organisation, ClubMembership]]:
    return [(org, membership) for org, membership in db.session.execute(club_members_statement(today))]
