"""Periods of assessment: a month ("2026-11"), a quarter ("2026-Q4"), a year ("2026") or a range of days.

Every period is a range of China Standard Time days, both ends included, as the
indicators take them. ``previous`` is the period just before (环比) and
``same_last_year`` the same period a year earlier (同比); a range of days steps
back by its own length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from geo.core.calendar import EARLIEST_DAY, LATEST_DAY
from geo.core.errors import InvalidInput

Kind = Literal["month", "quarter", "year", "days"]

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    kind: Kind

    @classmethod
    def parse(cls, text: str) -> Period:
        """The period ``text`` names: "2026-11", "2026-Q4" or "2026" (InvalidInput naming ``period`` else)."""
        text = str(text).strip()
        if found := _MONTH.fullmatch(text):
            return cls.month(int(found[1]), int(found[2]))
        if found := _QUARTER.fullmatch(text):
            year, quarter = int(found[1]), int(found[2])
            return cls._checked(date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter), "quarter")
        if _YEAR.fullmatch(text):
            return cls._checked(date(int(text), 1, 1), date(int(text), 12, 31), "year")
        raise InvalidInput(
            "period must be a month (2026-11), a quarter (2026-Q4) or a year (2026), got {value!r}",
            field="period",
            value=text[:20],
        )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls._checked(date(year, month, 1), _month_end(year, month), "month")

    @classmethod
    def days(cls, since: date, until: date) -> Period:
        """The days ``since`` to ``until``, both included."""
        if until < since:
            raise InvalidInput("until ({until}) is before since ({since})", field="until", since=since, until=until)
        return cls._checked(since, until, "days")

    @classmethod
    def _checked(cls, since: date, until: date, kind: Kind) -> Period:
        if since < EARLIEST_DAY or until > LATEST_DAY:
            raise InvalidInput(
                "a period must lie between {earliest} and {latest}",
                field="period",
                earliest=EARLIEST_DAY,
                latest=LATEST_DAY,
            )
        return cls(since, until, kind)

    @property
    def code(self) -> str:
        """The period as written: "2026-11", "2026-Q4", "2026", or "2026-11-03..2026-11-09"."""
        if self.kind == "month":
            return f"{self.since.year}-{self.since.month:02d}"
        if self.kind == "quarter":
            return f"{self.since.year}-Q{(self.since.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.since.year)
        return f"{self.since.isoformat()}..{self.until.isoformat()}"

    def previous(self) -> Period:
        """The period just before this one, of the same kind and length (环比)."""
        before = self.since - timedelta(days=1)
        if self.kind == "month":
            return Period.month(before.year, before.month)
        if self.kind == "quarter":
            return Period.parse(f"{before.year}-Q{(before.month - 1) // 3 + 1}")
        if self.kind == "year":
            return Period.parse(str(before.year))
        return Period.days(self.since - (self.until - self.since) - timedelta(days=1), before)

    def same_last_year(self) -> Period:
        """The same period one year earlier (同比); 29 February becomes the 28th."""
        if self.kind == "days":
            return Period.days(_year_before(self.since), _year_before(self.until))
        return Period.parse(Period(_year_before(self.since), _year_before(self.until), self.kind).code)

    def months(self) -> list[Period]:
        """The calendar months this period touches, in order (for monthly trends)."""
        found, year, month = [], self.since.year, self.since.month
        while date(year, month, 1) <= self.until:
            found.append(Period.month(year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)
