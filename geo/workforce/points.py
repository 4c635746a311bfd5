"""Points (积分) of grid workers from the rules an admin sets, their ranking per township, and training coverage.

A worker's points over a period are the sum of:

* for each month of the period with an issued assessment, the points of the grade the
  worker got in its latest version (``geo.evaluation.assessments``; the all-nets view,
  the county's official grade);
* the training hours of the period times the points per hour;
* each commendation's points, less each sanction's.

Rules are versioned like the scoring schemes: a change is a new ``PointsRules`` row
(audited), and every answer names the version it used.

Coverage, as the county reports it: 培训覆盖率 = workers with at least one training
record in the period ÷ all workers; 人均学时 = training hours in the period ÷ all
workers (both over the workers the caller sees).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.errors import GridError, InvalidInput
from geo.evaluation.assessments import latest_of_each_county, nets_key
from geo.evaluation.models import AssessmentFigure
from geo.evaluation.periods import Period
from geo.evaluation.scores import GRADES
from geo.grid.counties import county_codes
from geo.grid.models import Grid, GridLevel, GridWorker, Net, codes_under
from geo.workforce.models import PointsRules, Recognition, RecognitionKind, TrainingRecord
from geo.workforce.workers import seen_workers

#: No rule may give or take more than this many points at once.
MAX_RULE_POINTS = 100.0
OFFICIAL_VIEW = nets_key(net.value for net in Net)


class StaleRules(GridError):
    """Another version of the rules was added at the same moment."""

    status = 409


def current_rules(session: Session) -> PointsRules:
    """The rules in force: the highest version (the migration adds version 1)."""
    rules = session.scalars(select(PointsRules).order_by(PointsRules.version.desc()).limit(1)).first()
    if rules is None:
        raise InvalidInput("no points rules exist; run the database migrations")
    return rules


def rules_summary(rules: PointsRules) -> dict:
    return {
        "version": rules.version,
        "per_grade": rules.per_grade,
        "per_training_hour": rules.per_training_hour,
        "per_commendation": rules.per_commendation,
        "per_sanction": rules.per_sanction,
        "note": rules.note,
        "created_by": rules.created_by,
        "created_at": rules.created_at.isoformat() if rules.created_at else None,
    }


def _points(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_RULE_POINTS:
        raise InvalidInput("{field} must be a number from 0 to {limit}", field=field, limit=int(MAX_RULE_POINTS))
    return float(value)


def new_rules(
    session: Session,
    principal: Principal,
    *,
    per_grade: Mapping[str, float] | None = None,
    per_training_hour: float | None = None,
    per_commendation: float | None = None,
    per_sanction: float | None = None,
    note: str = "",
    address: str | None = None,
) -> PointsRules:
    """Add the next version of the rules, changing what is given and keeping the rest; audited (county admins)."""
    principal.require(Capability.POINTS_MANAGE)
    principal.require_shared_change(county_codes(session))  # one set of rules for every county
    current = current_rules(session)
    grades = None
    if per_grade is not None:
        if not isinstance(per_grade, Mapping) or set(per_grade) != set(GRADES):
            raise InvalidInput("per_grade must give points for each grade {grades}", field="per_grade", grades=GRADES)
        grades = {grade: _points(per_grade[grade], "per_grade") for grade in GRADES}
    if len(note or "") > 500:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="note", limit=500)
    version = (session.scalar(select(func.max(PointsRules.version))) or 0) + 1
    rules = PointsRules(
        version=version,
        per_grade=grades or current.per_grade,
        per_training_hour=current.per_training_hour
        if per_training_hour is None
        else _points(per_training_hour, "per_training_hour"),
        per_commendation=current.per_commendation
        if per_commendation is None
        else _points(per_commendation, "per_commendation"),
        per_sanction=current.per_sanction if per_sanction is None else _points(per_sanction, "per_sanction"),
        note=(note or "").strip(),
        created_by=principal.username,
    )
    try:
        with session.begin_nested():
            session.add(rules)
            session.flush()
    except IntegrityError:  # another admin's version took the number first
        raise StaleRules("the points rules changed at the same moment; reload and try again") from None
    record(
        session,
        actor=principal.username,
        action="points_rules.create",
        entity="points_rules",
        entity_id=rules.id,
        before=rules_summary(current),
        after=rules_summary(rules),
        address=address,
    )
    return rules


def monthly_grades(session: Session, worker_codes: list[str], period: Period, view: str) -> dict[str, list[dict]]:
    """Each worker's grade in every month of ``period`` with an issued assessment (its latest version)."""
    found: dict[str, list[dict]] = defaultdict(list)
    if not worker_codes:
        return found
    for month in period.months():
        for assessment in latest_of_each_county(session, month.code):
            rows = session.execute(
                select(AssessmentFigure.subject_code, AssessmentFigure.value, AssessmentFigure.grade).where(
                    AssessmentFigure.assessment_id == assessment.id,
                    AssessmentFigure.nets == view,
                    AssessmentFigure.subject == "worker",
                    AssessmentFigure.indicator == "score",
                    AssessmentFigure.subject_code.in_(worker_codes),
                )
            )
            for code, value, grade in rows:
                found[code].append(
                    {"period": month.code, "score": value, "grade": grade, "version": assessment.version}
                )
    return found


