"""Every indicator of every grid (538) and grid worker (545) over 24 months, against a naive baseline.

``compute`` (every grid of every level) and ``compute_workers`` for the 24 months up to the
latest report, their settled months read from the months' summaries (summed up first, timed
apart, as the nightly job does), against the same read from the cases alone and the naive way:
one query per grid and indicator part, listing the cases behind it (``cases_behind``)
and counting them. The baseline does less (no medians or percentiles) and still takes
far longer, so it is timed on a sample of grids and workers of every level and scaled up
to all of them; its counts are checked against the grouped figures. A share of the closed
cases is given a call-back first, so 满意率 has something to count. Issue #16's target:
<= 2 s at a million incidents (``./dev bench --incidents 1000000 evaluation``).
"""

from __future__ import annotations

import math
import time
from collections import Counter

from sqlalchemy import delete, func, select, text

from app import create_app
from bench.report import header, row, timed, verdict
from extensions import db, db_session
from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.demo.generate import COUNTY_CODE
from geo.dispatch.models import Incident
from geo.evaluation.indicators import (
    INDICATORS,
    PARTS,
    cases_behind,
    compute,
    compute_with_workers,
    compute_workers,
    summarise_months,
)
from geo.evaluation.periods import Period
from geo.evaluation.record_models import IncidentEvaluation
from geo.evaluation.summary_models import IndicatorMonthBuilt
from geo.grid.models import GridLevel

#: Every how many grids of a level, and workers, the baseline is timed on (more sparsely past 100,000 cases).
SAMPLE_EVERY = 10
SAMPLE_EVERY_LARGE = 40
SAMPLE_EVERY_HUGE = 200  # past 2,000,000 cases: still every level, a county's queries alone take minutes
TARGET_S = 2.0
TARGET_INCIDENTS = 1_000_000

# Raw SQL: a bulk insert with per-row pseudo-random results, plainer as SQL than as ORM calls.
_CALL_BACKS = text(
    """
    INSERT INTO incident_evaluation (incident_id, result, note, source, actor, at, reopened)
    SELECT id, (ARRAY['satisfied', 'satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied'])
               [1 + abs(hashtext(id::text)) % 5],
           '', 'callback', 'bench', closed_at + interval '1 day', false
    FROM incident
    WHERE status = 'closed' AND abs(hashtext(id || '-callback')) % 10 < 6
    """
)


def _ensure_call_backs(session) -> int:
    present = session.scalar(select(func.count()).select_from(IncidentEvaluation)) or 0
    if not present:
        session.execute(_CALL_BACKS)
        session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE incident_evaluation"))
        present = session.scalar(select(func.count()).select_from(IncidentEvaluation)) or 0
    return present


def _naive(session, principal, period: Period, subjects: list[tuple[str, int | None]]) -> tuple[dict, dict]:
    """One query per grid (or worker), indicator and part: the counts, and the seconds each subject took."""
    counts, seconds = {}, {}
    for grid_code, worker_id in subjects:
        started = time.perf_counter()
        for indicator in INDICATORS:
            for part in PARTS:
                ids = cases_behind(
                    session,
                    principal,
                    indicator=indicator,
                    grid_code=grid_code,
                    since=period.since,
                    until=period.until,
                    part=part,
                    worker_id=worker_id,
                )
                counts[(worker_id or grid_code, indicator, part)] = len(ids)
        seconds[worker_id or grid_code] = time.perf_counter() - started
    return counts, seconds


def _mismatches(naive: dict, figures: dict) -> int:
    """How many baseline counts differ from the grouped figures' numerators and denominators."""
    wrong = 0
    for (subject, indicator, part), count in naive.items():
        figure = figures[subject][indicator]
        if indicator.endswith(("_median", "_p90")) and part == "numerator":
            continue  # the baseline counts cases; these numerators are statistics
        expected = figure.numerator if part == "numerator" else figure.denominator
        if indicator.endswith("_hours") and part == "numerator":
            expected = figure.denominator  # a mean's numerator sums hours: compare the cases timed
        wrong += (expected or 0) != count
    return wrong


def _differ(these: dict, those: dict) -> bool:
    """Whether two grids' figures differ beyond the rounding of floating sums added in another order."""

    def same(a, b) -> bool:
        return a is b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))

    return any(
        not (same(f.numerator, g.numerator) and same(f.denominator, g.denominator) and same(f.value, g.value))
        for f, g in ((these[name], those[name]) for name in these)
    )


