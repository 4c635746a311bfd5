"""Season windows: when a zone is active, as month-day ranges with one-year overrides."""

from datetime import date

import pytest

from geo.core.errors import InvalidInput
from geo.patrol.models import SeasonalZone
from geo.patrol.seasons import active_range, is_active_on, parse_overrides, parse_windows, season_of

HARVEST = [{"start": "04-25", "end": "07-05"}]
WINTER = [{"start": "11-15", "end": "02-15"}]


def active(windows, day, overrides=None) -> bool:
    return active_range(parse_windows(windows), parse_overrides(overrides), day) is not None


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 4, 24), False), (date(2026, 4, 25), True), (date(2026, 7, 5), True), (date(2026, 7, 6), False)],
)
def test_a_window_includes_its_first_and_last_day(day, expected):
    assert active(HARVEST, day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 14), False),
        (date(2026, 11, 15), True),
        (date(2026, 12, 31), True),
        (date(2027, 1, 1), True),
        (date(2027, 2, 15), True),
        (date(2027, 2, 16), False),
        (date(2026, 6, 1), False),
    ],
)
def test_a_window_across_the_new_year(day, expected):
    assert active(WINTER, day) is expected


def test_an_override_moves_one_year_only():
    late = {"2026": {"start": "2026-05-10", "end": "2026-07-05"}}
    assert not active(HARVEST, date(2026, 5, 1), late)
    assert active(HARVEST, date(2026, 5, 10), late)
    assert active(HARVEST, date(2025, 5, 1), late)
    assert active(HARVEST, date(2027, 5, 1), late)
    closed = {"2026": None}
    assert not active(HARVEST, date(2026, 6, 1), closed) and active(HARVEST, date(2027, 6, 1), closed)


def test_an_override_of_a_season_across_the_new_year_belongs_to_the_year_it_starts():
    closed_2026 = {"2026": None}
    assert not active(WINTER, date(2027, 1, 10), closed_2026)  # the 2026-27 winter is closed
    assert active(WINTER, date(2026, 1, 10), closed_2026)  # the 2025-26 winter is not
    extended = {"2026": {"start": "2026-11-01", "end": "2027-03-01"}}
    assert active(WINTER, date(2027, 2, 28), extended) and not active(WINTER, date(2027, 3, 2), extended)


def test_29_february_ends_a_window_in_every_year():
    assert active([{"start": "02-01", "end": "02-29"}], date(2027, 2, 28))
    assert active([{"start": "02-01", "end": "02-29"}], date(2028, 2, 29))


@pytest.mark.parametrize(
    ("windows", "overrides", "field"),
    [
        ([{"start": "02-30", "end": "07-05"}], None, "windows.start"),
        ([{"start": "04-25", "end": "13-01"}], None, "windows.end"),
        ([{"start": "4-25", "end": "07-05"}], None, "windows.start"),
        ([], None, "windows"),
        (HARVEST, {"2026": {"start": "2026-07-05", "end": "2026-05-01"}}, "overrides"),
        (HARVEST, {"26": None}, "overrides"),
        (HARVEST, {"2026": {"start": "2025-05-01", "end": "2026-05-01"}}, "overrides"),
    ],
)
def test_impossible_windows_are_refused_by_name(windows, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        parse_windows(windows)
        parse_overrides(overrides)
    assert refused.value.field == field


def zone(windows, overrides=None) -> SeasonalZone:
    return SeasonalZone(windows=parse_windows(windows), overrides=parse_overrides(overrides))


def test_the_range_found_is_the_whole_window_that_holds_the_day():
    assert active_range(HARVEST, {}, date(2026, 6, 1)) == (date(2026, 4, 25), date(2026, 7, 5))
    assert active_range(WINTER, {}, date(2027, 1, 10)) == (date(2026, 11, 15), date(2027, 2, 15))
    assert active_range(WINTER, {}, date(2026, 12, 1)) == (date(2026, 11, 15), date(2027, 2, 15))
    assert active_range(HARVEST, {}, date(2026, 8, 1)) is None


def test_an_override_replaces_the_window_of_its_year():
    late = {"2026": {"start": "2026-05-10", "end": "2026-07-20"}}
    assert active_range(HARVEST, parse_overrides(late), date(2026, 7, 15)) == (date(2026, 5, 10), date(2026, 7, 20))
    assert is_active_on(zone(HARVEST, late), date(2026, 7, 15)) and not is_active_on(zone(HARVEST), date(2026, 7, 15))


def test_the_season_to_analyse_is_the_active_window_else_this_years_first():
    assert season_of(zone(HARVEST), date(2026, 6, 1)) == (date(2026, 4, 25), date(2026, 7, 5))
    assert season_of(zone(HARVEST), date(2026, 2, 1)) == (date(2026, 4, 25), date(2026, 7, 5))
    assert season_of(zone(HARVEST), date(2026, 9, 1)) == (date(2026, 4, 25), date(2026, 7, 5))
    assert season_of(zone(WINTER), date(2026, 6, 1)) == (date(2026, 11, 15), date(2027, 2, 15))
    closed = zone(HARVEST, {"2026": None})
    assert season_of(closed, date(2026, 6, 1)) == (date(2026, 4, 25), date(2026, 7, 5))
    assert not is_active_on(closed, date(2026, 6, 1))


@pytest.mark.parametrize("raw", [None, "04-25", {"start": "04-25"}, [["04-25", "07-05"]]])
def test_windows_that_are_not_a_list_of_objects_are_refused(raw):
    with pytest.raises(InvalidInput) as refused:
        parse_windows(raw)
    assert refused.value.field == "windows"


def test_an_override_longer_than_a_year_is_refused_and_null_closes_the_year():
    with pytest.raises(InvalidInput, match="longer than a year"):
        parse_overrides({"2026": {"start": "2026-01-01", "end": "2027-01-03"}})
    assert parse_overrides({"2026": None}) == {"2026": None}
    assert parse_overrides(None) == {}
    with pytest.raises(InvalidInput):
        parse_overrides(["2026"])
