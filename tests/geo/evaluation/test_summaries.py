"""Past months summed up (``indicator_month``) give exactly the figures of the cases; a changed case counts at once.

The demo's two years of cases lie in months settled by now (the database's clock), so a period of them is read
from the summaries once ``summarise_months`` has run; the same figures with none summed up are read from the cases.
"""

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.dispatch.models import Incident
from geo.evaluation import indicators
from geo.evaluation.indicators import compute, compute_with_workers, compute_workers, summarise_months
from geo.evaluation.summary_models import IndicatorMonth, IndicatorMonthBuilt, IndicatorMonthStale
from tests.geo.evaluation.cases import GROUP, closed_on, make_cases

ALL = frozenset({"social", "religious", "rural"})
COUNTY = Principal(0, "leader", Role.VIEWER, "533422", ALL)
SECULAR = Principal(0, "secular", Role.VIEWER, "533422", frozenset({"social", "rural"}))
TOWNSHIP = Principal(0, "township", Role.VIEWER, GROUP[:9], ALL)
#: Settled months of the demo's cases, and ragged ends so both ends are read from the cases.
PERIOD: dict[str, Any] = {"since": date(2025, 1, 12), "until": date(2026, 9, 17)}
JUNE = datetime(2025, 6, 12, 2, 0, tzinfo=UTC)


def _same(these: dict, those: dict) -> bool:
    """The same figures, floating sums added in another order aside."""

    def close(a, b) -> bool:
        return a is b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))

    assert these.keys() == those.keys()
    for key in these:
        for name, figure in these[key].items():
            other = those[key][name]
            parts = zip(
                (figure.numerator, figure.denominator, figure.value),
                (other.numerator, other.denominator, other.value),
                strict=True,
            )
            assert all(close(a, b) for a, b in parts), (key, name, figure, other)
    return True


def _everything(session, principal=COUNTY, **filters):
    grids = compute(session, principal, **PERIOD, **filters)
    workers = compute_workers(session, principal, grid_code=principal.jurisdiction_code, **PERIOD, **filters)
    return grids, workers


def _read_from_summaries(session) -> list[date]:
    return indicators.summarised_months(session, indicators._window(PERIOD["since"], PERIOD["until"], None))


def test_figures_read_from_the_months_summaries_are_those_of_the_cases(session):
    callers_and_filters = [
        (COUNTY, {}),
        (SECULAR, {}),
        (TOWNSHIP, {}),
        (COUNTY, {"net": "religious"}),
        (COUNTY, {"category": "dispute"}),
    ]
    from_cases = [_everything(session, principal, **filters) for principal, filters in callers_and_filters]
    assert _read_from_summaries(session) == []

    summed_up = summarise_months(session)
    assert date(2025, 2, 1) in summed_up and date(2026, 8, 1) in summed_up
    assert len(_read_from_summaries(session)) == 19  # February 2025 to August 2026: the ragged ends are not whole
    for (principal, filters), expected in zip(callers_and_filters, from_cases, strict=True):
        grids, workers = _everything(session, principal, **filters)
        assert _same(grids, expected[0]) and _same(workers, expected[1]), (principal.username, filters)
        assert any(figure["reports"].value for figure in grids.values())
    grid_codes = list(from_cases[0][0])
    together = compute_with_workers(session, COUNTY, grid_codes=grid_codes, grid_code="533422", **PERIOD)
    assert _same(together[0], from_cases[0][0]) and _same(together[1], from_cases[0][1])
    assert summarise_months(session) == []  # nothing changed: nothing to sum up again


