"""The leaders' dashboard under gunicorn at any size (issue #16: ``/dashboard`` in <= 1 s at a million incidents).

Times, for the county's leader, the whole dashboard page of last month, its choropleth's GeoJSON
and its ranking as XLSX, beside ``/api/health`` from the same server in the same run; and, in
process, issuing last month's assessment (every figure of 538 grids and 545 workers, frozen with
the cases behind them), which the monthly job does. Run it on the demo or on ``--incidents N``.
The assessment issued here is rolled back.

The tiles and the 12-month trend (``dashboard.summary``) are also timed in process, taking turns,
as they are (one grouped pass over the months) and as they were before (each month its own
``indicators.compute``), each with the issued months read frozen and with none issued; and the
whole page's indicators (``dashboard.page``: tiles, trend and both rankings) with the period's
grids and workers from one statement, beside them read apart as before (``compute`` and
``compute_workers``: four scans of the period's cases instead of one).
"""

from __future__ import annotations

import http.client
import time
from contextlib import nullcontext

from sqlalchemy import func, select

from app import create_app
from bench.http import WORKERS, Request, api_token, baseline_code, gunicorn, load, show_rates
from bench.report import header, row, verdict
from extensions import db, db_session
from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.demo.generate import COUNTY_CODE
from geo.dispatch.models import Incident
from geo.evaluation import assessments, dashboard, indicators
from geo.evaluation.models import AssessmentFigure
from geo.evaluation.periods import Period

ROUNDS = 3


def _issue_seconds() -> tuple[float, int]:
    """Issue the demo county's assessment of last month in process; return the seconds it took and its figures,
    then remove it."""
    app = create_app()
    with app.app_context():
        start = time.perf_counter()
        month = assessments.last_month_code(county_day(now_utc()))
        issued = assessments.issue_period(db_session(), Principal.everything("bench"), month, county=COUNTY_CODE)
        elapsed = time.perf_counter() - start
        figures = (
            db.session.scalar(
                select(func.count()).select_from(AssessmentFigure).where(AssessmentFigure.assessment_id == issued.id)
            )
            or 0
        )
        db.session.rollback()  # nothing of it stays
        db.engine.dispose()
        db.engine.dispose()
    return elapsed, figures


def _month_by_month(session, principal, *, grid_code, months, net=None, category=None, now=None):
    """The months as the dashboard read them before the grouped pass: each month its own computation."""
    answer = {}
    for first in months:
        month = Period.month(first.year, first.month)
        answer[first] = indicators.compute(
            session, principal, grid_codes=[grid_code], since=month.since, until=month.until, net=net, category=category
        )[grid_code]
    return answer


def _summary_seconds(period: str) -> dict[str, float]:
    """Seconds (best of ``ROUNDS``, the variants taking turns) of the county's tiles and trend, in process."""
    app = create_app()
    one_pass, issued_reader = indicators.compute_months, dashboard._issued
    variants = {
        ("one pass", "issued read frozen"): (one_pass, issued_reader),
        ("per month (before)", "issued read frozen"): (_month_by_month, issued_reader),
        ("one pass", "none issued"): (one_pass, lambda *args: {}),
        ("per month (before)", "none issued"): (_month_by_month, lambda *args: {}),
    }
    best = dict.fromkeys(variants, float("inf"))
    with app.app_context():
        session = db_session()
        leader = Principal.everything("bench")
        # The demo county's dashboard, as its leader sees it (every county's has no issued months to read).
        filters = dashboard.Filters(focus=COUNTY_CODE, period=Period.parse(period), period_code=period)
        try:
            for _ in range(ROUNDS):
                for variant, (months, issued) in variants.items():
                    indicators.compute_months, dashboard._issued = months, issued
                    start = time.perf_counter()
                    dashboard.summary(session, leader, filters)
                    best[variant] = min(best[variant], time.perf_counter() - start)
        finally:
            indicators.compute_months, dashboard._issued = one_pass, issued_reader
        db.session.rollback()
        db.engine.dispose()
    return {f"tiles+trend: {how}, {issued}": seconds for (how, issued), seconds in best.items()}


