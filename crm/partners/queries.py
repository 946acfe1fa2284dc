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
from sqlalchemy.sql import visitors
from sqlalchemy.sql.util import ClauseAdapter

from crm.extensions import db, hooks
from crm.pagination import Page, page_number, page_of_keys, paginate, paginate_keys, table_estimate
from crm.partners.models import (
    Axis,
    ClubMembership,
    Contact,
    ContactEmail,
    Organisation,
    OrganisationKind,
    Sector,
    ShownAsPerson,
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
# A search matching more than LIST_COUNT_LIMIT contacts: its count is estimated from at least this many listed.
COUNT_SAMPLE = 100


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


def _current_club_member(organisation_id: sa.ColumnElement[Any], today: date, row_by_row: bool = False) -> sa.Exists:
    return _exists(
        ClubMembership.organisation_id == organisation_id,
        ClubMembership.joined_on <= today,
        sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today),
        row_by_row=row_by_row,
    )


def _exists(*conditions: sa.ColumnElement[bool], row_by_row: bool = False) -> sa.Exists:
    """EXISTS (the rows of ``conditions``). With ``row_by_row``, its subquery carries an OFFSET 0: PostgreSQL then
    checks it for each row it is asked about, instead of hashing every row the subquery could match (all the
    contacts of a sector, of an axis...), its choice when it expects to check many rows, which ignores a LIMIT:
    the searched list checks a few hundred sorted matches and stops, whatever the size of the base."""
    if not row_by_row:
        return sa.exists().where(*conditions)
    return sa.exists(sa.select(sa.literal_column("1")).where(*conditions).offset(_written_in(0)))


def _contact_ids_matching(token: str) -> sa.CompoundSelect[Any]:
    """The ids of the contacts a token finds: a union of ``_contact_branches``, each served by an index, rather
    than one OR, so that both SQLite and PostgreSQL drive it from the indexes instead of scanning every contact."""
    return sa.union(*(sa.select(Contact.id).where(branch) for branch in _contact_branches(token)))


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


