"""The counties an installation serves: whatever county-level grids the data holds, never a constant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.grid.models import Grid, GridLevel


def county_codes(session: Session) -> list[str]:
    """The codes of the counties in the data (the grids at the county level), in order."""
    return list(session.scalars(select(Grid.code).where(Grid.level == GridLevel.COUNTY.value).order_by(Grid.code)))
