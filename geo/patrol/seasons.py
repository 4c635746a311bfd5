"""Season windows: when a zone is active, as month-day ranges with per-year overrides."""

from __future__ import annotations

import re
from datetime import date, timedelta

from geo.core.errors import InvalidInput
from geo.patrol.models import (
    SeasonalZone,
)

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _month_day(text: object, field: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text) if isinstance(text, str) else None
    if not match:
        raise InvalidInput("{field} must be a month-day like 04-25, got {value!r}", field=field, value=str(text)[:20])
    month, day = int(match[1]), int(match[2])
    try:
        date(2024, month, day)  # a leap year, so 02-29 is a real day
    except ValueError:
        raise InvalidInput("{field} {value} is not a day of the year", field=field, value=text) from None
    return month, day


def _on(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    if (month, day) == (2, 29):
        # 02-29 in a year without it means the last day of February.
        return date(year, 3, 1) - timedelta(days=1)
    return date(year, month, day)


def parse_windows(raw: object) -> list[dict]:
    """Check recurring windows ([{"start": "MM-DD", "end": "MM-DD"}, ...]) and return them."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput('give at least one window, e.g. [{"start": "04-25", "end": "07-05"}]', field="windows")
    windows = []
    for index, window in enumerate(raw):
        if not isinstance(window, dict):
            raise InvalidInput(
                "window {number} must be an object with start and end", field="windows", number=index + 1
            )
        _month_day(window.get("start"), "windows.start")
        _month_day(window.get("end"), "windows.end")
        windows.append({"start": window["start"], "end": window["end"]})
    return windows


def parse_overrides(raw: object) -> dict:
    """Check one-year overrides ({"2026": {"start": "2026-05-10", "end": "2026-07-05"} or null})."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("overrides must map a year to a window or null", field="overrides")
    overrides: dict = {}
    for year, window in raw.items():
        if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
            raise InvalidInput("override year {year!r} must be four digits", field="overrides", year=str(year)[:10])
        if window is None:
            overrides[year] = None
            continue
        try:
            start = date.fromisoformat(window["start"])
            end = date.fromisoformat(window["end"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                "override {year} needs start and end dates like {year}-05-10", field="overrides", year=year
            ) from None
        if start.year != int(year):
            raise InvalidInput(
                "override {year} must start in {year}, not on {start}", field="overrides", year=year, start=start
            )
        if end < start:
            raise InvalidInput(
                "override {year} ends ({end}) before it starts ({start})",
                field="overrides",
                year=year,
                end=end,
                start=start,
            )
        if (end - start).days > 366:
            raise InvalidInput("override {year} is longer than a year", field="overrides", year=year)
        overrides[year] = {"start": start.isoformat(), "end": end.isoformat()}
    return overrides


def active_range(windows: list[dict], overrides: dict, day: date) -> tuple[date, date] | None:
    """The window (first and last day) that makes the zone active on ``day``, or None."""
    for window in overrides.values():
        if window is not None:
            start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
            if start <= day <= end:
                return start, end
    for window in windows:
        start_md = _month_day(window["start"], "start")
        end_md = _month_day(window["end"], "end")
        crosses = end_md < start_md
        # Instances starting this year and, for windows across the new year, last year.
        for year in (day.year - 1, day.year) if crosses else (day.year,):
            if str(year) in overrides:
                continue  # this year's season follows the override instead
            start = _on(year, start_md)
            end = _on(year + 1 if crosses else year, end_md)
            if start <= day <= end:
                return start, end
    return None


def is_active_on(zone: SeasonalZone, day: date) -> bool:
    return active_range(zone.windows, zone.overrides or {}, day) is not None


def season_of(zone: SeasonalZone, day: date) -> tuple[date, date]:
    """The season to analyse for ``day``: the active window, else this year's first window."""
    found = active_range(zone.windows, zone.overrides or {}, day)
    if found:
        return found
    first = zone.windows[0]
    start_md, end_md = _month_day(first["start"], "start"), _month_day(first["end"], "end")
    return _on(day.year, start_md), _on(day.year + (1 if end_md < start_md else 0), end_md)
