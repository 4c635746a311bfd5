"""A case's ticket, ``DQ-2026-000123``: its county's prefix, the year, the case's number.

The prefix is the county's own, kept on its county-level grid (``Grid.ticket_prefix``: 德钦 533422 has DQ); a
county without one uses its six-digit code (``533423-2026-000123``), which is unique and leaves nobody to guess
a pinyin abbreviation. The number is the incident's id, six digits at least. A ticket, once given, is how people
name the case: a changed prefix changes the tickets made after it, never one already given.

Intake writes the ticket inside its one statement (``ticket_sql``), the demo in Python (``ticket``): the two are
the one rule, spelt side by side here.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Text, cast, func, literal, literal_column, select
from sqlalchemy.orm import Session

from geo.core.errors import InvalidInput
from geo.grid.models import TICKET_PREFIX_LETTERS, Grid

#: The number's digits at least (zero-padded); more once the millionth case is reported.
NUMBER_DIGITS = 6
#: The longest ticket: an eight-letter prefix, the year and the largest id (an integer column: ten digits).
TICKET_LENGTH = 8 + 1 + 4 + 1 + 10
#: A ticket of any county as people type it: its prefix or its code, the year, the number.
TICKET = re.compile(rf"(?:{TICKET_PREFIX_LETTERS}|\d{{6}})-\d{{4}}-\d{{1,10}}")

_PREFIX = re.compile(TICKET_PREFIX_LETTERS)
# Written into the statement rather than sent as parameters: intake's statement keeps its parameters few
# (geo.dispatch.intake._inline says why).
_DASH: ColumnElement[str] = literal_column("'-'")
_ZERO: ColumnElement[str] = literal_column("'0'")


def check_ticket_prefix(prefix: object) -> str:
    """``prefix`` when it can begin a county's tickets (2 to 8 capital Latin letters); else InvalidInput."""
    if not (isinstance(prefix, str) and _PREFIX.fullmatch(prefix)):
        raise InvalidInput(
            "a ticket prefix is 2 to 8 capital Latin letters, such as DQ; got {prefix!r}",
            field="ticket_prefix",
            prefix=str(prefix)[:20],
        )
    return prefix


def ticket(prefix: str, year: int, number: int) -> str:
    """The ticket of case ``number``, reported in ``year`` in a county whose tickets begin with ``prefix``."""
    return f"{prefix}-{year}-{number:0{NUMBER_DIGITS}d}"


def prefix_sql(county_code: ColumnElement[str]) -> ColumnElement[str]:
    """SQL: what the tickets of county ``county_code`` begin with, its own prefix or else its code."""
    own = select(Grid.ticket_prefix).where(Grid.code == county_code).scalar_subquery()
    return func.coalesce(own, county_code)


def ticket_sql(
    county_code: ColumnElement[str], year: ColumnElement[int], number: ColumnElement[int]
) -> ColumnElement[str]:
    """SQL: ``ticket`` of case ``number`` reported in ``year`` in county ``county_code``, the county's prefix read in
    the same statement (a probe of the grid's unique code)."""
    digits = cast(number, Text)
    padded = func.lpad(digits, func.greatest(literal_column(str(NUMBER_DIGITS)), func.length(digits)), _ZERO)
    return func.concat_ws(_DASH, prefix_sql(county_code), year, padded)


def ticket_prefix(session: Session, county_code: str) -> str:
    """What the tickets of county ``county_code`` begin with (``prefix_sql``, read once)."""
    return session.scalars(select(prefix_sql(literal(county_code)))).one()
