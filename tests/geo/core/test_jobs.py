"""Scheduled jobs: when each is due, and exactly one run per period however many schedulers race."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from extensions import db, db_session
from geo.core.jobs import Job, last_runs, run_if_due, status
from geo.core.models import JobRun

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # 18:00 in Deqin


def test_a_periodic_job_is_due_once_its_period_has_passed():
    job = Job("tick", lambda session, now: {}, every=timedelta(minutes=5))
    assert job.is_due(None, NOW)
    assert not job.is_due(NOW - timedelta(minutes=4), NOW)
    assert job.is_due(NOW - timedelta(minutes=5), NOW)
    assert job.next_run(NOW, NOW) == NOW + timedelta(minutes=5)


def test_a_daily_job_runs_once_a_county_day_after_its_hour():
    job = Job("nightly", lambda session, now: {}, daily_at=time(0, 5))
    just_before = datetime(2026, 12, 2, 16, 4, tzinfo=UTC)  # 00:04 on the 3rd in Deqin
    just_after = datetime(2026, 12, 2, 16, 6, tzinfo=UTC)
    ran_yesterday = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)
    assert not job.is_due(ran_yesterday, datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # still the 2nd there
    assert not job.is_due(ran_yesterday, just_before)
    assert job.is_due(ran_yesterday, just_after)
    assert not job.is_due(just_after, just_after + timedelta(hours=12))


@pytest.fixture
def job_runs_removed(app):
    with app.app_context():
        yield
        db.session.execute(delete(JobRun).where(JobRun.job.like("test.%")))
        db.session.commit()
        db.session.remove()


def test_racing_schedulers_run_a_job_once(app, job_runs_removed):
    calls = []
    barrier = threading.Barrier(4)

    def work(session, now):
        calls.append(now)
        return {"calls": len(calls)}

    job = Job("test.race", work, every=timedelta(minutes=5))

    def scheduler():
        with app.app_context():
            session = Session(db.engine)
            barrier.wait()
            try:
                run_if_due(session, job, NOW)
            finally:
                session.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert db.session.scalar(select(func.count()).where(JobRun.job == "test.race")) == 1
    # A scheduler coming later in the same period finds the run and does nothing.
    with Session(db.engine) as session:
        assert run_if_due(session, job, NOW + timedelta(minutes=1)) is None


def test_a_failing_job_is_recorded_and_its_work_undone(app, job_runs_removed):
    def work(session, now):
        session.add(JobRun(job="test.half-done", started_at=now, finished_at=now, ok=True, runner="x"))
        session.flush()
        raise RuntimeError("the database said no")

    job = Job("test.fails", work, every=timedelta(minutes=5))
    with Session(db.engine) as session:
        run = run_if_due(session, job, NOW)
    assert run is not None and not run.ok and "said no" in (run.error or "")
    assert db.session.scalar(select(func.count()).where(JobRun.job == "test.half-done")) == 0
    [state] = status(db_session(), [job], NOW)
    assert state["ok"] is False and state["next_run"] == (NOW + timedelta(minutes=5)).isoformat()


def test_each_jobs_latest_run_is_read_in_one_statement(session):
    start = datetime(2026, 5, 1, tzinfo=UTC)
    session.add_all(
        JobRun(job=job, started_at=start + timedelta(minutes=5 * n), finished_at=start, ok=n % 2 == 0,
               result={"n": n}, runner="test")
        for job in ("test.often", "test.seldom")
        for n in range(20 if job == "test.often" else 2)
    )  # fmt: skip
    session.flush()
    sent: list[str] = []
    connection = session.connection()
    listener = lambda conn, cursor, statement, *rest: sent.append(statement)  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        latest = last_runs(session, ["test.often", "test.seldom", "test.never"])
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert len(sent) == 1
    assert {job: (run.result or {}).get("n") for job, run in latest.items()} == {"test.often": 19, "test.seldom": 1}
    assert last_runs(session, []) == {}
