"""Scheduled jobs: when each is due, and running it exactly once however many schedulers run.

A job is periodic (every ``every``), daily (once a county day, from ``daily_at`` China
Standard Time) or monthly (once a county month, from ``monthly_at`` on its first day). A run
holds a transaction-level advisory lock on the job while it checks the last run and does the
work, so two schedulers (two servers, or a scheduler and a cron line) never run one job twice:
the second skips while the lock is held, and afterwards finds the first's run recorded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import String, func, select, true
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session, aliased

from geo.core.calendar import COUNTY_TZ, county_day, day_start
from geo.core.models import JobRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job: its name, what it does (returns a JSON-able summary) and when it is due."""

    name: str
    work: Callable[[Session, datetime], dict]
    every: timedelta | None = None
    daily_at: time | None = None
    monthly_at: time | None = None

    def next_run(self, last: datetime | None, now: datetime) -> datetime:
        """When the job is next due, given its last run's start (None: never ran)."""
        if self.every is not None:
            return now if last is None else last + self.every
        if self.monthly_at is not None:
            return self._next_monthly(last, now, self.monthly_at)
        assert self.daily_at is not None
        today = day_start(county_day(now)) + timedelta(hours=self.daily_at.hour, minutes=self.daily_at.minute)
        if last is not None and county_day(last) >= county_day(now):
            return today + timedelta(days=1)
        return today

    @staticmethod
    def _next_monthly(last: datetime | None, now: datetime, at: time) -> datetime:
        today = county_day(now)
        this_month = day_start(today.replace(day=1)) + timedelta(hours=at.hour, minutes=at.minute)
        if last is not None and (county_day(last).year, county_day(last).month) >= (today.year, today.month):
            following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
            return day_start(following) + timedelta(hours=at.hour, minutes=at.minute)
        return this_month

    def is_due(self, last: datetime | None, now: datetime) -> bool:
        return self.next_run(last, now) <= now


def _lock_key(job: str) -> int:
    # A stable 63-bit key per job name (Python's hash() changes from process to process).
    return int.from_bytes(hashlib.sha256(f"gridmap.job.{job}".encode()).digest()[:8], "big") & (2**63 - 1)


def last_run(session: Session, job: str) -> JobRun | None:
    return last_runs(session, [job]).get(job)


def last_runs(session: Session, jobs: list[str]) -> dict[str, JobRun]:
    """Each named job's latest run (a job never run is absent), in one statement: one index probe per job."""
    if not jobs:
        return {}
    name = func.unnest(array(jobs, type_=String)).table_valued("job_name").render_derived()
    latest = select(JobRun).where(JobRun.job == name.c.job_name).order_by(JobRun.started_at.desc()).limit(1).lateral()
    runs = session.scalars(select(aliased(JobRun, latest)).select_from(name).join(latest, true()))
    return {run.job: run for run in runs}


def run_if_due(session: Session, job: Job, now: datetime) -> JobRun | None:
    """Run ``job`` if it is due and no one else is running it; return the recorded run (None: not run).

    Commits: the work and its record in one transaction, or, if the work fails, the record of
    the failure alone.
    """
    runner = f"{socket.gethostname()}:{os.getpid()}"
    if not session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(job.name)))):
        session.rollback()
        return None
    previous = last_run(session, job.name)
    if not job.is_due(previous.started_at if previous else None, now):
        session.rollback()
        return None
    try:
        result = job.work(session, now)
    except Exception as error:  # the job's own failure is recorded, then the scheduler goes on
        session.rollback()
        log.exception("job %s failed", job.name)
        run = JobRun(
            job=job.name, started_at=now, finished_at=_clock(session), ok=False, error=str(error)[:2000], runner=runner
        )
        session.add(run)
        session.commit()
        session.refresh(run)  # loaded, so the run can be read after its session closes
        return run
    run = JobRun(job=job.name, started_at=now, finished_at=_clock(session), ok=True, result=result, runner=runner)
    session.add(run)
    session.commit()
    session.refresh(run)
    log.info("job %s ran: %s", job.name, result)
    return run


def _clock(session: Session) -> datetime:
    return session.scalar(select(func.clock_timestamp())) or datetime.now(COUNTY_TZ)


def status(session: Session, jobs: list[Job], now: datetime) -> list[dict]:
    """Each job's last run (start, result, success) and next run, for admins and the health check."""
    answers = []
    latest = last_runs(session, [job.name for job in jobs])
    for job in jobs:
        last = latest.get(job.name)
        answers.append(
            {
                "job": job.name,
                "last_run": last.started_at.isoformat() if last else None,
                "ok": last.ok if last else None,
                "result": last.result if last else None,
                "error": last.error if last else None,
                "runner": last.runner if last else None,
                "next_run": job.next_run(last.started_at if last else None, now).isoformat(),
            }
        )
    return answers