def _workers(session: Session, principal: Principal, grid: str | None):
    query = (
        select(GridWorker.id, GridWorker.code, GridWorker.name, GridWorker.post, Grid.code)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(seen_workers(principal))
        .order_by(Grid.code, GridWorker.code)
    )
    if grid:
        if not grid.isdigit() or len(grid) > 15:
            raise InvalidInput("grid must be a grid code (digits)", field="grid")
        query = query.where(codes_under(Grid.code, grid))
    return session.execute(query).all()


def _hours_by_worker(session: Session, worker_ids: list[int], period: Period) -> dict[int, Decimal]:
    rows = session.execute(
        select(TrainingRecord.worker_id, func.sum(TrainingRecord.hours))
        .where(
            TrainingRecord.worker_id.in_(worker_ids),
            TrainingRecord.held_on.between(period.since, period.until),
        )
        .group_by(TrainingRecord.worker_id)
    )
    return {worker_id: hours for worker_id, hours in rows}


def _township(code: str) -> str:
    """The township a grid lies in (county-level workers rank with the county)."""
    return code[: GridLevel.TOWNSHIP.code_length] if len(code) >= GridLevel.TOWNSHIP.code_length else code


def ranking(session: Session, principal: Principal, period: Period, *, grid: str | None = None) -> dict:
    """Every worker the caller sees with their points over ``period``, ranked within their township."""
    principal.require(Capability.WORKFORCE_VIEW)
    rules = current_rules(session)
    workers = _workers(session, principal, grid)
    ids = [row[0] for row in workers]
    hours = _hours_by_worker(session, ids, period)
    recognitions = session.execute(
        select(Recognition.worker_id, Recognition.kind, func.count())
        .where(Recognition.worker_id.in_(ids), Recognition.awarded_on.between(period.since, period.until))
        .group_by(Recognition.worker_id, Recognition.kind)
    )
    counted: dict[tuple[int, str], int] = {(worker_id, kind): n for worker_id, kind, n in recognitions}
    grades = monthly_grades(session, [row[1] for row in workers], period, OFFICIAL_VIEW)
    rows = []
    for worker_id, code, name, post, grid_code in workers:
        grade_points = sum(float(rules.per_grade.get(g["grade"], 0)) for g in grades.get(code, []) if g["grade"])
        worker_hours = float(hours.get(worker_id, 0))
        commendations = counted.get((worker_id, RecognitionKind.COMMENDATION.value), 0)
        sanctions = counted.get((worker_id, RecognitionKind.SANCTION.value), 0)
        total = (
            grade_points
            + worker_hours * rules.per_training_hour
            + commendations * rules.per_commendation
            - sanctions * rules.per_sanction
        )
        rows.append(
            {
                "worker": code,
                "name": name,
                "post": post,
                "grid_code": grid_code,
                "township": _township(grid_code),
                "grades": [g["grade"] for g in grades.get(code, [])],
                "grade_points": round(grade_points, 1),
                "training_hours": round(worker_hours, 1),
                "commendations": commendations,
                "sanctions": sanctions,
                "points": round(total, 1),
            }
        )
    by_township: dict[str, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (-r["points"], r["worker"])):
        by_township[row["township"]].append(row)
    for members in by_township.values():
        previous, rank = None, 0
        for position, row in enumerate(members, 1):
            if row["points"] != previous:  # equal points share a rank (1, 2, 2, 4)
                rank, previous = position, row["points"]
            row["rank"] = rank
    names = dict(session.execute(select(Grid.code, Grid.name_zh).where(Grid.code.in_(list(by_township)))).all())
    return {
        "period": period.code,
        "rules_version": rules.version,
        "townships": [
            {"code": code, "name_zh": names.get(code, code), "workers": by_township[code]}
            for code in sorted(by_township)
        ],
    }


def coverage(session: Session, principal: Principal, period: Period, *, grid: str | None = None) -> dict:
    """培训覆盖率 and 人均学时 of ``period`` per township and for all the workers the caller sees."""
    principal.require(Capability.WORKFORCE_VIEW)
    workers = _workers(session, principal, grid)
    hours = _hours_by_worker(session, [row[0] for row in workers], period)
    groups: dict[str, list[int]] = defaultdict(list)
    for worker_id, _code, _name, _post, grid_code in workers:
        groups[_township(grid_code)].append(worker_id)
    names = dict(session.execute(select(Grid.code, Grid.name_zh).where(Grid.code.in_(list(groups)))).all())

    def figures(ids: list[int]) -> dict:
        trained = sum(1 for worker_id in ids if hours.get(worker_id))
        total_hours = float(sum(hours.get(worker_id, Decimal(0)) for worker_id in ids))
        return {
            "workers": len(ids),
            "trained": trained,
            "coverage_rate": round(100 * trained / len(ids), 2) if ids else None,
            "hours": round(total_hours, 1),
            "hours_per_worker": round(total_hours / len(ids), 2) if ids else None,
        }

    return {
        "period": period.code,
        "total": figures([row[0] for row in workers]),
        "townships": [
            {"code": code, "name_zh": names.get(code, code), **figures(groups[code])} for code in sorted(groups)
        ],
    }
