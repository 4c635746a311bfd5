"""The monthly pass (``compute_months``) gives exactly what computing each month on its own gives."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.dispatch.models import Incident
from geo.evaluation import indicators
from geo.evaluation.indicators import compute, compute_months
from geo.evaluation.periods import Period
from tests.geo.evaluation.cases import GROUP, closed_on, make_cases

ALL = frozenset({"social", "religious", "rural"})
COUNTY = Principal(0, "leader", Role.VIEWER, "533422", ALL)
SECULAR = Principal(0, "secular", Role.VIEWER, "533422", frozenset({"social", "rural"}))
TOWNSHIP = GROUP[:9]


def _demo_months(session) -> tuple[list[Period], datetime]:
    """The thirteen months up to the newest demo case, and that case's time (overdue is judged then)."""
    newest = session.scalar(select(func.max(Incident.reported_at)).where(Incident.is_demo))
    month = Period.month(newest.year, newest.month)
    months = [month]
    for _ in range(12):
        months.append(months[-1].previous())
    return months[::-1], newest


def _month_by_month(session, principal, code, months, now, **filters):
    return {
        m.since: compute(session, principal, grid_codes=[code], since=m.since, until=m.until, now=now, **filters)[code]
        for m in months
    }


@pytest.mark.parametrize(
    ("principal", "code", "filters"),
    [
        (COUNTY, "533422", {}),
        (COUNTY, TOWNSHIP, {}),
        (COUNTY, "533422", {"net": "religious"}),
        (SECULAR, "533422", {}),
        (COUNTY, "533422", {"category": "dispute"}),
        (COUNTY, TOWNSHIP, {"net": "social", "category": "dispute"}),
    ],
    ids=["county", "township", "religious net", "secular reader", "category", "township net and category"],
)
def test_one_pass_gives_each_months_own_figures_on_the_demo(session, principal, code, filters):
    months, now = _demo_months(session)
    one_pass = compute_months(session, principal, grid_code=code, months=[m.since for m in months], now=now, **filters)
    expected = _month_by_month(session, principal, code, months, now, **filters)
    assert list(one_pass) == [m.since for m in months]
    assert sum(found["reports"].numerator for found in one_pass.values()) > 0
    for first, figures in expected.items():
        for indicator, figure in figures.items():
            got = one_pass[first][indicator]
            assert got.denominator == figure.denominator, (first, indicator)
            assert got.numerator == pytest.approx(figure.numerator), (first, indicator)
            assert got.value == pytest.approx(figure.value), (first, indicator)


def test_each_count_goes_to_the_month_of_its_own_stage_time(session):
    # Reported and registered on the last evening of January in Deqin (15:30 UTC), due and closed
    # on 1 February 00:30 there (16:30 UTC on 31 January): a January report, a February closure.
    evening = datetime(2031, 1, 31, 15, 30, tzinfo=UTC)
    due = datetime(2031, 1, 31, 16, 30, tzinfo=UTC)
    make_cases(
        session, 3, reported_at=evening, **closed_on(due, due - timedelta(minutes=10)) | {"registered_at": evening}
    )
    months = [date(2031, 1, 1), date(2031, 2, 1), date(2031, 3, 1)]
    found = compute_months(session, COUNTY, grid_code=GROUP, months=months, now=due + timedelta(days=60))
    january, february, march = (found[m] for m in months)
    assert (january["reports"].value, february["reports"].value) == (3, 0)
    assert (january["due"].value, february["due"].value, february["closed"].value) == (0, 3, 3)
    assert february["closure_rate"].value == 100.0
    assert march["reports"].value == 0 and march["closure_rate"].value is None
    assert found == {
        m: compute(
            session,
            COUNTY,
            grid_codes=[GROUP],
            since=m,
            until=Period.month(m.year, m.month).until,
            now=due + timedelta(days=60),
        )[GROUP]
        for m in months
    }
    assert compute_months(session, COUNTY, grid_code=GROUP, months=[]) == {}


def test_months_summed_up_are_read_from_their_summaries_and_give_the_same_figures(session, monkeypatch):
    months, now = _demo_months(session)
    firsts = [m.since for m in months]
    from_cases = compute_months(session, COUNTY, grid_code="533422", months=firsts, now=now)
    summed = indicators.summarise_months(session)
    assert summed, "no demo month to sum up"
    read_from_cases: list[list[date]] = []
    one_pass = indicators._months_from_cases

    def recorded(session, principal, grid_code, wanted, *rest):
        read_from_cases.append(list(wanted))
        return one_pass(session, principal, grid_code, wanted, *rest)

    monkeypatch.setattr(indicators, "_months_from_cases", recorded)
    found = compute_months(session, COUNTY, grid_code="533422", months=firsts, now=now)
    assert not set(summed) & {month for months in read_from_cases for month in months}  # summaries, not cases
    for first, figures in from_cases.items():
        for indicator, figure in figures.items():
            assert found[first][indicator].denominator == figure.denominator, (first, indicator)
            assert found[first][indicator].numerator == pytest.approx(figure.numerator), (first, indicator)
            assert found[first][indicator].value == pytest.approx(figure.value), (first, indicator)
