"""Points from the admin's rules (grades, training hours, commendations, sanctions); coverage on hand-made data."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from geo.accounts.principal import AccessDenied
from geo.core.errors import InvalidInput
from geo.core.models import AuditEvent
from geo.evaluation.models import Assessment, AssessmentFigure
from geo.evaluation.periods import Period
from geo.evaluation.scores import current_scheme
from geo.grid.models import Grid, GridWorker
from geo.workforce.models import Recognition, TrainingRecord
from geo.workforce.points import OFFICIAL_VIEW, coverage, new_rules, ranking
from tests.geo.dispatch.cases import BENZILAN_DESK
from tests.geo.workforce.cases import ADMIN

VILLAGE = "533422206001"  # a village of 羊拉乡; 2001 holds no demo records
YEAR = Period.parse("2001")


def workers_of(session, prefix: str) -> list[GridWorker]:
    return list(
        session.scalars(select(GridWorker).join(Grid).where(Grid.code.startswith(prefix)).order_by(GridWorker.code))
    )


def train(session, worker: GridWorker, hours: str, day: date, course: str = "法律政策培训") -> None:
    session.add(
        TrainingRecord(
            worker_id=worker.id,
            course=course,
            topic_code="law_policy",
            hours=Decimal(hours),
            held_on=day,
            created_by="test",
            version=1,
        )
    )


def grade(session, worker: GridWorker, month: str, letter: str) -> None:
    period = Period.parse(month)
    assessment = Assessment(
        county_code="533422",
        period=month,
        version=1,
        since=period.since,
        until=period.until,
        scheme_id=current_scheme(session).id,
        jurisdiction_code="533422",
        issued_by="test",
    )
    session.add(assessment)
    session.flush()
    session.add(
        AssessmentFigure(
            assessment_id=assessment.id,
            nets=OFFICIAL_VIEW,
            subject="worker",
            subject_code=worker.code,
            grid_code=worker.grid.code,
            indicator="score",
            numerator=0,
            value=92.0,
            grade=letter,
        )
    )
    session.flush()


def recognise(session, worker: GridWorker, kind: str, day: date) -> None:
    session.add(Recognition(worker_id=worker.id, kind=kind, title="测试", awarded_on=day, created_by="test"))


def test_coverage_counts_trained_workers_and_hours_per_worker(session):
    workers = workers_of(session, VILLAGE)
    assert len(workers) >= 4
    train(session, workers[0], "4", date(2001, 3, 1))
    train(session, workers[0], "2", date(2001, 5, 1), course="应急处置演练")
    train(session, workers[1], "6", date(2001, 7, 1))
    train(session, workers[2], "8", date(2000, 12, 31))  # the year before: not counted
    session.flush()
    found = coverage(session, ADMIN, YEAR, grid=VILLAGE)
    assert found["total"]["workers"] == len(workers)
    assert found["total"]["trained"] == 2
    assert found["total"]["coverage_rate"] == round(100 * 2 / len(workers), 2)
    assert found["total"]["hours"] == 12.0
    assert found["total"]["hours_per_worker"] == round(12 / len(workers), 2)
    assert [t["code"] for t in found["townships"]] == ["533422206"]


def test_points_add_grades_hours_and_commendations_and_take_sanctions(session):
    first, second, *_ = workers_of(session, VILLAGE)
    grade(session, first, "2001-03", "A")
    grade(session, second, "2001-04", "C")
    train(session, first, "4", date(2001, 3, 1))
    recognise(session, first, "commendation", date(2001, 6, 1))
    recognise(session, first, "sanction", date(2001, 8, 1))
    recognise(session, second, "commendation", date(2001, 6, 1))
    session.flush()
    board = ranking(session, ADMIN, YEAR, grid=VILLAGE)
    assert board["rules_version"] == 1
    rows = {row["worker"]: row for row in board["townships"][0]["workers"]}
    # Version 1: A 10, C 6, 0.5 a training hour, 5 a commendation, 5 off a sanction.
    assert rows[first.code]["points"] == 10 + 4 * 0.5 + 5 - 5
    assert rows[second.code]["points"] == 6 + 5
    assert rows[first.code]["grades"] == ["A"]
    assert (rows[first.code]["rank"], rows[second.code]["rank"]) == (1, 2)
    others = [row for code, row in rows.items() if code not in (first.code, second.code)]
    assert {row["points"] for row in others} == {0} and {row["rank"] for row in others} == {3}  # ties share

    rules = new_rules(session, ADMIN, per_training_hour=2, per_grade={"A": 20, "B": 15, "C": 10, "D": 5, "E": 0})
    assert rules.version == 2
    rows = {row["worker"]: row for row in ranking(session, ADMIN, YEAR, grid=VILLAGE)["townships"][0]["workers"]}
    assert rows[first.code]["points"] == 20 + 4 * 2 + 5 - 5
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "points_rules.create")).all()


def test_rules_are_checked_and_only_county_admins_set_them(session):
    with pytest.raises(InvalidInput, match="each grade"):
        new_rules(session, ADMIN, per_grade={"A": 10})
    with pytest.raises(InvalidInput, match="from 0 to 100"):
        new_rules(session, ADMIN, per_sanction=-5)
    with pytest.raises(AccessDenied):
        new_rules(session, BENZILAN_DESK, per_training_hour=1)
