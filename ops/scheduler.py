"""The scheduled jobs and the loop that runs them (``flask jobs scheduler``, started by ``./dev run``).

Every job runs exactly once per period however many schedulers run (``geo.core.jobs``):
several servers may each start one, and a cron line calling ``flask jobs run`` is a
drop-in alternative.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.audit import SCHEDULER_ACTOR
from geo.core.calendar import county_day
from geo.core.jobs import Job, run_if_due
from geo.core.models import JobRun
from geo.dispatch.cross_net import recheck_pairs
from geo.dispatch.workflow import escalate_overdue
from geo.evaluation.assessments import issue_month_before
from geo.evaluation.indicators import summarise_months
from geo.planning.review import activate_due_plans

log = logging.getLogger(__name__)

#: How often the loop looks for due jobs; each job keeps its own period.
TICK = timedelta(seconds=30)


def _escalate(session: Session, now: datetime) -> dict:
    return {"escalated": len(escalate_overdue(session, now))}


def _activate_plans(session: Session, now: datetime) -> dict:
    done = activate_due_plans(session, county_day(now), now)
    return {"activated": [plan_id for plan_id, _ in done]}


def _issue_assessment(session: Session, now: datetime) -> dict:
    issued = issue_month_before(session, Principal.everything(SCHEDULER_ACTOR), county_day(now))
    return {
        "assessments": [{"county": a.county_code, "id": a.id, "period": a.period, "version": a.version} for a in issued]
    }


def _summarise_months(session: Session, now: datetime) -> dict:
    return {"months": [f"{month:%Y-%m}" for month in summarise_months(session)]}


JOBS = [
    Job("escalate_overdue", _escalate, every=timedelta(minutes=5)),
    # The cross-net pairs two simultaneous reports could not see (``geo.dispatch.cross_net``).
    Job("recheck_cross_net_pairs", recheck_pairs, every=timedelta(minutes=5)),
    # Five minutes after midnight, China Standard Time: plans approved for today take effect.
    Job("activate_due_plans", _activate_plans, daily_at=time(0, 5)),
    # On the 1st after 01:00 China Standard Time, when last month's cases have had their night's escalation.
    Job("issue_assessment", _issue_assessment, monthly_at=time(1, 0)),
    # Every night: the past months whose cases changed are summed up again for the indicators.
    Job("summarise_indicator_months", _summarise_months, daily_at=time(0, 30)),
]


def run_due(session_factory: Callable[[], Session], now: datetime | None = None) -> list[JobRun]:
    """Run every due job once, each in a session of its own; return the runs made."""
    runs = []
    for job in JOBS:
        session = session_factory()
        try:
            run = run_if_due(session, job, now or datetime.now(UTC))
        finally:
            session.close()
        if run is not None:
            runs.append(run)
    return runs


def serve(session_factory: Callable[[], Session], stop: threading.Event | None = None) -> None:
    """Run due jobs every ``TICK`` until SIGTERM or SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    log.info("scheduler started: %s", ", ".join(job.name for job in JOBS))
    while not stop.is_set():
        try:
            run_due(session_factory)
        except Exception:  # a database outage must not end the scheduler; it tries again next tick
            log.exception("scheduler tick failed")
        stop.wait(TICK.total_seconds())
    log.info("scheduler stopped")
