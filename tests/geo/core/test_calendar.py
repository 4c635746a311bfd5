"""The county's calendar: local days of China Standard Time over UTC moments."""

from datetime import UTC, date, datetime, timedelta

import pytest

from geo.core.calendar import (
    COUNTY_TZ,
    EARLIEST_DAY,
    EARLIEST_MOMENT,
    LATEST_DAY,
    LATEST_MOMENT,
    county_day,
    day_start,
    days_between,
)


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 6, 1, 15, 59, 59, tzinfo=UTC), date(2026, 6, 1)),
        (datetime(2026, 6, 1, 16, 0, tzinfo=UTC), date(2026, 6, 2)),  # midnight in Deqin
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2026, 6, 2, 0, 30, tzinfo=COUNTY_TZ), date(2026, 6, 2)),
    ],
)
def test_the_local_day_runs_eight_hours_ahead_of_utc(moment, day):
    assert county_day(moment) == day


def test_a_local_day_starts_at_16_00_utc_the_day_before():
    start = day_start(date(2026, 6, 2))
    assert start == datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    assert county_day(start) == date(2026, 6, 2) and county_day(start - timedelta(microseconds=1)) == date(2026, 6, 1)


def test_there_is_no_daylight_saving():
    assert {day_start(date(2026, month, 1)).utcoffset() for month in range(1, 13)} == {timedelta(hours=8)}


def test_a_range_of_days_includes_both_ends_and_leaves_open_ends_open():
    since, until = days_between(date(2026, 6, 1), date(2026, 6, 3))
    assert since == datetime(2026, 5, 31, 16, 0, tzinfo=UTC)
    assert until == datetime(2026, 6, 3, 16, 0, tzinfo=UTC)  # the end of 3 June, exclusive
    assert days_between(None, date(2026, 6, 3)) == (None, until)
    assert days_between(date(2026, 6, 1), None) == (since, None)
    assert days_between(None, None) == (None, None)
    start, end = days_between(date(2026, 6, 1), date(2026, 6, 1))
    assert start is not None and end is not None and end - start == timedelta(days=1)


def test_the_service_window_keeps_clear_of_the_calendar_edges():
    assert EARLIEST_DAY < LATEST_DAY
    assert (day_start(EARLIEST_DAY), day_start(LATEST_DAY)) == (EARLIEST_MOMENT, LATEST_MOMENT)
    # A day and a time zone either side of the window are still representable.
    assert county_day(EARLIEST_MOMENT - timedelta(days=1)) == EARLIEST_DAY - timedelta(days=1)
    assert county_day(LATEST_MOMENT + timedelta(days=1)) == LATEST_DAY + timedelta(days=1)
