"""When two reports are one problem: the duplicate distance and time, said once for intake, the queues and the merge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, and_, func

DUPLICATE_RADIUS_M = 500
# Wider than 500 m in every direction at Deqin's latitude (1° of longitude ≈ 98 km there).
DUPLICATE_RADIUS_DEGREES = 0.006
DUPLICATE_WINDOW = timedelta(hours=48)


def reported_near(first, second) -> ColumnElement[bool]:
    """SQL condition: two incidents (tables or aliases with ``county_code``, ``reported_at`` and ``location``)
    of one county were reported within the duplicate distance and time of each other; the degree box lets the
    spatial index answer first. Never across a county border: each county's staff handle their own cases."""
    return and_(
        first.county_code == second.county_code,
        func.abs(func.extract("epoch", first.reported_at - second.reported_at)) <= DUPLICATE_WINDOW.total_seconds(),
        func.ST_DWithin(first.location, second.location, DUPLICATE_RADIUS_DEGREES),
        func.ST_DWithin(func.Geography(first.location), func.Geography(second.location), DUPLICATE_RADIUS_M),
    )
