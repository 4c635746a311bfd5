"""A case's ticket: its county's prefix or code, the year, the number; the same rule in Python and in SQL."""

import pytest
from sqlalchemy import literal, select, update
from sqlalchemy.exc import IntegrityError

from geo.core.errors import InvalidInput
from geo.grid.models import Grid
from geo.grid.tickets import TICKET, TICKET_LENGTH, check_ticket_prefix, ticket, ticket_prefix, ticket_sql


def test_a_ticket_is_the_prefix_the_year_and_six_digits_at_least():
    assert ticket("DQ", 2026, 123) == "DQ-2026-000123"
    assert ticket("533423", 2026, 1_234_567) == "533423-2026-1234567"
    assert len(ticket("ABCDEFGH", 2026, 2**31 - 1)) == TICKET_LENGTH  # the largest id of the integer column


@pytest.mark.parametrize("prefix", ["DQ", "WX", "ABCDEFGH"])
def test_a_prefix_is_two_to_eight_capital_letters(prefix):
    assert check_ticket_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["D", "dq", "Dq", "ABCDEFGHI", "D1", "D-Q", " DQ", "维西", "", None, 12])
def test_anything_else_is_refused_naming_the_rule(prefix):
    with pytest.raises(InvalidInput, match="2 to 8 capital Latin letters"):
        check_ticket_prefix(prefix)


@pytest.mark.parametrize("typed", ["DQ-2026-000123", "533423-2026-000123", "ABCDEFGH-2026-1234567", "WX-2026-1"])
def test_a_ticket_of_any_county_reads_as_one(typed):
    assert TICKET.fullmatch(typed)


@pytest.mark.parametrize("typed", ["533423", "533423101001001", "5334-2026-000123", "D-2026-000123", "DQ2026000123"])
def test_a_grid_code_or_a_malformed_ticket_does_not(typed):
    assert not TICKET.fullmatch(typed)


@pytest.mark.parametrize(("county", "prefix"), [("533422", "DQ"), ("533499", "533499")])
def test_sql_writes_what_python_writes_with_the_county_prefix_or_its_code(session, county, prefix):
    assert ticket_prefix(session, county) == prefix
    for number in (7, 1_234_567):
        written = session.scalar(select(ticket_sql(literal(county), literal(2026), literal(number))))
        assert written == ticket(prefix, 2026, number)


@pytest.mark.parametrize(("code", "prefix"), [("533422", "dq"), ("533422", "D1"), ("533422102", "BZL")])
def test_the_database_refuses_a_bad_prefix_or_one_below_the_county(session, code, prefix):
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(Grid).where(Grid.code == code).values(ticket_prefix=prefix))
