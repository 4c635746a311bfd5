"""The indicators of 考核监督: one registry with published formulas, computed in SQL for any grid, worker and period.

Each indicator is a numerator over a denominator of cases, both read from the
cases' stage times, statuses and 综合评价 records (docs/indicators.md gives every
definition). A period is a range of China Standard Time days, both included.

The period's cases are read once, counted per villager group, assignee and
reporting worker; every grid of every level then adds up the rows of its groups
(codes nest by prefix, so a group code's first 6, 9 and 12 characters name its
county, township and village) and every worker those of their cases. Medians and
90th percentiles, which do not add up, come from one sort's nested grouping sets
over the prefixes of the levels asked for. The caller's jurisdiction and nets are conditions of each
statement, so a religious-net case counts only for callers holding that net. A
figure whose denominator is empty has no value (None, shown as "—"), never 0 %.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    LargeBinary,
    and_,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import INTERVAL, array
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from geo.accounts.models import User
from geo.accounts.principal import Principal
from geo.core.calendar import COUNTY_TZ, EARLIEST_DAY, LATEST_DAY, county_day, days_between
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.core.labels import Label, label
from geo.dispatch.models import OPEN_INCIDENT, Incident, IncidentCategory
from geo.dispatch.scope import visible, visible_by_place_and_net
from geo.dispatch.statuses import RUNNING, Channel, Status
from geo.evaluation.record_models import CONTENT, IncidentEvaluation
from geo.evaluation.summary_models import IndicatorMonth, IndicatorMonthBuilt, IndicatorMonthStale
from geo.grid.boundaries import generation_in_force, valid_in
from geo.grid.models import (
    PREFECTURE_LEVEL,
    Grid,
    GridBoundary,
    GridLevel,
    GridWorker,
    code_prefix,
    codes_under,
    is_under,
)

Unit = Literal["percent", "count", "hours"]
Part = Literal["numerator", "denominator"]
PARTS: tuple[Part, ...] = ("numerator", "denominator")


@dataclass(frozen=True)
class Indicator:
    """An indicator as published: its name and formula (msgids of the page catalogue), unit and direction.

    ``numerator`` and ``denominator`` name the counts the value is made of; a count
    indicator has no denominator (None). ``headline`` marks the few a summary shows first.
    """

    id: str
    name: Label
    numerator: Label
    denominator: Label | None
    unit: Unit
    higher_is_better: bool
    headline: bool = False


@dataclass(frozen=True)
class Figure:
    """One indicator of one grid or worker: ``value`` is None when ``denominator`` is 0 (shown as "—").

    Percent values run from 0 to 100; an hours figure's numerator is the hours summed
    (mean) or the statistic itself (median, 90th percentile), its denominator the cases timed.
    """

    numerator: float
    denominator: float | None
    value: float | None


# In display order. The msgids are the formulas' words; docs/indicators.md defines each count exactly.
INDICATORS: dict[str, Indicator] = {
    indicator.id: indicator
    for indicator in (
        Indicator("reports", label("indicator", "上报数"), label("indicator", "上报数"), None, "count", True, True),
        Indicator(
            "reports_patrol",
            label("indicator", "上报数（网格员巡查）"),
            label("indicator", "网格员巡查上报数"),
            None,
            "count",
            True,
        ),
        Indicator(
            "reports_phone",
            label("indicator", "上报数（群众来电）"),
            label("indicator", "群众来电上报数"),
            None,
            "count",
            True,
        ),
        Indicator(
            "reports_visit", label("indicator", "上报数（来访）"), label("indicator", "来访上报数"), None, "count", True
        ),
        Indicator(
            "reports_online",
            label("indicator", "上报数（网上报送）"),
            label("indicator", "网上报送上报数"),
            None,
            "count",
            True,
        ),
        Indicator(
            "reports_other",
            label("indicator", "上报数（其他）"),
            label("indicator", "其他渠道上报数"),
            None,
            "count",
            True,
        ),
        Indicator("registered", label("indicator", "立案数"), label("indicator", "立案数"), None, "count", True),
        Indicator("due", label("indicator", "应结案数"), label("indicator", "应结案数"), None, "count", True),
        Indicator("closed", label("indicator", "结案数"), label("indicator", "结案数"), None, "count", True),
        Indicator(
            "closure_rate",
            label("indicator", "结案率"),
            label("indicator", "结案数"),
            label("indicator", "应结案数"),
            "percent",
            True,
            True,
        ),
        Indicator(
            "on_time_closure_rate",
            label("indicator", "按期结案率"),
            label("indicator", "按期结案数"),
            label("indicator", "应结案数"),
            "percent",
            True,
            True,
        ),
        Indicator(
            "on_time_handling_rate",
            label("indicator", "按期处置率"),
            label("indicator", "按期处置数"),
            label("indicator", "应处置数"),
            "percent",
            True,
            True,
        ),
        Indicator(
            "rework_rate",
            label("indicator", "返工率"),
            label("indicator", "返工数"),
            label("indicator", "应结案数"),
            "percent",
            False,
            True,
        ),
        Indicator(
            "overdue_open",
            label("indicator", "超期未处置数（红灯）"),
            label("indicator", "超期未处置数"),
            None,
            "count",
            False,
            True,
        ),
        Indicator("escalated", label("indicator", "升级数"), label("indicator", "升级数"), None, "count", False),
        Indicator(
            "response_hours",
            label("indicator", "平均响应时长"),
            label("indicator", "上报至立案小时数之和"),
            label("indicator", "立案数"),
            "hours",
            False,
        ),
        Indicator(
            "response_hours_median",
            label("indicator", "响应时长中位数"),
            label("indicator", "上报至立案小时数的中位数"),
            None,
            "hours",
            False,
        ),
        Indicator(
            "response_hours_p90",
            label("indicator", "响应时长90%分位数"),
            label("indicator", "上报至立案小时数的90%分位数"),
            None,
            "hours",
            False,
        ),
        Indicator(
            "dispatch_hours",
            label("indicator", "平均派遣时长"),
            label("indicator", "立案至派遣小时数之和"),
            label("indicator", "派遣数"),
            "hours",
            False,
        ),
        Indicator(
            "dispatch_hours_median",
            label("indicator", "派遣时长中位数"),
            label("indicator", "立案至派遣小时数的中位数"),
            None,
            "hours",
            False,
        ),
        Indicator(
            "dispatch_hours_p90",
            label("indicator", "派遣时长90%分位数"),
            label("indicator", "立案至派遣小时数的90%分位数"),
            None,
            "hours",
            False,
        ),
        Indicator(
            "handling_hours",
            label("indicator", "平均处置时长"),
            label("indicator", "派遣至处理反馈小时数之和"),
            label("indicator", "处理反馈数"),
            "hours",
            False,
            True,
        ),
        Indicator(
            "handling_hours_median",
            label("indicator", "处置时长中位数"),
            label("indicator", "派遣至处理反馈小时数的中位数"),
            None,
            "hours",
            False,
        ),
        Indicator(
            "handling_hours_p90",
            label("indicator", "处置时长90%分位数"),
            label("indicator", "派遣至处理反馈小时数的90%分位数"),
            None,
            "hours",
            False,
        ),
        Indicator(
            "satisfaction_rate",
            label("indicator", "满意率"),
            label("indicator", "满意数＋基本满意数"),
            label("indicator", "已回访数"),
            "percent",
            True,
            True,
        ),
        Indicator(
            "valid_report_rate",
            label("indicator", "有效上报率"),
            label("indicator", "网格员有效上报数"),
            label("indicator", "网格员上报数"),
            "percent",
            True,
            True,
        ),
        Indicator(
            "proactive_rate",
            label("indicator", "主动发现率"),
            label("indicator", "网格员巡查发现数"),
            label("indicator", "全部上报数"),
            "percent",
            True,
        ),
    )
}


@dataclass(frozen=True)
class _Window:
    """A period's [start, end) moments and the moment "overdue" is judged at."""

    start: datetime
    end: datetime
    now: datetime

    def holds(self, column) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


