"""The counties an installation serves: whatever county-level grids the data holds, never a constant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.grid.models import PREFECTURE_LEVEL, Grid, GridLevel, is_under


def county_codes(session: Session) -> list[str]:
    """The codes of the counties in the data (the grids at the county level), in order."""
    return list(session.scalars(select(Grid.code).where(Grid.level == GridLevel.COUNTY.value).order_by(Grid.code)))


def counties_covered(session: Session, jurisdiction_code: str) -> list[Grid]:
    """The county grids ``jurisdiction_code`` covers, in code order: a county itself, every county of a
    prefecture, none for a township or below."""
    counties = session.scalars(select(Grid).where(Grid.level == GridLevel.COUNTY.value).order_by(Grid.code))
    return [county for county in counties if is_under(county.code, jurisdiction_code)]


def served_area(session: Session) -> Grid | None:
    """What the installation serves, as its titles name it: its one county, or the prefecture holding all of its
    counties; None when the data holds neither."""
    counties = county_codes(session)
    if len(counties) == 1:
        return session.scalars(select(Grid).where(Grid.code == counties[0])).one()
    prefectures = session.scalars(select(Grid).where(Grid.level == PREFECTURE_LEVEL).order_by(Grid.code))
    return next((p for p in prefectures if counties and all(is_under(c, p.code) for c in counties)), None)