def _apart(session, principal, *, grid_codes, grid_code, **window):
    """The page's grids and workers as they were read before the one statement: each on its own, four scans."""
    grids = indicators.compute(session, principal, grid_codes=grid_codes, **window)
    return grids, indicators.compute_workers(session, principal, grid_code=grid_code, **window)


def _page_seconds(period: str) -> dict[str, float]:
    """Seconds (best of ``ROUNDS``, taking turns) of the whole page's indicators (``dashboard.page``), in process."""
    app = create_app()
    together = indicators.compute_with_workers
    variants = {"one statement": together, "grids and workers apart (before)": _apart}
    best = dict.fromkeys(variants, float("inf"))
    with app.app_context():
        session = db_session()
        leader = Principal.everything("bench")
        filters = dashboard.Filters(focus=COUNTY_CODE, period=Period.parse(period), period_code=period)
        level = dashboard.child_level(COUNTY_CODE)
        try:
            for _ in range(ROUNDS):
                for variant, compute in variants.items():
                    indicators.compute_with_workers = compute
                    start = time.perf_counter()
                    dashboard.page(session, leader, filters, level)
                    best[variant] = min(best[variant], time.perf_counter() - start)
        finally:
            indicators.compute_with_workers = together
        db.session.rollback()
        db.engine.dispose()
    return {f"dashboard.page (tiles, trend, rankings): {how}": seconds for how, seconds in best.items()}


def _once(port: int, path: str, token: str) -> float:
    """Seconds until the whole answer to one GET has arrived."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status >= 400:
        raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
    return elapsed


def main() -> None:
    app = create_app()
    with app.app_context():
        incidents = db.session.scalar(select(func.count()).select_from(Incident)) or 0
        db.engine.dispose()
    period = assessments.last_month_code(county_day(now_utc()))
    token = api_token("viewer")
    leader = {"Authorization": f"Bearer {token}"}
    pages = {
        "/dashboard (the whole page)": f"/dashboard?period={period}",
        "choropleth GeoJSON": f"/dashboard/choropleth.json?period={period}&indicator=score",
        "grid ranking XLSX": f"/dashboard/export.xlsx?period={period}&table=grids",
    }
    older = baseline_code()
    with gunicorn() as port, gunicorn(root=older) if older else nullcontext() as old_port:
        load(port, [Request("GET", "/api/health")] * 50, 2, leader)  # warm up
        baseline = load(port, [Request("GET", "/api/health")] * 100, 1, leader)
        # One at a time, with a long timeout: at a million incidents a page takes seconds (the load client's
        # 10 s would cut it off).
        timed = {label: sorted(_once(port, path, token) for _ in range(ROUNDS)) for label, path in pages.items()}
        if old_port is not None:  # the older code's page and this one's, taking turns
            page_path = pages["/dashboard (the whole page)"]
            _once(old_port, page_path, token)  # warm up
            turns = [(_once(old_port, page_path, token), _once(port, page_path, token)) for _ in range(ROUNDS)]
            timed["/dashboard, older code (BENCH_BASELINE_CODE)"] = sorted(old for old, _ in turns)
            timed["/dashboard, this code, taking turns with it"] = sorted(new for _, new in turns)
    summary = _page_seconds(period) | _summary_seconds(period)
    issue_s, figures = _issue_seconds()

    header(f"dashboard at {incidents:,} incidents, period {period}, gunicorn ({WORKERS} sync workers)")
    show_rates([("baseline /api/health", baseline)])
    base_p50 = baseline.percentiles()[0]
    for label, seconds in timed.items():
        p50 = seconds[len(seconds) // 2] * 1000
        row(label, f"p50 {p50:.0f} ms", f"{p50 / base_p50:.0f}× health; best {seconds[0] * 1000:.0f} ms")
    page_p50 = timed["/dashboard (the whole page)"][ROUNDS // 2] * 1000
    row("/dashboard p50", f"{page_p50:.0f} ms", verdict(page_p50 <= 1000, "≤ 1 s at a million incidents"))
    for label, best in summary.items():
        row(label, f"{best * 1000:.0f} ms", "in process, best of 3")
    row("issuing last month's assessment (in process)", f"{issue_s:.1f} s", f"{figures:,} figures frozen")


if __name__ == "__main__":
    main()