def _hours(later, earlier):
    # date_part gives a double; EXTRACT gives a numeric (PostgreSQL 14 on), whose arithmetic and sorting
    # took 40 % of the medians' time over two years of a million cases.
    return func.date_part("epoch", later - earlier, type_=Float) / 3600.0


#: The reporting worker of a grid worker's patrol report: the worker behind the account that sent it,
#: else (a report the desk typed in for them, or the demo's) the worker it was routed to.
_Reporter = aliased(User, name="reporter")
REPORTER = func.coalesce(_Reporter.worker_id, Incident.assignee_id).label("reporter")


def _definitions(now: datetime) -> dict[str, tuple[InstrumentedAttribute, ColumnElement[bool] | None]]:
    """Each count of docs/indicators.md: the one place the definitions live.

    A count is its stage time (the moment whose day puts a case in a period) and what else
    the case must be (None: nothing). A period's conditions (``_conditions``) and the
    monthly pass (``compute_months``) are both read from here, so they cannot disagree.
    """
    closed = Incident.status == Status.CLOSED.value
    patrol = Incident.channel == Channel.PATROL.value
    running = [status.value for status in RUNNING]
    return {
        "reported": (Incident.reported_at, None),
        **{
            f"reported_{channel.value}": (Incident.reported_at, Incident.channel == channel.value)
            for channel in Channel
        },
        "registered": (Incident.registered_at, None),
        "due": (Incident.due_at, None),
        "closed": (Incident.due_at, closed),
        "closed_on_time": (Incident.due_at, and_(closed, Incident.closed_at <= Incident.due_at)),
        "handled_on_time": (
            Incident.due_at,
            and_(Incident.resolved_at.is_not(None), Incident.resolved_at <= Incident.due_at),
        ),
        "reworked": (Incident.due_at, Incident.reopen_count > 0),
        "overdue_open": (Incident.due_at, and_(Incident.status.in_(running), Incident.due_at < now)),
        "escalated": (Incident.reported_at, Incident.escalation_level > 0),
        "responded": (Incident.registered_at, None),
        "dispatched": (Incident.dispatched_at, Incident.registered_at.is_not(None)),
        "handled": (Incident.resolved_at, Incident.dispatched_at.is_not(None)),
        "patrol_reported": (Incident.reported_at, patrol),
        "patrol_valid": (
            Incident.reported_at,
            and_(
                patrol,
                Incident.registered_at.is_not(None),
                Incident.status.not_in([Status.REJECTED.value, Status.DUPLICATE.value]),
            ),
        ),
    }


def _conditions(window: _Window) -> dict[str, ColumnElement[bool]]:
    """Each count as a condition on one case in ``window``: its stage time lies in the period, and the rest."""
    return {
        name: window.holds(stage) if extra is None else and_(window.holds(stage), extra)
        for name, (stage, extra) in _definitions(window.now).items()
    }


#: Which stage's hours each timed condition measures.
_TIMED = {
    "responded": (Incident.registered_at, Incident.reported_at),
    "dispatched": (Incident.dispatched_at, Incident.registered_at),
    "handled": (Incident.resolved_at, Incident.dispatched_at),
}
_TIMED_INDICATOR = {"response_hours": "responded", "dispatch_hours": "dispatched", "handling_hours": "handled"}

#: indicator -> (numerator condition, denominator condition or None), for the indicators counted from cases.
_PARTS: dict[str, tuple[str, str | None]] = {
    "reports": ("reported", None),
    **{f"reports_{channel.value}": (f"reported_{channel.value}", None) for channel in Channel},
    "registered": ("registered", None),
    "due": ("due", None),
    "closed": ("closed", None),
    "closure_rate": ("closed", "due"),
    "on_time_closure_rate": ("closed_on_time", "due"),
    "on_time_handling_rate": ("handled_on_time", "due"),
    "rework_rate": ("reworked", "due"),
    "overdue_open": ("overdue_open", None),
    "escalated": ("escalated", None),
    "valid_report_rate": ("patrol_valid", "patrol_reported"),
    "proactive_rate": ("patrol_reported", "reported"),
    **{
        f"{timed}{suffix}": (condition, condition)
        for timed, condition in _TIMED_INDICATOR.items()
        for suffix in ("", "_median", "_p90")
    },
}
#: Cases counted by their reporting worker rather than their assignee, in a worker's figures.
_BY_REPORTER = ("patrol_reported", "patrol_valid")
#: The names of ``_conditions``' counts (the same for every window).
_CONDITION_NAMES = tuple(_conditions(_Window(datetime.min, datetime.min, datetime.min)))


