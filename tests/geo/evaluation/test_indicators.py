"""Indicators against hand-made cases with known answers, China Standard Time days, nets and workers."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from geo.accounts.models import Role, User
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import InvalidInput
from geo.evaluation import indicators
from geo.evaluation.callbacks import evaluate
from geo.evaluation.indicators import (
    INDICATORS,
    Figure,
    cases_behind,
    cases_behind_workers,
    compute,
    compute_workers,
)
from geo.grid.models import Grid, GridWorker
from tests.geo.evaluation.cases import GROUP, JAN, closed_on, make_cases

ALL = frozenset({"social", "religious", "rural"})
COUNTY = Principal(0, "leader", Role.VIEWER, "533422", ALL)
SECULAR = Principal(0, "secular", Role.VIEWER, "533422", frozenset({"social", "rural"}))
JANUARY: dict[str, Any] = {"since": date(2031, 1, 1), "until": date(2031, 1, 31)}
CHAIN = [GROUP[:n] for n in (6, 9, 12, 15)]
DUE = datetime(2031, 1, 20, 4, 0, tzinfo=UTC)


def rate(numerator: int, denominator: int) -> Figure:
    return Figure(numerator, denominator, 100.0 * numerator / denominator)


def figures(session, principal=COUNTY, codes=CHAIN, **filters):
    return compute(session, principal, grid_codes=codes, **(JANUARY | filters))


def test_the_published_example_972_due_911_closed_737_on_time(session):
    make_cases(session, 737, **closed_on(DUE, DUE - timedelta(hours=3)))
    make_cases(session, 911 - 737, **closed_on(DUE, DUE + timedelta(hours=5)))
    make_cases(session, 972 - 911, status="dispatched", dispatched_at=DUE - timedelta(days=1), due_at=DUE)
    for code, found in figures(session, now=DUE + timedelta(days=30)).items():
        assert (found["due"].value, found["closed"].value) == (972, 911), code
        assert round(found["closure_rate"].value, 2) == 93.72
        assert round(found["on_time_closure_rate"].value, 2) == 75.82
        assert found["on_time_handling_rate"] == rate(737, 972)
        assert found["overdue_open"].value == 61  # the 61 still running past their deadline (红灯)
        assert found["rework_rate"].value == 0


def test_an_empty_denominator_has_no_value_never_zero_percent(session):
    found = figures(session)[GROUP]
    assert found["reports"] == Figure(0, None, 0)
    for indicator in INDICATORS.values():
        if indicator.unit == "percent" or indicator.id.endswith(("_hours", "_median", "_p90")):
            assert found[indicator.id].value is None, indicator.id


def test_days_are_china_standard_time_and_both_ends_included(session):
    # 2031-01-31 23:59 in Deqin is 15:59 UTC; 16:00 UTC is already 1 February there.
    make_cases(session, 1, reported_at=datetime(2031, 1, 31, 15, 59, tzinfo=UTC))
    make_cases(session, 2, reported_at=datetime(2031, 1, 31, 16, 0, tzinfo=UTC))
    make_cases(session, 4, reported_at=datetime(2030, 12, 31, 16, 0, tzinfo=UTC))  # 1 January 00:00 CST
    assert figures(session)[GROUP]["reports"].value == 5
    february = compute(session, COUNTY, grid_codes=[GROUP], since=date(2031, 2, 1), until=date(2031, 2, 1))
    assert february[GROUP]["reports"].value == 2


def test_a_reopened_case_counts_as_rework_and_its_call_backs_as_satisfaction(session):
    closed = make_cases(session, 4, **closed_on(DUE, DUE - timedelta(hours=1)))
    desk = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
    after = DUE + timedelta(hours=2)
    evaluate(session, desk, closed[0], "satisfied", now=after)
    evaluate(session, desk, closed[1], "basically_satisfied", now=after)
    wrong = evaluate(session, desk, closed[2], "satisfied", now=after)
    evaluate(session, desk, closed[2], "dissatisfied", replaces=wrong.id, now=after)  # the correction counts
    evaluate(session, desk, closed[3], "dissatisfied", reopen=True, now=after)
    found = figures(session, now=after)[GROUP]
    assert found["satisfaction_rate"] == Figure(2, 4, 50.0)
    # Sent back, the case runs again under a fresh deadline (still in January): due, not closed, reworked.
    assert (found["due"].value, found["closed"].value) == (4, 3)
    assert found["rework_rate"] == Figure(1, 4, 25.0)
    assert cases_behind(
        session, COUNTY, indicator="satisfaction_rate", grid_code=GROUP, part="numerator", **JANUARY
    ) == sorted(closed[:2])


def test_religious_cases_count_only_for_holders_of_that_net(session):
    make_cases(session, 3, net="religious", category="religious_site_safety", **closed_on(DUE, DUE))
    make_cases(session, 2, **closed_on(DUE, DUE))
    assert figures(session)[GROUP]["closed"].value == 5
    assert figures(session, SECULAR)[GROUP]["closed"].value == 2
    assert figures(session, net="religious")[GROUP]["closed"].value == 3
    with pytest.raises(AccessDenied):
        figures(session, SECULAR, net="religious")
    behind = cases_behind(session, SECULAR, indicator="closure_rate", grid_code=GROUP, part="numerator", **JANUARY)
    assert len(behind) == 2


def test_the_cases_behind_every_figure_are_exactly_the_ones_counted(session):
    make_cases(session, 5, channel="patrol", **closed_on(DUE, DUE - timedelta(hours=1)))
    make_cases(session, 2, channel="patrol", status="rejected", closed_at=JAN + timedelta(hours=2))
    make_cases(session, 3, status="dispatched", dispatched_at=DUE - timedelta(days=1), due_at=DUE)
    found = figures(session, now=DUE + timedelta(days=1))
    for indicator_id in ("reports", "closure_rate", "on_time_handling_rate", "valid_report_rate", "proactive_rate"):
        for part in indicators.PARTS:
            ids = cases_behind(
                session,
                COUNTY,
                indicator=indicator_id,
                grid_code=CHAIN[1],
                part=part,
                now=DUE + timedelta(days=1),
                **JANUARY,
            )
            figure = found[CHAIN[1]][indicator_id]
            expected = figure.numerator if part == "numerator" else figure.denominator
            assert len(ids) == (expected or 0), (indicator_id, part)
    assert found[GROUP]["valid_report_rate"] == rate(5, 7)
    assert found[GROUP]["proactive_rate"] == Figure(7, 10, 70.0)


def test_stage_times_give_means_medians_and_90th_percentiles(session):
    for hours in (1, 2, 3, 4, 10):
        make_cases(session, 1, registered_at=JAN + timedelta(hours=hours), status="registered")
    found = figures(session)[GROUP]
    assert found["response_hours"] == Figure(20.0, 5, 4.0)
    assert found["response_hours_median"].value == pytest.approx(3.0)
    assert found["response_hours_p90"].value == pytest.approx(7.6)


def test_levels_filters_and_bad_input(session):
    make_cases(session, 2, **closed_on(DUE, DUE))
    townships = compute(session, COUNTY, level="township", **JANUARY)
    assert len(townships) == 8 and townships[CHAIN[1]]["closed"].value == 2
    assert sum(f["closed"].numerator for f in townships.values()) == 2
    everything = compute(session, COUNTY, **JANUARY)
    assert len(everything) == 538
    assert compute(session, COUNTY, grid_codes=[GROUP], category="safety_hazard", **JANUARY)[GROUP]["closed"].value == 0
    with pytest.raises(InvalidInput, match="category"):
        compute(session, COUNTY, grid_codes=[GROUP], category="nonsense", **JANUARY)
    with pytest.raises(InvalidInput, match="before since"):
        compute(session, COUNTY, grid_codes=[GROUP], since=date(2031, 2, 1), until=date(2031, 1, 1))
    with pytest.raises(InvalidInput, match="level"):
        compute(session, COUNTY, level="province", **JANUARY)
    benzilan = Principal(0, "b", Role.VIEWER, CHAIN[1], ALL)
    assert set(compute(session, benzilan, level="township", **JANUARY)) == {CHAIN[1]}


def test_workers_figures_their_cases_and_their_own_reports(session):
    grid_id = session.scalar(select(Grid.id).where(Grid.code == GROUP))
    worker = session.scalar(select(GridWorker.id).where(GridWorker.grid_id == grid_id).order_by(GridWorker.id))
    make_cases(session, 3, channel="patrol", assignee_id=worker, **closed_on(DUE, DUE))
    make_cases(session, 1, channel="patrol", assignee_id=worker, status="duplicate", closed_at=JAN)
    make_cases(session, 4, channel="phone", assignee_id=worker, **closed_on(DUE, DUE + timedelta(days=1)))
    found = compute_workers(session, COUNTY, grid_code=GROUP, **JANUARY)
    mine = found[worker]
    assert mine["valid_report_rate"] == Figure(3, 4, 75.0)
    assert mine["closure_rate"] == Figure(7, 7, 100.0)
    assert mine["on_time_closure_rate"] == rate(3, 7)
    assert mine["proactive_rate"] == Figure(4, 8, 50.0)
    ids = cases_behind(
        session,
        COUNTY,
        indicator="valid_report_rate",
        grid_code="533422",
        part="denominator",
        worker_id=worker,
        **JANUARY,
    )
    assert len(ids) == 4
    county_wide = compute_workers(session, COUNTY, grid_code="533422", **JANUARY)
    assert len(county_wide) == 545


def test_the_cases_behind_all_workers_at_once_are_each_workers_own(session):
    # The group's own worker and its village's: 主动发现率 counts each against their own grid.
    first, second = (
        session.scalar(
            select(GridWorker.id).join(Grid, Grid.id == GridWorker.grid_id).where(Grid.code == code).limit(1)
        )
        for code in (GROUP, CHAIN[2])
    )
    make_cases(session, 3, channel="patrol", assignee_id=first, **closed_on(DUE, DUE))
    make_cases(session, 2, channel="patrol", assignee_id=second, status="duplicate", closed_at=JAN)
    make_cases(session, 4, channel="phone", assignee_id=second, **closed_on(DUE, DUE + timedelta(days=1)))
    found = compute_workers(session, COUNTY, grid_code=CHAIN[2], **JANUARY)
    for indicator_id in ("valid_report_rate", "closure_rate", "on_time_handling_rate", "proactive_rate"):
        for part in indicators.PARTS:
            every = cases_behind_workers(
                session, COUNTY, indicator=indicator_id, grid_code="533422", part=part, **JANUARY
            )
            for worker in (first, second):
                one = cases_behind(
                    session, COUNTY, indicator=indicator_id, grid_code="533422", part=part, worker_id=worker, **JANUARY
                )
                assert every.get(worker, []) == one, (indicator_id, part, worker)
                figure = found[worker][indicator_id]
                assert len(one) == ((figure.numerator if part == "numerator" else figure.denominator) or 0)


def test_a_report_sent_from_a_workers_account_is_theirs_wherever_it_was_routed(session):
    account = session.scalar(select(User).where(User.username == "worker"))
    grid_id = session.scalar(select(Grid.id).where(Grid.code == GROUP))
    other = session.scalar(
        select(GridWorker.id).where(GridWorker.grid_id != grid_id, GridWorker.id != account.worker_id).limit(1)
    )
    make_cases(session, 2, channel="patrol", created_by="worker", assignee_id=other, status="reported")
    found = compute_workers(session, COUNTY, grid_code="533422", **JANUARY)
    assert found[account.worker_id]["valid_report_rate"] == Figure(0, 2, 0.0)
    assert found[other]["valid_report_rate"].denominator == 0
