"""The contact list's statement is shaped for a large base (``contact_list_keys``): it must list exactly the
contacts of ``contacts_statement`` (the export's, the figures'), in the same order, for every search, filter
and sort."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from crm.consent import services as consent
from crm.consent.models import OptInStatus
from crm.demo import load_demo_data
from crm.partners import queries, services
from crm.partners.models import Contact, Organisation
from crm.partners.normalize import search_key

FILTERS = [{}, {"department": "61"}, {"region": "Normandie"}, {"department": "-"}, {"club": "yes"}, {"club": "no"},
           {"sector": "plasturgie"}, {"axis": "foncier"}, {"ambassador": "active"}, {"newsletter": "confirmed"},
           {"kind": "entreprise", "region": "Normandie"}]
SORTS = ["name", "-name", "email", "created", "-created"]


def _populate(db) -> list[str]:
    """The demo set, with a few more ways to be found (another address, no organisation, a subscription);
    returns search terms that each reach contacts through a different path."""
    load_demo_data()
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))
    services.keep_other_email(contacts[0].id, "ancienne.adresse@example.net")
    contacts[1].organisation_id = None
    for contact in contacts[2:12]:
        consent.set_status(contact, OptInStatus.CONFIRMED)
    db.session.commit()
    compound = next(c for c in contacts if "-" in c.last_name_key)
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name_key.contains(" ")))
    assert organisation is not None
    terms = ["", "zzz", "ancienne", "ancienne.adresse@", contacts[3].email[:6], contacts[4].first_name_key[:3],
             contacts[5].last_name_key[:2], compound.last_name_key.split("-")[1][:4],
             organisation.name_key.split()[1][:4], organisation.name_key[:3], search_key(organisation.commune)[:4],
             f"{contacts[6].last_name_key[:3]} {contacts[6].first_name_key[:2]}"]
    return terms


def _ids(db, stmt: sa.Select) -> list[int]:
    return list(db.session.scalars(stmt))


def test_the_list_shows_exactly_the_contacts_of_the_filters_in_the_same_order(app, db) -> None:
    terms = _populate(db)
    dialect = db.engine.dialect.name
    found_any = 0
    for term, filters, sort in itertools.product(terms, FILTERS, SORTS):
        criteria = queries.PartnerFilters(q=term, sort=sort, **filters)
        criteria.understand()
        expected = _ids(db, queries.contacts_statement(criteria).with_only_columns(Contact.id))
        assert _ids(db, queries.contact_list_keys(criteria, dialect)) == expected, (term, filters, sort)
        found_any += bool(expected)
    # The comparison is not between empty lists: most combinations list someone.
    assert found_any > len(terms) * len(FILTERS) * len(SORTS) // 3


def test_each_term_reaches_contacts(app, db) -> None:
    """The terms above reach people by their other address, a later word of a compound name, an organisation's
    name, its commune...: each path of the search is compared, not only the last name."""
    terms = _populate(db)
    dialect = db.engine.dialect.name
    for term in terms[2:]:
        criteria = queries.PartnerFilters(q=term)
        assert _ids(db, queries.contact_list_keys(criteria, dialect)), term


def test_a_contact_found_several_ways_is_listed_and_counted_once_and_none_is_lost(app, db) -> None:
    """The search's ways in are read one after another, each leaving out what an earlier one found (they add up
    instead of being merged): a contact found by every way is listed and counted once, and a contact without
    organisation is still found by the ways read after the organisation's (another address, a later word of its
    name, its e-mail), where "is its organisation one of those found?" is unknown, not false."""
    organisation = services.save_organisation(services.OrganisationInput(
        name="Rivage Plastiques", kind="entreprise", postal_code="61000", commune="Alençon"))

    def person(first: str, last: str, email: str, organisation_id: int | None) -> int:
        return services.save_contact(services.ContactInput(email=email, first_name=first, last_name=last,
                                                           organisation_id=organisation_id)).id

    everywhere = person("Rivo", "Rivel", "rivo.rivel@example.org", organisation.id)
    services.keep_other_email(everywhere, "rivel.ancien@example.net")
    by_organisation = person("Luc", "Bernard", "luc.bernard@example.org", organisation.id)
    by_other_address = person("Paul", "Durand", "paul.durand@example.org", None)
    services.keep_other_email(by_other_address, "rivoli@example.net")
    by_later_word = person("Jeanne", "Le Rivet", "jeanne@example.org", None)
    by_email = person("Anne", "Martin", "riv.anne@example.org", None)
    person("Marc", "Petit", "marc.petit@example.org", None)
    db.session.commit()
    criteria = queries.PartnerFilters(q="riv")
    rows = list(db.session.execute(queries.contact_list_keys(criteria, db.engine.dialect.name)))
    expected = [by_organisation, by_other_address, by_later_word, by_email, everywhere]  # sorted by name
    assert [row.id for row in rows] == expected
    assert {row.matched for row in rows} == {5} and [row.position for row in rows] == [1, 2, 3, 4, 5]
    page = queries.list_contacts(criteria, 1, 50)
    assert [item.id for item in page.items] == expected and page.total == 5 and page.estimate is None