def _window(since: date, until: date, now: datetime | None) -> _Window:
    for field, day in (("since", since), ("until", until)):
        if not isinstance(day, date) or not EARLIEST_DAY <= day <= LATEST_DAY:
            raise InvalidInput(
                "{field} must be a day between {earliest} and {latest}",
                field=field,
                earliest=EARLIEST_DAY,
                latest=LATEST_DAY,
            )
    if until < since:
        raise InvalidInput("until ({until}) is before since ({since})", field="until", since=since, until=until)
    start, end = days_between(since, until)
    assert start is not None and end is not None
    return _Window(start, end, now or now_utc())


def _case_filter(
    session: Session, principal: Principal, net: str | None, category: str | None
) -> list[ColumnElement[bool]]:
    """The caller's jurisdiction and nets, and the net and category asked for, as conditions on cases."""
    where = [visible(principal)]
    if net is not None:
        principal.require_net(net)
        where.append(Incident.net == net)
    if category is not None:
        where.append(Incident.category_id == _category_id(session, principal, category))
    return where


def _category_id(session: Session, principal: Principal, category: str) -> int:
    """The id of the category with code ``category`` in one of the caller's nets; InvalidInput if none."""
    category_id = session.scalar(
        select(IncidentCategory.id).where(
            IncidentCategory.code == category, IncidentCategory.net.in_(sorted(principal.nets))
        )
    )
    if category_id is None:
        raise InvalidInput("no category {category!r}", field="category", category=str(category)[:40])
    return category_id


def _touching(window: _Window) -> ColumnElement[bool]:
    """The cases any count of the period may hold: one of their stage times or their deadline lies in it.

    Each of these columns is indexed, so a month of two years is read through a bitmap of five ranges.
    """
    return or_(
        *(
            window.holds(column)
            for column in (
                Incident.reported_at,
                Incident.registered_at,
                Incident.dispatched_at,
                Incident.resolved_at,
                Incident.due_at,
            )
        )
    )


#: The timed stages, in the order of ``IndicatorMonth.hours``.
TIMED_STAGES = tuple(_TIMED)
#: The one count judged at a moment ("overdue" now): never summed up per month, always counted from the cases.
_JUDGED_NOW = "overdue_open"
#: What a month's summary keeps per row (``IndicatorMonth.counts``): every count but the one judged now, and the
#: hours summed of each timed stage.
SUMMED_COUNTS = (
    *(name for name in _CONDITION_NAMES if name != _JUDGED_NOW),
    *(f"{name}_sum" for name in _TIMED),
)
#: The rows a period is added up from are keyed by these columns of a case (or of a month's summary).
_ROW_KEYS = ("group_code", "assignee_id", "created_by")


def _summed_columns(window: _Window) -> dict[str, ColumnElement]:
    """``SUMMED_COUNTS`` of the cases in ``window``, by name, as aggregates over a group of cases."""
    conditions = _conditions(window)
    columns: dict[str, ColumnElement] = {
        name: func.count().filter(conditions[name]) for name in SUMMED_COUNTS if name in conditions
    }
    for name, (later, earlier) in _TIMED.items():
        columns[f"{name}_sum"] = func.coalesce(func.sum(_hours(later, earlier)).filter(conditions[name]), 0.0)
    return columns


def _hours_columns(window: _Window) -> list[ColumnElement]:
    """Each timed stage's hours of the cases in ``window``, packed (big-endian float8, ``float8send``)."""
    conditions = _conditions(window)
    return [
        func.coalesce(
            func.string_agg(func.float8send(_hours(later, earlier)), _NO_BYTES).filter(conditions[name]), _NO_BYTES
        )
        for name, (later, earlier) in _TIMED.items()
    ]


_NO_BYTES = literal_column("''::bytea", LargeBinary)


def _live_rows(session: Session, window: _Window, where: list[ColumnElement[bool]]) -> list[dict]:
    """The summed counts and stage hours of the cases in ``window``, per group, assignee and reporting account.

    Read from the cases themselves: what a month's summary holds (``summarise_month``), for any days.
    """
    keys = [getattr(Incident, key) for key in _ROW_KEYS]
    summed = _summed_columns(window)
    rows = session.execute(
        select(*keys, *(column.label(name) for name, column in summed.items()), *_hours_columns(window))
        .where(*where, _touching(window))
        .group_by(*keys)
    )
    width = len(_ROW_KEYS) + len(summed)
    return [{**row._mapping, "hours": list(row[width:])} for row in rows]


def _overdue_rows(session: Session, window: _Window, where: list[ColumnElement[bool]]) -> list[dict]:
    """The count judged now (超期未处置) per group, assignee and reporting account: only running cases hold it."""
    keys = [getattr(Incident, key) for key in _ROW_KEYS]
    rows = session.execute(
        select(*keys, func.count().label(_JUDGED_NOW))
        # Open cases only, written as the partial index of open cases is, so it answers.
        .where(*where, OPEN_INCIDENT, _conditions(window)[_JUDGED_NOW])
        .group_by(*keys)
    )
    return [dict(row._mapping) for row in rows]


def _summary_rows(session: Session, months: Sequence[date], where: list[ColumnElement[bool]]) -> list[dict]:
    """The rows of ``months``' summaries meeting ``where``, added up per group, assignee and reporting account."""
    keys = [getattr(IndicatorMonth, key) for key in _ROW_KEYS]
    rows = session.execute(
        select(
            *keys,
            *(
                func.sum(
                    IndicatorMonth.counts[name].as_float()
                    if name.endswith("_sum")
                    else IndicatorMonth.counts[name].as_integer()
                ).label(name)
                for name in SUMMED_COUNTS
            ),
            *(func.string_agg(IndicatorMonth.hours[index + 1], _NO_BYTES) for index in range(len(_TIMED))),
        )
        .where(IndicatorMonth.month.in_(months), *where)
        .group_by(*keys)
    )
    width = len(_ROW_KEYS) + len(SUMMED_COUNTS)
    return [{**row._mapping, "hours": list(row[width:])} for row in rows]


def _call_backs(session: Session, window: _Window, where: list[ColumnElement[bool]]) -> list[dict]:
    """The period's evaluations in force, (content, evaluated) per villager group and assignee."""
    evaluation = _current_evaluations(window)
    keys = (Incident.group_code, Incident.assignee_id)
    rows = session.execute(
        select(
            *keys,
            func.count().filter(evaluation.c.result.in_([result.value for result in CONTENT])).label("content"),
            func.count().label("evaluated"),
        )
        .select_from(evaluation)
        .join(Incident, Incident.id == evaluation.c.incident_id)
        .where(*where)
        .group_by(*keys)
    )
    return [dict(row._mapping) for row in rows]