def contact_conditions(filters: PartnerFilters, today: date | None = None,
                       row_by_row: bool = False) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions on ``Contact`` for these filters; segments build their audiences on them. With
    ``row_by_row``, for a list that checks them on a few sorted rows and stops (see ``_exists``)."""
    today = today or date.today()
    conditions: list[sa.ColumnElement[bool]] = []
    for token in _tokens(filters.q):
        conditions.append(Contact.id.in_(_contact_ids_matching(token)))
    organisation_conditions = _organisation_place_filters(filters)
    if organisation_conditions:
        # Correlated, so that a selective search drives the plan rather than "every contact in the region".
        conditions.append(
            _exists(Organisation.id == Contact.organisation_id, *organisation_conditions, row_by_row=row_by_row)
        )
    if filters.sector:
        sector_id = _sector_id(filters.sector)
        conditions.append(
            sa.or_(
                _exists(contact_sectors.c.contact_id == Contact.id, contact_sectors.c.sector_id == sector_id,
                        row_by_row=row_by_row),
                _exists(
                    organisation_sectors.c.organisation_id == Contact.organisation_id,
                    organisation_sectors.c.sector_id == sector_id,
                    row_by_row=row_by_row,
                ),
            )
        )
    if filters.axis:
        conditions.append(
            _exists(contact_axes.c.contact_id == Contact.id, contact_axes.c.axis_id == _axis_id(filters.axis),
                    row_by_row=row_by_row)
        )
    if filters.club == "yes":
        conditions.append(_current_club_member(Contact.organisation_id, today, row_by_row))
    elif filters.club == "no":
        conditions.append(~_current_club_member(Contact.organisation_id, today, row_by_row))
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


def _contact_branches(token: str) -> list[sa.ColumnElement[bool]]:
    """The ways a token finds a contact, each a condition on the contact that one index serves: a range of its
    last name, first name or e-mail (indexes that also carry the name keys, the id and the organisation, so the
    matches and their sort keys come from the index alone), or the organisations whose name or commune matches,
    the ids given by its other addresses, the later words of its names. In the order ``_each_once`` reads them."""
    return [
        starts_with(Contact.last_name_key, token),
        starts_with(Contact.first_name_key, token),
        Contact.organisation_id.in_(_organisations_matching(token)),
        Contact.id.in_(sa.select(ContactEmail.contact_id).where(starts_with(ContactEmail.email, token))),
        Contact.id.in_(sa.select(contact_words.c.contact_id).where(starts_with(contact_words.c.word, token))),
        starts_with(Contact.email, token),
    ]


def _each_once(branches: list[sa.ColumnElement[bool]]) -> list[sa.ColumnElement[bool]]:
    """The branches made disjoint: each keeps only the rows no earlier branch found, so that their results add up
    (UNION ALL) instead of being merged and deduplicated (UNION: a temporary b-tree of every match, the largest
    cost of a search on SQLite). ``IS NOT TRUE`` keeps the rows where an earlier condition is unknown (a contact
    without organisation, a NULL key). The earlier conditions are checked on the columns the later branch's index
    already carries: hence the order of ``_contact_branches``, cheapest checks first, the e-mail last."""
    return [sa.and_(branch, *(earlier.is_not(sa.true()) for earlier in branches[:index]))
            for index, branch in enumerate(branches)]


def contact_list_keys(filters: PartnerFilters, dialect: str, today: date | None = None) -> sa.Select[Any]:
    """The ids of ``contacts_statement(filters)`` in the same order, shaped for the list page of a large base.

    Without a search, the plain statement is driven by the sort's index. With one, its matches grow with the
    base (a prefix matches a share of it), so each is read once, from an index where it can be: the ways in of
    ``_contact_branches`` for the first word typed, one after another, each leaving out what an earlier one found
    (``_each_once``: their results add up, nothing to deduplicate), with only the columns the sort and the filters
    need, kept once (a CTE): they are counted (``matched``), sorted and numbered (``position``); the other words and
    filters (department, sector, Club...) are then checked in that order, row by row, so that the check stops
    at the statement's LIMIT instead of looking up the organisation, sectors... of every match (the ``OFFSET 0``
    keeps both planners from merging the two steps). PostgreSQL knows the matches come sorted and is told the
    order; SQLite would sort them a second time after checking every one, so it is left to keep the order of its
    sorted subquery, which ``_search_page`` checks on the positions returned."""
    tokens = _tokens(filters.q)
    order = [sa.asc(column) if isinstance(column, InstrumentedAttribute) else column
             for column in _contact_order(filters.sort)]
    if not tokens:
        return contacts_statement(filters, today).with_only_columns(Contact.id)
    first, *more = tokens
    others = [*(Contact.id.in_(_contact_ids_matching(token)) for token in more),
              *contact_conditions(replace(filters, q=""), today, row_by_row=True)]
    used = {element for clause in [*others, *order] for element in visitors.iterate(clause)
            if isinstance(element, sa.Column) and element.table is Contact.__table__}
    columns = [column for column in Contact.__table__.c if column.primary_key or column in used]
    found = (sa.union_all(*(sa.select(*columns).where(arm) for arm in _each_once(_contact_branches(first))))
             .cte("found").prefix_with("MATERIALIZED"))
    in_found = ClauseAdapter(found).traverse
    found_order = [in_found(column) for column in order]
    matches = (sa.select(*found.c, sa.func.row_number().over(order_by=found_order).label("position"),
                         sa.select(sa.func.count()).select_from(found).scalar_subquery().label("matched"))
               .order_by(*found_order).offset(_written_in(0)).subquery("matches"))
    adapt = ClauseAdapter(matches).traverse
    listed = sa.select(matches.c.id, matches.c.position, matches.c.matched)
    listed = listed.where(*(adapt(condition) for condition in others))
    return listed.order_by(*(adapt(column) for column in order)) if dialect == "postgresql" else listed


def _search_page(filters: PartnerFilters, page: int, per_page: int, dialect: str) -> Page[Any]:
    """One page of a searched list. The matches that pass the filters are read in order up to the end of the
    page (and at least ``COUNT_SAMPLE`` of them). If that reached the end of the matches, the count is exact; if
    the search matches no more than ``LIST_COUNT_LIMIT`` contacts, they are all checked and the count is exact.
    Beyond, checking every match would grow with the base: the count is estimated from the sample (the share
    of the matches read so far that passed the filters, applied to all the matches) and shown as an estimate."""
    page = page_number(page, per_page)
    start = (page - 1) * per_page
    keys = contact_list_keys(filters, dialect)
    sample = max(start + per_page, COUNT_SAMPLE) + 1
    rows = _ranked(keys, sample)
    estimate = None
    total = None
    if len(rows) == sample:
        matched = rows[0].matched
        if _only_searched(filters):  # every match is listed: their number is the count
            total = matched
        elif matched <= LIST_COUNT_LIMIT:
            rows = _ranked(keys, max(LIST_COUNT_LIMIT + 1, sample))
        else:
            estimate = _rounded(max(len(rows), round(matched * len(rows) / rows[-1].position)))
    found = [row.id for row in rows]
    # Without an estimate the count is exact, whatever its size: every match was read, or every match is listed.
    result = page_of_keys(found, _contact_list_rows(), Contact.id, page, per_page,
                          len(found) if total is None else total, estimate is not None)
    result.estimate = estimate
    return result


def _only_searched(filters: PartnerFilters) -> bool:
    """Nothing narrows the list but one word searched (no filter, no second word)."""
    return len(_tokens(filters.q)) == 1 and not any(
        getattr(filters, field.name) for field in fields(PartnerFilters) if field.name not in {"q", "sort"})


def _ranked(keys: sa.Select[Any], limit: int) -> list[Any]:
    """The first ``limit`` rows of ``contact_list_keys``'s search shape, in the order of their positions (which
    SQLite keeps without being told: checked, and sorted again if it ever did not)."""
    rows = list(db.session.execute(keys.limit(_written_in(limit))))
    if any(earlier.position > later.position for earlier, later in zip(rows, rows[1:])):
        in_order = keys.order_by(None).order_by(sa.literal_column("position"))
        rows = list(db.session.execute(in_order.limit(_written_in(limit))))
    return rows


def _written_in(value: int) -> sa.BindParameter[int]:
    """A LIMIT or OFFSET written into the statement rather than sent as a parameter, so that the planner knows
    it (a parameter is planned for as a guess); the statement stays cached, keyed on its shape."""
    return sa.bindparam(None, value, type_=sa.Integer, literal_execute=True)


def _rounded(estimate: int) -> int:
    """An estimate to two significant figures (1 347 -> 1 300): it says "about", not a precise count."""
    magnitude = 10 ** max(0, len(str(estimate)) - 2)
    return max(magnitude, round(estimate / magnitude) * magnitude)


@dataclass(frozen=True, slots=True)
class ContactListRow(ShownAsPerson):
    """What the contact list shows of a contact, read as a plain row with its organisation's name and commune:
    a page of fifty costs a third of loading fifty contacts, their organisations and kinds as objects."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    ambassador_status: str
    organisation_id: int | None
    organisation_name: str | None
    organisation_commune: str | None


def _contact_list_rows() -> sa.Select[Any]:
    """The columns of ``ContactListRow``, in its order."""
    from_organisation = {"organisation_name": Organisation.name, "organisation_commune": Organisation.commune}
    names = [field.name for field in fields(ContactListRow)]
    columns = [(from_organisation[name] if name in from_organisation else Contact.__table__.c[name]).label(name)
               for name in names]
    return sa.select(*columns).outerjoin(Organisation, Organisation.id == Contact.organisation_id)


def list_contacts(filters: PartnerFilters, page: int, per_page: int) -> Page[ContactListRow]:
    dialect = db.session.get_bind().dialect.name
    if _tokens(filters.q):
        result = _search_page(filters, page, per_page, dialect)
    else:
        keys = contact_list_keys(filters, dialect)
        result = _with_estimate(paginate_keys(keys, _contact_list_rows(), Contact.id, page, per_page,
                                              LIST_COUNT_LIMIT), filters, Contact.__table__)
    result.items = [ContactListRow(*row) for row in result.items]
    return result


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