def test_a_case_written_into_a_summed_up_month_counts_at_once_and_after_summing_up_again(session):
    summarise_months(session)
    before = compute(session, COUNTY, grid_codes=[GROUP], **PERIOD)[GROUP]
    ids = make_cases(session, 3, reported_at=JUNE - timedelta(days=3), **closed_on(JUNE, JUNE - timedelta(hours=2)))
    assert session.scalar(select(IndicatorMonthStale.changes).where(IndicatorMonthStale.month == date(2025, 6, 1)))
    assert date(2025, 6, 1) not in _read_from_summaries(session)

    after = compute(session, COUNTY, grid_codes=[GROUP], **PERIOD)[GROUP]
    assert after["reports"].numerator == before["reports"].numerator + 3
    assert after["closed"].numerator == before["closed"].numerator + 3
    assert summarise_months(session) == [date(2025, 6, 1)]
    assert date(2025, 6, 1) in _read_from_summaries(session)
    assert _same({GROUP: compute(session, COUNTY, grid_codes=[GROUP], **PERIOD)[GROUP]}, {GROUP: after})

    # Moved to a deadline in another month: both months are marked, and the figures follow the case.
    session.execute(
        update(Incident).where(Incident.id == ids[0]).values(due_at=datetime(2025, 8, 20, 4, 0, tzinfo=UTC))
    )
    stale = set(session.scalars(select(IndicatorMonthStale.month)))
    assert {date(2025, 6, 1), date(2025, 8, 1)} <= stale
    moved = compute(session, COUNTY, grid_codes=[GROUP], **PERIOD)[GROUP]
    assert moved["due"].value == after["due"].value
    assert moved["closed"].value == after["closed"].value
    summarise_months(session)
    session.execute(delete(Incident).where(Incident.id.in_(ids)))
    assert compute(session, COUNTY, grid_codes=[GROUP], **PERIOD)[GROUP]["reports"].value == before["reports"].value


def test_only_past_months_are_marked_and_only_settled_ones_summed_up(session):
    now = session.scalar(select(func.timezone("Asia/Shanghai", func.now())))
    this_month = now.date().replace(day=1)
    settled_before = (now - indicators.SETTLING).date().replace(day=1)  # last month, from its end's next day on
    summarise_months(session)
    # A month not yet settled, if past, is marked when written into, and left to be read from the cases.
    assert set(session.scalars(select(IndicatorMonthStale.month))) <= {settled_before} - {this_month}
    marked = set(session.scalars(select(IndicatorMonthStale.month)))
    make_cases(session, 2, reported_at=datetime(2031, 1, 10, 2, 0, tzinfo=UTC))  # a future month
    make_cases(session, 1, reported_at=datetime.now(UTC))  # the current month
    assert set(session.scalars(select(IndicatorMonthStale.month))) == marked
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    make_cases(session, 1, reported_at=datetime.combine(last_month, datetime.min.time(), UTC) + timedelta(days=3))
    assert last_month in set(session.scalars(select(IndicatorMonthStale.month)))
    session.execute(delete(IndicatorMonthBuilt))
    summed_up = summarise_months(session)
    assert max(summed_up) == (settled_before - timedelta(days=1)).replace(day=1)


def test_months_summed_up_with_other_definitions_are_not_read(session):
    summarise_months(session)
    session.execute(
        update(IndicatorMonthBuilt).where(IndicatorMonthBuilt.month == date(2025, 3, 1)).values(fingerprint="older")
    )
    assert date(2025, 3, 1) not in _read_from_summaries(session)
    assert summarise_months(session) == [date(2025, 3, 1)]
    assert date(2025, 3, 1) in _read_from_summaries(session)


def test_a_month_summed_up_again_replaces_its_rows_and_truncating_the_cases_forgets_every_summary(session):
    summarise_months(session)
    rows = session.scalar(
        select(func.count()).select_from(IndicatorMonth).where(IndicatorMonth.month == date(2025, 5, 1))
    )
    indicators.summarise_month(session, date(2025, 5, 1))
    again = session.scalar(
        select(func.count()).select_from(IndicatorMonth).where(IndicatorMonth.month == date(2025, 5, 1))
    )
    assert rows == again > 0
    session.execute(text("TRUNCATE incident CASCADE"))
    assert session.scalar(select(func.count()).select_from(IndicatorMonthBuilt)) == 0
