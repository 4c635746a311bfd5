"""The leaders' dashboard under gunicorn at any size (issue #16: ``/dashboard`` in <= 1 s at a million incidents).

Times, for the county's leader, the whole dashboard page of last month, its choropleth's GeoJSON
and its ranking as XLSX, beside ``/api/health`` from the same server in the same run; and, in
process, issuing last month's assessment (every figure of 538 grids and 545 workers, frozen with
the cases behind them), which the monthly job does. Run it on the demo or on ``--incidents N``.
The assessment issued here is rolled back.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from app import create_app
from bench.http import WORKERS, Request, api_token, gunicorn, load, show_rates
from bench.report import header, row, verdict
from extensions import db, db_session
from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.dispatch.models import Incident
from geo.evaluation import assessments
from geo.evaluation.models import AssessmentFigure

ROUNDS = 5


def _issue_seconds() -> tuple[float, int]:
    """Issue last month's assessment in process; return the seconds it took and its figures, then remove it."""
    app = create_app()
    with app.app_context():
        start = time.perf_counter()
        issued = assessments.issue_month_before(db_session(), Principal.everything("bench"), county_day(now_utc()))
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


def main() -> None:
    app = create_app()
    with app.app_context():
        incidents = db.session.scalar(select(func.count()).select_from(Incident)) or 0
        db.engine.dispose()
    period = assessments.last_month_code(county_day(now_utc()))
    leader = {"Authorization": f"Bearer {api_token('viewer')}"}
    pages = {
        "/dashboard (the whole page)": f"/dashboard?period={period}",
        "choropleth GeoJSON": f"/dashboard/choropleth.json?period={period}&indicator=score",
        "grid ranking XLSX": f"/dashboard/export.xlsx?period={period}&table=grids",
    }
    with gunicorn() as port:
        load(port, [Request("GET", "/api/health")] * 50, 2, leader)  # warm up
        load(port, [Request("GET", pages["/dashboard (the whole page)"])], 1, leader)
        baseline = load(port, [Request("GET", "/api/health")] * 100, 1, leader)
        timed = [(label, load(port, [Request("GET", path)] * ROUNDS, 1, leader)) for label, path in pages.items()]
    issue_s, figures = _issue_seconds()

    header(f"dashboard at {incidents:,} incidents, period {period}, gunicorn ({WORKERS} sync workers)")
    show_rates([("baseline /api/health", baseline), *timed])
    base_p50 = baseline.percentiles()[0]
    for label, result in timed:
        row(f"{label} ÷ health", f"{result.percentiles()[0] / base_p50:.0f}×")
    page_p50 = timed[0][1].percentiles()[0]
    row("/dashboard p50", f"{page_p50:.0f} ms", verdict(page_p50 <= 1000, "≤ 1 s at a million incidents"))
    row("issuing last month's assessment (in process)", f"{issue_s:.1f} s", f"{figures:,} figures frozen")


if __name__ == "__main__":
    main()