@dataclass(frozen=True)
class _Asked:
    """Which cases a period's figures count, as conditions on the cases and on the months' summaries.

    ``summarised`` is None when the summaries cannot tell: a caller whose cases are not decided by
    place and net alone (a grid worker, a co-handler). Then every day is read from the cases.
    """

    cases: list[ColumnElement[bool]]
    summarised: list[ColumnElement[bool]] | None


def _asked(session: Session, principal: Principal, net: str | None, category: str | None, place) -> _Asked:
    """The caller's cases of ``net`` and ``category`` lying in ``place`` (a condition on a group and assignee)."""
    cases = [*_case_filter(session, principal, net, category), place(Incident.group_code, Incident.assignee_id)]
    seen = visible_by_place_and_net(principal, IndicatorMonth.group_code, IndicatorMonth.net)
    if seen is None:
        return _Asked(cases, None)
    summarised = [seen, place(IndicatorMonth.group_code, IndicatorMonth.assignee_id)]
    if net is not None:
        summarised.append(IndicatorMonth.net == net)
    if category is not None:
        summarised.append(IndicatorMonth.category_id == _category_id(session, principal, category))
    return _Asked(cases, summarised)


def _period_rows(session: Session, window: _Window, asked: _Asked) -> list[dict]:
    """What the grids and workers of a period add up: counts and stage hours per group, assignee and reporter.

    Whole past months come from their summaries where those are up to date (``summarised_months``),
    every other day from the cases; the count judged now always from the cases. Each count lies in
    the part its own stage time falls in, so the parts add up to what the cases would give at once.
    """
    months = summarised_months(session, window) if asked.summarised is not None else []
    rows = _summary_rows(session, months, asked.summarised or []) if months else []
    for part in _days_left(window, months):
        rows += _live_rows(session, part, asked.cases)
    rows += _overdue_rows(session, window, asked.cases)
    reporters = dict(session.execute(select(User.username, User.worker_id).where(User.worker_id.is_not(None))).all())
    for row in rows:
        # The same rule as REPORTER: the worker behind the reporting account, else the one it was routed to.
        row["reporter"] = reporters.get(row["created_by"], row["assignee_id"])
    return rows


def _days_left(window: _Window, months: Sequence[date]) -> list[_Window]:
    """The parts of ``window`` outside ``months`` (first days of whole months inside it), in order."""
    parts, start = [], window.start
    for month in sorted(months):
        month_start, month_end = days_between(month, _last_day(month))
        assert month_start is not None and month_end is not None
        if start < month_start:
            parts.append(_Window(start, month_start, window.now))
        start = month_end
    if start < window.end:
        parts.append(_Window(start, window.end, window.now))
    return parts


# --- Months summed up (geo.evaluation.summary_models) ------------------------------------------------------

#: A month is summed up, and read from its summary, only once it has been over this long: the trigger marks a
#: changed case against past months only, so a transaction begun while the month was the current one (its
#: change unmarked) must have ended by then. No transaction of this service lasts a day.
SETTLING = timedelta(days=1)
#: pg_advisory_xact_lock's first key while a month is summed up (the second is the month's ordinal).
_SUMMING_LOCK = 16_016


def _settled_before() -> ColumnElement[date]:
    """The first day of the earliest month not yet settled, by the database's clock (the one the trigger reads)."""
    settled_at = func.now() - cast(literal(SETTLING), INTERVAL)
    return cast(
        func.date_trunc("month", func.timezone(cast(literal(COUNTY_TZ.utcoffset(None)), INTERVAL), settled_at)), Date
    )


def _whole_months(window: _Window) -> list[date]:
    """The first days of the months lying wholly inside ``window``."""
    first, last = county_day(window.start), county_day(window.end - timedelta(microseconds=1))
    month = first.replace(day=1) if first.day == 1 else _next_month(first)
    months = []
    while _last_day(month) <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def summarised_months(session: Session, window: _Window) -> list[date]:
    """The whole months of ``window`` to read from their summaries: settled, summed up with today's definitions
    and unchanged since (no ``indicator_month_stale`` row)."""
    wanted = _whole_months(window)
    if not wanted:
        return []
    stale = exists().where(IndicatorMonthStale.month == IndicatorMonthBuilt.month)
    return list(
        session.scalars(
            select(IndicatorMonthBuilt.month).where(
                IndicatorMonthBuilt.month.in_(wanted),
                IndicatorMonthBuilt.month < _settled_before(),
                IndicatorMonthBuilt.fingerprint == summary_fingerprint(),
                ~stale,
            )
        )
    )


def _month_summary(month: date):
    """The summary rows of ``month``: every case touching it, per group, assignee, reporting account, net and
    category."""
    start, end = days_between(month, _last_day(month))
    assert start is not None and end is not None
    window = _Window(start, end, start)  # "now" judges only the count judged now, which no summary holds
    keys = (Incident.group_code, Incident.assignee_id, Incident.created_by, Incident.net, Incident.category_id)
    counts = func.jsonb_build_object(
        *(part for name, column in _summed_columns(window).items() for part in (literal_column(f"'{name}'"), column))
    )
    return (
        select(cast(literal(month), Date), *keys, counts, array(_hours_columns(window), type_=LargeBinary))  # type: ignore[misc]
        .where(_touching(window))
        .group_by(*keys)
    )


@cache
def summary_fingerprint() -> str:
    """A digest of what a month's summary is made of (every definition, as SQL): other definitions, other digest."""
    statement = _month_summary(date(2000, 1, 1)).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return hashlib.sha256(str(statement).encode()).hexdigest()


