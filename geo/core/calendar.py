"""The county's calendar: a day in Deqin is a day of China Standard Time (UTC+8, no daylight saving).

Times are stored in UTC; a date someone types or reads (a filter's range, a leave
date, the day a boundary change takes effect) is a local day. Between midnight
and 08:00 the local date is a day ahead of UTC's, so every conversion goes
through here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

COUNTY_TZ = timezone(timedelta(hours=8), "CST")


def county_day(moment: datetime) -> date:
    """The local date of an aware ``moment``."""
    return moment.astimezone(COUNTY_TZ).date()


def day_start(day: date) -> datetime:
    """The aware moment the local ``day`` begins."""
    return datetime.combine(day, time.min, COUNTY_TZ)


def days_between(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) moments of the local days ``since`` to ``until``, both included; None stays open."""
    return (day_start(since) if since else None, day_start(until + timedelta(days=1)) if until else None)


# The dates this service deals with (boundary generations, seasons, incidents, patrols) lie well inside
# this window. Refusing anything outside keeps arithmetic off the calendar's edges (0001-01-01 and
# 9999-12-31 overflow once shifted by a day or a time zone) and keeps every stored time readable:
# PostgreSQL accepts years past 9999 that psycopg cannot read back, and one such row broke every page
# listing it.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 1, 1)
EARLIEST_MOMENT = day_start(EARLIEST_DAY)
LATEST_MOMENT = day_start(LATEST_DAY)
