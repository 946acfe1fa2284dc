"""A searched contact list counts exactly where that is cheap (few matches, or a sample that reached the last of
them) and, beyond, estimates the count from the rows it read, marked as an estimate; its filters are checked row
by row on the sorted matches, so the work stops with the page whatever the size of the base."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from crm.partners import queries
from tests import factories

ESTIMATED = "sur environ {} <small>(estimation)</small>"


@pytest.fixture
def twenty_duponts(app, db) -> None:
    """Twenty contacts named Dupont (first names A01…A20); the odd ones are active ambassadors."""
    app.config["PAGE_SIZE"] = 2
    for number in range(1, 21):
        factories.contact(f"dupont{number:02d}@example.org", f"A{number:02d}", "Dupont",
                          ambassador_status="active" if number % 2 else "none")
    db.session.commit()


def _limits(monkeypatch, count_limit: int, sample: int) -> None:
    monkeypatch.setattr(queries, "LIST_COUNT_LIMIT", count_limit)
    monkeypatch.setattr(queries, "COUNT_SAMPLE", sample)


def _page(client, query: str = "q=dupont&ambassador=active&sort=name") -> str:
    return client.get(f"/admin/contacts/?{query}").get_data(as_text=True)


def test_beyond_the_limit_the_count_is_estimated_from_the_rows_read_and_marked(client, login, twenty_duponts,
                                                                              monkeypatch) -> None:
    login("viewer")
    _limits(monkeypatch, 5, 2)
    page = _page(client)
    # 3 rows passing read at positions 1, 3 and 5 of the 20 matches: 20 x 3 / 5 = 12.
    assert "1–2 " + ESTIMATED.format(12) in page
    assert page.index("Dupont A01") < page.index("Dupont A03")
    assert "Dupont A05" not in page and "Dupont A02" not in page
    assert "Page 1 /" not in page  # no number of pages claimed
    second = _page(client, "q=dupont&ambassador=active&sort=name&page=2")
    assert "Dupont A05" in second and "Dupont A07" in second and "(estimation)" in second


def test_at_or_below_the_limit_every_match_is_checked_and_the_count_is_exact(client, login, twenty_duponts,
                                                                             monkeypatch) -> None:
    login("viewer")
    _limits(monkeypatch, 20, 2)
    page = _page(client)
    assert "1–2 sur 10" in page and "environ" not in page
    assert "Page 1 / 5" in page


def test_a_sample_that_reached_the_last_match_gives_the_exact_count(client, login, twenty_duponts,
                                                                    monkeypatch) -> None:
    login("viewer")
    _limits(monkeypatch, 5, 10)  # 10 pass: fewer than the 11 asked, all matches read
    page = _page(client)
    assert "1–2 sur 10" in page and "environ" not in page
    monkeypatch.setattr(queries, "COUNT_SAMPLE", 9)  # 10 asked and found: the end is not known, estimated
    page = _page(client)
    assert "1–2 " + ESTIMATED.format(11) in page  # the 10th read at position 19: 20 x 10 / 19 = 10.5…


def test_a_search_without_filters_counts_its_matches_exactly_however_many(client, login, twenty_duponts,
                                                                          monkeypatch) -> None:
    login("viewer")
    _limits(monkeypatch, 5, 2)
    page = _page(client, "q=dupont&sort=name")
    assert "1–2 sur 20" in page and "environ" not in page
    assert "Page 1 / 10" in page
    # A second word narrows the matches of the first (A10…A19 among the 20): estimated again, from the 3 read
    # at positions 10 to 12: 20 x 3 / 12 = 5.
    assert "1–2 " + ESTIMATED.format(5) in _page(client, "q=dupont%20a1&sort=name")


def test_matches_that_came_back_out_of_order_are_read_again_in_order(app, twenty_duponts) -> None:
    """SQLite keeps the order of the sorted matches without being told (a second ORDER BY would sort them again
    after checking every one): should it ever not, the positions show it and the rows are read again in order."""
    keys = queries.contact_list_keys(queries.PartnerFilters(q="dupont", ambassador="active"), "sqlite")
    disordered = keys.order_by(sa.desc(sa.literal_column("position")))
    assert [row.position for row in queries._ranked(disordered, 4)] == [1, 3, 5, 7]


def test_an_estimate_is_rounded_to_two_significant_figures() -> None:
    assert [queries._rounded(value) for value in (7, 12, 99, 150, 1347, 1351, 98_765)] == [
        7, 12, 99, 150, 1300, 1400, 99_000]


def test_a_searched_list_checks_each_filter_row_by_row() -> None:
    """Every EXISTS of the filters carries an OFFSET: PostgreSQL then probes it for each sorted match it reads,
    instead of hashing every contact of the sector, axis, department... first (its choice when it expects many
    matches, which would make the page's cost grow with the base)."""
    filters = queries.PartnerFilters(q="dupont", sector="plasturgie", axis="foncier", department="61", club="no")
    sql = str(queries.contact_list_keys(filters, "postgresql").compile(
        dialect=postgresql.dialect(), compile_kwargs={"render_postcompile": True}))
    subqueries = [_parenthesised(sql, match.end() - 1) for match in re.finditer(r"EXISTS \(", sql)]
    assert len(subqueries) == 5  # the organisation's place, the sector (own or organisation's), the axis, the Club
    assert all(re.search(r"OFFSET 0\s*$", subquery[1:-1]) for subquery in subqueries), subqueries


def _parenthesised(text: str, opening: int) -> str:
    depth = 0
    for position in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[position], 0)
        if depth == 0:
            return text[opening:position + 1]
    raise AssertionError("unbalanced parentheses")
