"""The scheduler's jobs run the domain's escalation and plan activation, each once per period."""

from datetime import UTC, datetime

from geo.core.jobs import run_if_due
from ops.scheduler import JOBS


def test_every_job_runs_then_waits_for_its_next_period(session):
    # Far ahead, so each is due whatever ran before; the session's work is rolled back afterwards.
    later = datetime(2099, 1, 1, 1, 0, tzinfo=UTC)
    runs = [run_if_due(session, job, later) for job in JOBS]
    assert all(run is not None and run.ok for run in runs), [run and run.error for run in runs]
    assert runs[0] is not None and runs[0].result is not None and runs[0].result["escalated"] > 0
    assert [run_if_due(session, job, later) for job in JOBS] == [None] * len(JOBS)
