"""Periods: months, quarters, years and day ranges, the one before and the same one a year earlier."""

from datetime import date

import pytest

from geo.core.errors import InvalidInput
from geo.evaluation.periods import Period


@pytest.mark.parametrize(
    ("text", "since", "until", "previous", "last_year"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-10", "2025-11"),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12", "2025-01"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-01", "2023-02"),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q3", "2025-Q4"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4", "2025-Q1"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025", "2025"),
    ],
)
def test_written_periods(text, since, until, previous, last_year):
    period = Period.parse(text)
    assert (period.since, period.until, period.code) == (since, until, text)
    assert (period.previous().code, period.same_last_year().code) == (previous, last_year)


def test_day_ranges_step_back_by_their_length():
    week = Period.days(date(2026, 11, 3), date(2026, 11, 9))
    assert (week.previous().since, week.previous().until) == (date(2026, 10, 27), date(2026, 11, 2))
    leap = Period.days(date(2024, 2, 29), date(2024, 2, 29)).same_last_year()
    assert leap.since == date(2023, 2, 28)
    assert [m.code for m in Period.days(date(2025, 12, 20), date(2026, 2, 1)).months()] == [
        "2025-12",
        "2026-01",
        "2026-02",
    ]


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26", "1999", "2026-11-01", "", "next month"])
def test_bad_periods_are_refused_naming_the_field(text):
    with pytest.raises(InvalidInput) as refused:
        Period.parse(text)
    assert refused.value.field == "period"
