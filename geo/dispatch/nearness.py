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
    spatial index answer first. Never across a county border: each county's staff handle their own cases.

    The window is a range on ``second``'s time, so the index of open cases on (location, reported_at) probes
    only the window's cases near each ``first`` instead of every open case ever reported there: the cross-net
    queue's count at 10,000,000 incidents took minutes with the time as a difference of the two.
    """
    return and_(
        first.county_code == second.county_code,
        second.reported_at.between(first.reported_at - DUPLICATE_WINDOW, first.reported_at + DUPLICATE_WINDOW),
        func.ST_DWithin(first.location, second.location, DUPLICATE_RADIUS_DEGREES),
        func.ST_DWithin(func.Geography(first.location), func.Geography(second.location), DUPLICATE_RADIUS_M),
    )
