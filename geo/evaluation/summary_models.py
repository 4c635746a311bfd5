"""Each past month's cases summed up once, so a period of years is read from thousands of rows, not millions.

``indicator_month`` holds, for one China Standard Time month, the additive counts of
``geo.evaluation.indicators`` whose stage time fell in that month and the hours of its timed
stages, per villager group, assignee, reporting account, net and category: what the indicators
of any grid and worker add up. Medians and percentiles do not add up, so the hours are kept whole
(each a big-endian float8, packed) and sorted when a period is read.

``indicator_month_built`` names the months summed up and the definitions they were summed up
with (their fingerprint): a month built with other definitions is not read. A trigger on
``incident`` (migration b86e0e7b0017) writes ``indicator_month_stale`` whenever a case whose
stage times touch a past month is written, so that month is read from the cases again until it
is summed up anew. Derived data: rebuilt from the cases at any time, never audited.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.core.models import Base
from geo.grid.models import county_code_from


class IndicatorMonth(Base):
    """One month's counts and stage hours of the cases of one group, assignee, reporting account, net and category."""

    __tablename__ = "indicator_month"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    group_code: Mapped[str] = mapped_column(String(15, collation="C"))
    county_code: Mapped[str] = county_code_from("group_code")
    # No foreign keys: a summary outlives nothing it names; a removed worker's months are rebuilt with the cases.
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(50))
    net: Mapped[str] = mapped_column(String(10))
    category_id: Mapped[int] = mapped_column(Integer)
    #: count name -> cases, and "<stage>_sum" -> hours summed (``indicators.SUMMED_COUNTS``).
    counts: Mapped[dict] = mapped_column(JSONB)
    #: One packed run of big-endian float8 hours per timed stage, in ``indicators.TIMED_STAGES`` order.
    hours: Mapped[list[bytes]] = mapped_column(ARRAY(LargeBinary))

    __table_args__ = (Index("ix_indicator_month_month", "month", "group_code"),)


class IndicatorMonthBuilt(Base):
    """A month summed up: with which definitions, when, and into how many rows."""

    __tablename__ = "indicator_month_built"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rows: Mapped[int] = mapped_column(Integer)


class IndicatorMonthStale(Base):
    """A summed-up month one of whose cases changed since (written by the trigger on ``incident``)."""

    __tablename__ = "indicator_month_stale"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
