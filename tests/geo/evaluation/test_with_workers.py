"""The dashboard's one pass (``compute_with_workers``) gives exactly what ``compute`` and ``compute_workers`` give."""

import pytest
from sqlalchemy import func, select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.core.errors import InvalidInput
from geo.dispatch.models import Incident
from geo.evaluation.indicators import compute, compute_with_workers, compute_workers
from geo.evaluation.periods import Period
from geo.grid.models import Grid, codes_under
from tests.geo.evaluation.cases import GROUP

ALL = frozenset({"social", "religious", "rural"})
COUNTY = Principal(0, "leader", Role.VIEWER, "533422", ALL)
SECULAR = Principal(0, "secular", Role.VIEWER, "533422", frozenset({"social", "rural"}))
TOWNSHIP = GROUP[:9]
TOWNSHIP_LEADER = Principal(0, "township", Role.VIEWER, TOWNSHIP, ALL)


def _demo_window(session) -> dict:
    """The three months up to the newest demo case, and that case's time (overdue is judged then)."""
    newest = session.scalar(select(func.max(Incident.reported_at)).where(Incident.is_demo))
    month = Period.month(newest.year, newest.month)
    return {"since": month.previous().previous().since, "until": month.until, "now": newest}


def _same(got: dict, expected: dict) -> None:
    assert list(got) == list(expected)
    for key, figures in expected.items():
        for indicator, figure in figures.items():
            found = got[key][indicator]
            assert found.denominator == figure.denominator, (key, indicator)
            assert found.numerator == pytest.approx(figure.numerator), (key, indicator)
            assert found.value == pytest.approx(figure.value), (key, indicator)


@pytest.mark.parametrize(
    ("principal", "focus", "level_length", "filters"),
    [
        (COUNTY, "533422", 9, {}),
        (COUNTY, "533422", 15, {}),
        (COUNTY, TOWNSHIP, 12, {}),
        (TOWNSHIP_LEADER, TOWNSHIP, 15, {}),
        (COUNTY, "533422", 9, {"net": "religious"}),
        (SECULAR, "533422", 9, {}),
        (COUNTY, TOWNSHIP, 12, {"net": "social", "category": "dispute"}),
    ],
    ids=["county", "county's groups", "township", "township leader", "religious net", "secular reader", "filtered"],
)
def test_one_pass_gives_the_grids_and_workers_figures_on_the_demo(session, principal, focus, level_length, filters):
    window = _demo_window(session)
    below = select(Grid.code).where(codes_under(Grid.code, focus), func.length(Grid.code) == level_length)
    codes = [focus, *session.scalars(below)]
    grids, workers = compute_with_workers(session, principal, grid_codes=codes, grid_code=focus, **window, **filters)
    expected_grids = compute(session, principal, grid_codes=codes, **window, **filters)
    expected_workers = compute_workers(session, principal, grid_code=focus, **window, **filters)
    assert grids[focus]["reports"].numerator > 0 and len(workers) > 1
    _same(grids, expected_grids)
    _same(workers, expected_workers)


def test_secular_reader_sees_no_religious_case_or_worker_in_it(session):
    window = _demo_window(session)
    grids, workers = compute_with_workers(session, SECULAR, grid_codes=["533422"], grid_code="533422", **window)
    everyone, all_workers = compute_with_workers(session, COUNTY, grid_codes=["533422"], grid_code="533422", **window)
    religious = compute(session, COUNTY, grid_codes=["533422"], net="religious", **window)["533422"]
    assert religious["reports"].numerator > 0
    secular, everything = grids["533422"]["reports"].numerator, everyone["533422"]["reports"].numerator
    assert secular == everything - religious["reports"].numerator
    assert set(workers) < set(all_workers)


def test_grids_outside_the_focus_are_refused(session):
    window = _demo_window(session)
    with pytest.raises(InvalidInput):
        compute_with_workers(session, COUNTY, grid_codes=["533422", TOWNSHIP], grid_code=TOWNSHIP, **window)