def summarise_month(session: Session, month: date) -> int:
    """Sum up ``month`` (its first day) anew from its cases; returns the rows written. The caller commits.

    Its stale mark goes first: a writer still holding it (the trigger's upsert locks it) is waited for, so the
    cases read next include that writer's change; a later writer marks the month again.
    """
    session.execute(select(func.pg_advisory_xact_lock(_SUMMING_LOCK, month.toordinal())))
    session.execute(delete(IndicatorMonthStale).where(IndicatorMonthStale.month == month))
    session.execute(delete(IndicatorMonth).where(IndicatorMonth.month == month))
    written = session.execute(
        insert(IndicatorMonth).from_select(
            ["month", "group_code", "assignee_id", "created_by", "net", "category_id", "counts", "hours"],
            _month_summary(month),
        )
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult for an INSERT
    built = {"month": month, "fingerprint": summary_fingerprint(), "rows": written, "built_at": func.now()}
    session.execute(
        postgresql.insert(IndicatorMonthBuilt)
        .values(**built)
        .on_conflict_do_update(index_elements=["month"], set_={key: built[key] for key in built if key != "month"})
    )
    return written


def summarise_months(session: Session) -> list[date]:
    """Sum up every settled month not summed up with today's definitions, or changed since; returns them, in order.

    From the month of the earliest case to the last settled one: the scheduler's nightly job and
    ``flask evaluation summarise``. The caller commits.
    """
    earliest = session.scalar(select(func.min(Incident.reported_at)))
    settled_before: date = session.execute(select(_settled_before())).scalar_one()
    months = set(session.scalars(select(IndicatorMonthStale.month).where(IndicatorMonthStale.month < settled_before)))
    if earliest is not None:
        month = county_day(earliest).replace(day=1)
        while month < settled_before:
            months.add(month)
            month = _next_month(month)
    stale = exists().where(IndicatorMonthStale.month == IndicatorMonthBuilt.month)
    fresh = set(
        session.scalars(
            select(IndicatorMonthBuilt.month).where(IndicatorMonthBuilt.fingerprint == summary_fingerprint(), ~stale)
        )
    )
    todo = sorted(months - fresh)
    for month in todo:
        summarise_month(session, month)
    return todo


#: The medians' and percentiles' fractions, as percentile_cont reads them.
_QUANTILES = np.array([0.5, 0.9])


def _stage_statistics(hours: Sequence[list[bytes]]) -> dict:
    """{"<stage>_median": hours, "<stage>_p90": hours} of each timed stage's packed hours (None: no case).

    ``percentile_cont`` exactly: the values at the two ranks around each fraction of (n - 1), and the
    same linear step between them; partitioned around those ranks rather than sorted, as only they count.
    """
    found: dict = {}
    for name, runs in zip(_TIMED, hours, strict=True):
        values = np.frombuffer(b"".join(runs), dtype=">f8").astype(np.float64)
        median = p90 = None
        if values.size:
            positions = _QUANTILES * (values.size - 1)
            lower, upper = np.floor(positions).astype(np.intp), np.ceil(positions).astype(np.intp)
            ordered = np.partition(values, np.unique(np.concatenate([lower, upper])))
            low, high = ordered[lower], ordered[upper]
            median, p90 = (float(value) for value in low + (high - low) * (positions - lower))
        found |= {f"{name}_median": median, f"{name}_p90": p90}
    return found


def _add(into: dict, row: Mapping, names: Iterable[str]) -> None:
    for name in names:
        into[name] += row.get(name, 0)


def _add_hours(into: list[list[bytes]], row: Mapping) -> None:
    for runs, run in zip(into, row.get("hours") or (), strict=False):
        if run:
            runs.append(run)


def _empty_row() -> dict:
    return {**dict.fromkeys(_CONDITION_NAMES, 0), **{f"{name}_sum": 0.0 for name in _TIMED}}


def _no_hours() -> list[list[bytes]]:
    return [[] for _ in _TIMED]


#: What a grid adds up from its groups' rows, and a worker from the rows of their cases.
_ADDITIVE = (*_CONDITION_NAMES, *(f"{name}_sum" for name in _TIMED))
_ASSIGNED = tuple(name for name in _ADDITIVE if name not in _BY_REPORTER)


def _current_evaluations(window: _Window):
    """The cases' evaluations in force that were given in the period: none replaces them, none came later."""
    later = aliased(IncidentEvaluation)
    correction = aliased(IncidentEvaluation)
    return (
        select(IncidentEvaluation.incident_id, IncidentEvaluation.result, IncidentEvaluation.at)
        .where(
            window.holds(IncidentEvaluation.at),
            ~exists().where(correction.replaces_id == IncidentEvaluation.id),
            ~exists().where(
                later.incident_id == IncidentEvaluation.incident_id,
                later.at > IncidentEvaluation.at,
            ),
        )
        .subquery("evaluation")
    )


def _figures(row: Mapping, satisfaction: Sequence[int]) -> dict[str, Figure]:
    """Each indicator's figure from one grid's or worker's counts (``row``) and its [content, evaluated]."""
    figures: dict[str, Figure] = {}
    for indicator_id, (numerator, denominator) in _PARTS.items():
        if indicator_id in _TIMED_INDICATOR:
            timed = row[numerator]
            total = float(row[f"{numerator}_sum"] or 0)
            figures[indicator_id] = Figure(total, timed, total / timed if timed else None)
        elif indicator_id.endswith(("_median", "_p90")):
            statistic = row.get(f"{numerator}_{indicator_id.rsplit('_', 1)[1]}") if row[numerator] else None
            figures[indicator_id] = Figure(float(statistic or 0), row[numerator], statistic)
        elif denominator is None:
            figures[indicator_id] = Figure(row[numerator], None, row[numerator])
        else:
            figures[indicator_id] = _rate(row[numerator], row[denominator])
    figures["satisfaction_rate"] = _rate(satisfaction[0], satisfaction[1])
    return {indicator_id: figures[indicator_id] for indicator_id in INDICATORS}


def _rate(numerator: int, denominator: int) -> Figure:
    return Figure(numerator, denominator, 100.0 * numerator / denominator if denominator else None)


def _grids_of(session: Session, principal: Principal, level: str | None) -> list[str]:
    """The codes of the grids in force in the caller's jurisdiction, of ``level`` or of every level."""
    in_force = exists().where(
        GridBoundary.grid_id == Grid.id, *valid_in(GridBoundary, generation_in_force().scalar_subquery())
    )
    query = select(Grid.code).where(principal.scope(Grid.code), in_force).order_by(Grid.code)
    if level is not None:
        query = query.where(Grid.level == one_of(GridLevel, level, "level").value)
    return list(session.scalars(query))


def _common_ancestor(codes: Sequence[str]) -> str:
    """The nearest grid holding every one of ``codes`` (codes nest by prefix): it bounds the cases read."""
    first, last = min(codes), max(codes)  # the common prefix of the extremes is everyone's
    same = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    shared = first[:same]
    return next((shared[: level.code_length] for level in reversed(GridLevel) if level.code_length <= len(shared)), "")


def compute(
    session: Session,
    principal: Principal,
    *,
    level: str | None = None,
    grid_codes: Sequence[str] | None = None,
    since: date,
    until: date,
    net: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> dict[str, dict[str, Figure]]:
    """Every indicator of each grid, over the cases of its descendants, for the days ``since`` to ``until``.

    The grids are ``grid_codes``, else those of ``level`` in the caller's
    jurisdiction, else every grid in it. Only cases the caller may see count
    (jurisdiction and nets); ``net`` and ``category`` (a category code) narrow
    them further. ``now`` judges what is overdue. Keyed by grid code, in order.
    """
    window = _window(since, until, now)
    codes = list(dict.fromkeys(grid_codes)) if grid_codes is not None else _grids_of(session, principal, level)
    if not codes:
        return {}
    ancestor = _common_ancestor(codes)
    asked = _asked(session, principal, net, category, lambda group_code, _: codes_under(group_code, ancestor))
    rows = _period_rows(session, window, asked)
    return _grid_figures(codes, rows, _call_backs(session, window, asked.cases))


def _grid_figures(
    codes: Sequence[str], rows: Iterable[Mapping], call_backs: Iterable[Mapping]
) -> dict[str, dict[str, Figure]]:
    """Each grid's figures from the per-group rows of the period: a grid adds up the rows of its groups.

    Rows of groups under none of ``codes`` (cases sent to a worker off their chain) count for none.
    """
    lengths = sorted({len(code) for code in codes})
    totals = {code: _empty_row() for code in codes}
    hours = {code: _no_hours() for code in codes}
    content = {code: [0, 0] for code in codes}
    for row in rows:
        for grid in {row["group_code"][:length] for length in lengths} & totals.keys():
            _add(totals[grid], row, _ADDITIVE)
            _add_hours(hours[grid], row)
    for row in call_backs:
        for grid in {row["group_code"][:length] for length in lengths} & content.keys():
            content[grid][0] += row["content"]
            content[grid][1] += row["evaluated"]
    return {code: _figures(totals[code] | _stage_statistics(hours[code]), content[code]) for code in codes}


def _month_of(moment) -> ColumnElement[datetime]:
    """The China Standard Time month a moment falls in, as the local midnight of its first day."""
    return func.date_trunc("month", func.timezone(cast(literal(COUNTY_TZ.utcoffset(None)), INTERVAL), moment))


def compute_months(
    session: Session,
    principal: Principal,
    *,
    grid_code: str,
    months: Sequence[date],
    net: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> dict[date, dict[str, Figure]]:
    """Every indicator of ``grid_code`` in each of ``months`` (any day of each), by their first days, in one pass.

    The same figures as ``compute`` for each month on its own (the same definitions, jurisdiction,
    nets and filters), but the cases of the whole span are read once: each count goes to the
    month of its own stage time (a case reported in March and closed on its April deadline counts
    among March's reports and April's closures), taken in China Standard Time with ``date_trunc``.
    Medians and percentiles are grouped by the month of their stage; call-backs by the month given.

    A month summed up (``summarised_months``) is read from its summary, as ``compute`` reads it: at 10,000,000
    incidents the one pass over twelve months' cases took 15 s. The other months share the one pass.
    """
    wanted = sorted({day.replace(day=1) for day in months})
    if not wanted:
        return {}
    summed: list[date] = []
    if visible_by_place_and_net(principal, IndicatorMonth.group_code, IndicatorMonth.net) is not None:
        summed = summarised_months(session, _window(wanted[0], _last_day(wanted[-1]), now))
    answer = {
        month: compute(
            session,
            principal,
            grid_codes=[grid_code],
            since=month,
            until=_last_day(month),
            net=net,
            category=category,
            now=now,
        )[grid_code]
        for month in wanted
        if month in summed
    }
    rest = [month for month in wanted if month not in answer]
    if rest:
        answer |= _months_from_cases(session, principal, grid_code, rest, net, category, now)
    return {month: answer[month] for month in wanted}


def _months_from_cases(
    session: Session,
    principal: Principal,
    grid_code: str,
    wanted: list[date],
    net: str | None,
    category: str | None,
    now: datetime | None,
) -> dict[date, dict[str, Figure]]:
    """``compute_months`` for ``wanted`` (first days, in order) from the cases, read once for them all."""
    window = _window(wanted[0], _last_day(wanted[-1]), now)
    where = [*_case_filter(session, principal, net, category), codes_under(Incident.group_code, grid_code)]
    definitions = _definitions(window.now)
    stages = list(dict.fromkeys(stage for stage, _ in definitions.values()))
    month_keys = [_month_of(stage).label(f"month_{index}") for index, stage in enumerate(stages)]
    stage_key = {name: f"month_{stages.index(stage)}" for name, (stage, _) in definitions.items()}
    columns = [_only(func.count(), extra).label(name) for name, (_, extra) in definitions.items()]
    columns += [
        func.coalesce(_only(func.sum(_hours(later, earlier)), definitions[name][1]), 0).label(f"{name}_sum")
        for name, (later, earlier) in _TIMED.items()
    ]
    # Grouped by the month of every stage time at once: cases move through their stages within
    # days, so there are a few hundred such combinations, not one per case.
    rows = session.execute(select(*month_keys, *columns).where(*where, _touching(window)).group_by(*month_keys))
    totals = {key: _empty_row() for key in wanted}

    def bucket(moment: datetime | None) -> dict | None:
        return None if moment is None else totals.get(moment.date().replace(day=1))

    for row in rows:
        for name in _CONDITION_NAMES:
            if (into := bucket(row._mapping[stage_key[name]])) is not None:
                into[name] += row._mapping[name]
        for name in _TIMED:
            if (into := bucket(row._mapping[stage_key[name]])) is not None:
                into[f"{name}_sum"] += row._mapping[f"{name}_sum"]
    for name, month, statistics in session.execute(_monthly_percentiles(window, where, definitions)):
        if (into := bucket(month)) is not None and statistics is not None:
            into |= {f"{name}_median": statistics[0], f"{name}_p90": statistics[1]}
    content = {key: [0, 0] for key in wanted}
    evaluation = _current_evaluations(window)
    given = _month_of(evaluation.c.at)
    for month, content_count, evaluated in session.execute(
        select(
            given,
            func.count().filter(evaluation.c.result.in_([result.value for result in CONTENT])),
            func.count(),
        )
        .select_from(evaluation)
        .join(Incident, Incident.id == evaluation.c.incident_id)
        .where(*where)
        .group_by(given)
    ):
        if (key := month.date()) in content:
            content[key] = [content_count, evaluated]
    return {key: _figures(totals[key], content[key]) for key in wanted}


def _only(aggregate, extra: ColumnElement[bool] | None):
    """``aggregate`` over the rows meeting ``extra`` (all of them if None)."""
    return aggregate if extra is None else aggregate.filter(extra)


def _monthly_percentiles(window: _Window, where: list[ColumnElement[bool]], definitions: dict):
    """(stage, month, [median, p90]) of each timed stage's hours, by the month of its own stage time."""
    parts = []
    for name, (later, earlier) in _TIMED.items():
        stage, extra = definitions[name]
        month = _month_of(stage)
        parts.append(
            select(
                literal(name).label("name"),
                month.label("month"),
                func.percentile_cont(array([0.5, 0.9], type_=Float))
                .within_group(_hours(later, earlier))
                .label("statistics"),
            )
            .where(*where, window.holds(stage), *([] if extra is None else [extra]))
            .group_by(month)
        )
    return union_all(*parts)


def _last_day(first: date) -> date:
    """The last day of the month beginning on ``first``."""
    return (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)


def compute_workers(
    session: Session,
    principal: Principal,
    *,
    grid_code: str,
    since: date,
    until: date,
    net: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> dict[int, dict[str, Figure]]:
    """Every indicator of each grid worker answering for ``grid_code`` or a grid below it, keyed by worker id.

    A worker's cases are those assigned to them; their reports (有效上报率) are their
    own patrol reports; 主动发现率 sets those against all the cases of their grid.
    Workers serving none of the caller's nets are left out, as everywhere.
    """
    window = _window(since, until, now)
    workers = _workers_under(session, principal, grid_code)
    if not workers:
        return {}
    # A worker's cases lie in their grid, or were sent to them off its chain with a reason (workflow): theirs too.
    asked = _asked(session, principal, net, category, _under_or_assigned(grid_code))
    rows = _period_rows(session, window, asked)
    return _worker_figures(workers, rows, _call_backs(session, window, asked.cases))


def compute_with_workers(
    session: Session,
    principal: Principal,
    *,
    grid_codes: Sequence[str],
    grid_code: str,
    since: date,
    until: date,
    net: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, dict[str, Figure]], dict[int, dict[str, Figure]]]:
    """``compute`` of ``grid_codes`` and ``compute_workers`` of ``grid_code`` together, the cases read once.

    What a dashboard shows of one period: its grids and the workers under its focus. The same
    figures as the two apart (the same rows, added up the same way), but the period's cases are
    scanned once instead of four times: one statement's grouping sets give the tally per group,
    assignee and reporter that serves both, the grids' medians and percentiles and the workers'. Every one of
    ``grid_codes`` lies under ``grid_code``, so the workers' cases off their chain count for no grid.
    """
    codes = list(dict.fromkeys(grid_codes))
    if not codes or not all(is_under(code, grid_code) for code in codes):
        raise InvalidInput("grids must lie under {grid}", field="grid", grid=grid_code[:20])
    window = _window(since, until, now)
    asked = _asked(session, principal, net, category, _under_or_assigned(grid_code))
    workers = _workers_under(session, principal, grid_code)
    rows = _period_rows(session, window, asked)
    call_backs = _call_backs(session, window, asked.cases)
    grids = _grid_figures(codes, rows, call_backs)
    return grids, _worker_figures(workers, rows, call_backs) if workers else {}


def _workers_under(session: Session, principal: Principal, grid_code: str) -> dict[int, str]:
    """The grid workers answering for ``grid_code`` or a grid below it whom the caller may see, with their grids."""
    return {
        worker_id: code
        for worker_id, code, nets in session.execute(
            select(GridWorker.id, Grid.code, GridWorker.nets)
            .join(Grid, Grid.id == GridWorker.grid_id)
            .where(codes_under(Grid.code, grid_code), principal.scope(Grid.code))
            .order_by(Grid.code, GridWorker.code)
        )
        if principal.sees_worker(nets)
    }


def _worker_figures(
    workers: Mapping[int, str], rows: Iterable[Mapping], call_backs: Iterable[Mapping]
) -> dict[int, dict[str, Figure]]:
    """Each worker's figures from the per-group, assignee and reporter rows of the period."""
    totals = {worker_id: _empty_row() for worker_id in workers}
    hours = {worker_id: _no_hours() for worker_id in workers}
    content = {worker_id: [0, 0] for worker_id in workers}
    grid_reports = dict.fromkeys(set(workers.values()), 0)
    lengths = sorted({len(code) for code in grid_reports})
    for row in rows:
        if row["assignee_id"] in totals:
            _add(totals[row["assignee_id"]], row, _ASSIGNED)
            _add_hours(hours[row["assignee_id"]], row)
        if row["reporter"] in totals:
            _add(totals[row["reporter"]], row, _BY_REPORTER)
        for grid in {row["group_code"][:length] for length in lengths} & grid_reports.keys():
            grid_reports[grid] += row.get("reported", 0)
    for row in call_backs:
        if row["assignee_id"] in content:
            content[row["assignee_id"]][0] += row["content"]
            content[row["assignee_id"]][1] += row["evaluated"]
    figures: dict[int, dict[str, Figure]] = {}
    for worker_id, worker_grid in workers.items():
        row = totals[worker_id] | _stage_statistics(hours[worker_id])
        figures[worker_id] = _figures(row, content[worker_id])
        # Their own patrol finds against everything reported in their grid, whoever it went to.
        figures[worker_id]["proactive_rate"] = _rate(row["patrol_reported"], grid_reports[worker_grid])
    return figures


def cases_behind(
    session: Session,
    principal: Principal,
    *,
    indicator: str,
    grid_code: str,
    since: date,
    until: date,
    part: Part,
    net: str | None = None,
    category: str | None = None,
    worker_id: int | None = None,
    now: datetime | None = None,
) -> list[int]:
    """The ids of the cases counted in ``part`` of ``indicator`` for ``grid_code`` (or for worker ``worker_id``).

    The same conditions as ``compute``: the cases behind a grid are exactly the
    caller's cases of the period whose group lies under ``grid_code``; a worker's, as in
    ``compute_workers``, hold too the cases sent to them off their chain.
    """
    of_worker = worker_id is not None
    found = _behind(session, principal, indicator, grid_code, since, until, part, net, category, now, of_worker)
    if found is None:
        return []
    query, name = found
    if worker_id is not None:
        query = query.where(_worker_condition(session, indicator, name, worker_id))
    return list(session.scalars(query.add_columns(Incident.id).order_by(Incident.id)))


def cases_behind_by_group(
    session: Session,
    principal: Principal,
    *,
    indicator: str,
    grid_code: str,
    since: date,
    until: date,
    part: Part,
    now: datetime | None = None,
) -> list[tuple[int, str]]:
    """``cases_behind`` for ``grid_code`` with each case's group code, so the cases of every grid under it are
    told apart in one read (an assessment freezes them all)."""
    found = _behind(session, principal, indicator, grid_code, since, until, part, None, None, now, False)
    if found is None:
        return []
    query, _ = found
    rows = session.execute(query.add_columns(Incident.id, Incident.group_code).order_by(Incident.id))
    return [(incident_id, group_code) for incident_id, group_code in rows]


def cases_behind_workers(
    session: Session,
    principal: Principal,
    *,
    indicator: str,
    grid_code: str,
    since: date,
    until: date,
    part: Part,
    now: datetime | None = None,
) -> dict[int, list[int]]:
    """``cases_behind`` for every worker at once, keyed by worker id (one query, not one per worker).

    Each case goes to the worker it counts for in ``compute_workers``: its reporter for
    their own reports, its assignee otherwise; 主动发现率 counts against the worker's
    grid, so its cases are those of each worker's grid.
    """
    found = _behind(session, principal, indicator, grid_code, since, until, part, None, None, now, of_workers=True)
    if found is None:
        return {}
    query, name = found
    by_worker: dict[int, list[int]] = defaultdict(list)
    if indicator == "proactive_rate" and name not in _BY_REPORTER:
        by_group: dict[str, list[int]] = defaultdict(list)
        for incident_id, group_code in session.execute(
            query.add_columns(Incident.id, Incident.group_code).order_by(Incident.id)
        ):
            by_group[group_code].append(incident_id)
        for worker, worker_grid in session.execute(
            select(GridWorker.id, Grid.code).join(Grid, Grid.id == GridWorker.grid_id)
        ):
            for group, ids in by_group.items():
                if group.startswith(worker_grid):
                    by_worker[worker].extend(ids)
        return {worker: sorted(ids) for worker, ids in by_worker.items()}
    key = REPORTER if name in _BY_REPORTER else Incident.assignee_id
    for incident_id, worker in session.execute(query.add_columns(Incident.id, key).order_by(Incident.id)):
        if worker is not None:
            by_worker[worker].append(incident_id)
    return dict(by_worker)


def _under_or_assigned(grid_code: str):
    """A condition on a group code and an assignee: cases of groups under ``grid_code``, and those of its
    workers wherever they lie (sent off the chain).

    Under a county (or a prefecture, or every county) every case lies there already: the plain prefix
    condition, which the index answers.
    """

    def place(group_code, assignee_id) -> ColumnElement[bool]:
        under = codes_under(group_code, grid_code)
        if len(code_prefix(grid_code)) <= GridLevel.COUNTY.code_length:
            return under
        its_workers = (
            select(GridWorker.id).join(Grid, Grid.id == GridWorker.grid_id).where(codes_under(Grid.code, grid_code))
        )
        return or_(under, assignee_id.in_(its_workers))

    return place


def _behind(session, principal, indicator, grid_code, since, until, part, net, category, now, of_workers=False):
    """The cases of ``part`` of ``indicator`` as a query with no columns yet, and the count's name; None if none.

    ``of_workers``: with the cases of ``grid_code``'s workers wherever they lie, as in ``compute_workers``.
    """
    if indicator not in INDICATORS:
        raise NotFound("no indicator {indicator!r}", indicator=str(indicator)[:40])
    if part not in PARTS:
        raise InvalidInput("part must be numerator or denominator", field="part")
    window = _window(since, until, now)
    cases = (
        _under_or_assigned(grid_code)(Incident.group_code, Incident.assignee_id)
        if of_workers
        else codes_under(Incident.group_code, grid_code)
    )
    where = [*_case_filter(session, principal, net, category), cases]
    if indicator == "satisfaction_rate":
        evaluation = _current_evaluations(window)
        query = select().select_from(Incident).join(evaluation, evaluation.c.incident_id == Incident.id)
        if part == "numerator":
            query = query.where(evaluation.c.result.in_([result.value for result in CONTENT]))
        return query.where(*where), "assigned"
    numerator, denominator = _PARTS[indicator]
    name = numerator if part == "numerator" else denominator
    if name is None:
        return None
    conditions = _conditions(window)
    query = (
        select()
        .select_from(Incident)
        .outerjoin(_Reporter, _Reporter.username == Incident.created_by)
        .where(*where, conditions[name], _touching(window))
    )
    return query, name


def _worker_condition(session: Session, indicator: str, name: str, worker_id: int) -> ColumnElement[bool]:
    """A worker's cases for a count: their own reports, all reports of their grid (主动发现率), else their cases."""
    if name in _BY_REPORTER:
        return REPORTER.in_([worker_id])
    if indicator == "proactive_rate":
        grid = session.scalar(
            select(Grid.code).join(GridWorker, GridWorker.grid_id == Grid.id).where(GridWorker.id == worker_id)
        )
        return codes_under(Incident.group_code, grid) if grid is not None else false()
    return Incident.assignee_id == worker_id


@dataclass(frozen=True)
class GridRow:
    code: str
    level: str
    name_zh: str
    name_en: str


def grids_asked(session: Session, principal: Principal, *, grid: str | None, level: str | None) -> list[GridRow]:
    """The grids a request names: ``grid`` (default: the jurisdiction), or its grids of ``level`` in force.

    A grid outside the jurisdiction answers NotFound, as if it did not exist.
    """
    code = grid or principal.jurisdiction_code
    root = session.execute(
        select(Grid.code, Grid.level, Grid.name_zh, Grid.name_en).where(Grid.code == code, principal.scope(Grid.code))
    ).one_or_none()
    if root is None:
        raise NotFound("no grid {code!r} in your jurisdiction", code=code[:20])
    if level is None:
        return [GridRow(*root)]
    wanted = one_of(GridLevel, level, "level")
    if root.level != PREFECTURE_LEVEL and wanted.depth < GridLevel(root.level).depth:
        raise InvalidInput("level {level} lies above grid {code}", field="level", level=wanted.value, code=code)
    codes = set(_grids_of(session, principal, wanted.value))
    rows = session.execute(
        select(Grid.code, Grid.level, Grid.name_zh, Grid.name_en)
        .where(codes_under(Grid.code, code), Grid.level == wanted.value)
        .order_by(Grid.code)
    )
    return [GridRow(*row) for row in rows if row.code in codes]