def main() -> None:
    app = create_app()
    with app.app_context():
        session = db_session()
        principal = Principal.everything("bench")
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
        call_backs = _ensure_call_backs(session)
        newest = session.scalar(select(func.max(Incident.reported_at)))
        if newest is None:
            raise SystemExit("no incidents: run flask demo load first")
        latest = county_day(newest)
        last_month = Period.month(latest.year, latest.month).previous()  # the last whole month
        first = last_month
        for _ in range(23):
            first = first.previous()
        period = Period.days(first.since, last_month.until)

        def grouped():
            grids = compute(session, principal, since=period.since, until=period.until)
            workers = compute_workers(session, principal, grid_code=COUNTY_CODE, since=period.since, until=period.until)
            return grids, workers

        summing_started = time.perf_counter()
        summed_up = summarise_months(session)
        session.commit()
        summing_seconds = time.perf_counter() - summing_started
        compute(session, principal, level="county", since=period.since, until=period.until)  # warm the cache
        seconds, (grids, workers) = timed(grouped, repeat=3)
        together_seconds, _ = timed(
            lambda: compute_with_workers(
                session,
                principal,
                grid_codes=list(grids),
                grid_code=COUNTY_CODE,
                since=period.since,
                until=period.until,
            ),
            repeat=3,
        )
        # The same figures with no month summed up: forgotten inside a transaction that is rolled back.
        session.execute(delete(IndicatorMonthBuilt))
        from_cases_seconds, (from_cases, _) = timed(grouped, repeat=1)
        session.rollback()
        differing = sum(_differ(from_cases[code], grids[code]) for code in grids)
        month_seconds, _ = timed(
            lambda: compute(session, principal, since=last_month.since, until=last_month.until), repeat=3
        )

        every = (
            SAMPLE_EVERY
            if incidents <= 100_000
            else SAMPLE_EVERY_LARGE
            if incidents <= 2_000_000
            else SAMPLE_EVERY_HUGE
        )
        by_level = Counter(GridLevel.of_code(code).value for code in grids)
        sample_grids = [
            code for level in GridLevel for code in [c for c in grids if GridLevel.of_code(c) is level][::every]
        ]
        sample_workers = list(workers)[::every]
        naive_grids, grid_times = _naive(session, principal, period, [(code, None) for code in sample_grids])
        naive_workers, worker_times = _naive(session, principal, period, [(COUNTY_CODE, w) for w in sample_workers])
        grid_seconds, worker_seconds = sum(grid_times.values()), sum(worker_times.values())
        # Scaled level by level: a county's queries read every case, a group's a few hundred.
        sampled = Counter(GridLevel.of_code(code).value for code in sample_grids)
        spent: Counter[str] = Counter()
        for code, took in grid_times.items():
            spent[GridLevel.of_code(code).value] += took
        naive_total = sum(spent[level] * by_level[level] / sampled[level] for level in by_level) + (
            worker_seconds * len(workers) / max(1, len(sample_workers))
        )
        wrong = _mismatches(naive_grids, grids) + _mismatches(naive_workers, workers)
        db.engine.dispose()

    queries = (len(grids) + len(workers)) * len(INDICATORS) * len(PARTS)
    header(
        f"indicators: {len(INDICATORS)} for {len(grids)} grids and {len(workers)} workers, "
        f"{period.since} to {period.until} (24 months), {incidents:,} incidents, {call_backs:,} call-backs"
    )
    row(
        "baseline: one query per grid/worker, indicator, part",
        f"{naive_total:.1f} s",
        f"{queries:,} queries; timed on {len(sample_grids)} grids ({grid_seconds:.1f} s) "
        f"and {len(sample_workers)} workers ({worker_seconds:.1f} s), scaled",
    )
    target = f"<= {TARGET_S:g} s at {TARGET_INCIDENTS:,} incidents"
    row(
        "grouped: compute + compute_workers",
        f"{seconds:.2f} s",
        verdict(seconds <= TARGET_S, target) if incidents >= TARGET_INCIDENTS else f"(target {target})",
    )
    row("speed-up", f"{naive_total / seconds:.0f}x")
    row("read from the cases alone (no month summed up)", f"{from_cases_seconds:.2f} s", "the same figures, 1 run")
    row("grids whose figures differ between the two", f"{differing}", f"of {len(grids)}")
    row("grids and workers in one pass (compute_with_workers)", f"{together_seconds:.2f} s", "what /dashboard runs")
    row(
        "summing up the months not yet summed up",
        f"{summing_seconds:.1f} s",
        f"{len(summed_up)} month(s); the nightly job does this, not a reader",
    )
    row("one month, every grid (compute)", f"{month_seconds:.2f} s", f"{last_month.code}")
    row("baseline counts differing from the grouped", f"{wrong}", "of " + f"{len(naive_grids) + len(naive_workers):,}")
