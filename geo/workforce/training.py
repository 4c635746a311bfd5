"""Training records of grid workers: the catalogue of topics, and adding, changing, listing records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, NotFound
from geo.grid.models import Grid, GridWorker, codes_under
from geo.workforce.models import TrainingRecord, TrainingTopic
from geo.workforce.workers import changeable_worker, seen_workers

MAX_HOURS = Decimal(200)
EARLIEST = date(2000, 1, 1)
LIST_LIMIT = 5000


class TrainingConflict(GridError):
    """The record exists already, or changed since the caller read it."""

    status = 409


@dataclass(frozen=True)
class TrainingInput:
    """A training record as sent (raw: a form, the API or a spreadsheet row); checked by ``checked_training``."""

    worker: str
    course: str
    topic: str
    hours: object
    held_on: object
    certificate: str = ""


def topics(session: Session) -> list[TrainingTopic]:
    return list(session.scalars(select(TrainingTopic).order_by(TrainingTopic.position, TrainingTopic.code)))


def _topic_code(session: Session, value: str) -> str:
    """The topic by code or by its Chinese name (spreadsheets carry the name)."""
    code = session.scalar(
        select(TrainingTopic.code).where((TrainingTopic.code == value) | (TrainingTopic.name_zh == value))
    )
    if code is None:
        names = "、".join(t.name_zh for t in topics(session))
        raise InvalidInput("unknown topic {value!r}; one of {choices}", field="topic", value=value[:30], choices=names)
    return code


def _hours(value: object) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput("hours must be a number such as 2 or 1.5", field="hours") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS or hours != hours.quantize(Decimal("0.1")):
        raise InvalidInput(
            "hours must be more than 0 and at most {limit}, in tenths", field="hours", limit=int(MAX_HOURS)
        )
    return hours


def _day(value: object, today: date) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise InvalidInput("held_on must be a day written YYYY-MM-DD", field="held_on") from None
    if not EARLIEST <= value <= today:
        raise InvalidInput(
            "held_on must lie between {earliest} and today", field="held_on", earliest=EARLIEST.isoformat()
        )
    return value


def _text(value: object, field: str, limit: int, required: bool) -> str:
    text = "" if value is None else str(value).strip()
    if (required and not text) or len(text) > limit:
        raise InvalidInput("{field} must have 1 to {limit} characters", field=field, limit=limit)
    return text


def checked_training(session: Session, principal: Principal, data: TrainingInput, today: date) -> dict:
    """The record's column values after every check (the worker one the caller may change); InvalidInput names
    the first problem."""
    worker = changeable_worker(session, principal, _text(data.worker, "worker", 20, True))
    return {
        "worker_id": worker.id,
        "course": _text(data.course, "course", 100, True),
        "topic_code": _topic_code(session, _text(data.topic, "topic", 50, True)),
        "hours": _hours(data.hours),
        "held_on": _day(data.held_on, today),
        "certificate": _text(data.certificate, "certificate", 60, False),
    }


def training_summary(training: TrainingRecord) -> dict:
    return {
        "id": training.id,
        "worker": training.worker.code,
        "worker_name": training.worker.name,
        "course": training.course,
        "topic": training.topic_code,
        "topic_zh": training.topic.name_zh,
        "hours": float(training.hours),
        "held_on": training.held_on.isoformat(),
        "certificate": training.certificate,
        "is_demo": training.is_demo,
        "version": training.version,
    }


def _audited(training: TrainingRecord) -> dict:
    return {
        "worker_id": training.worker_id,
        "course": training.course,
        "topic": training.topic_code,
        "hours": str(training.hours),
        "held_on": training.held_on.isoformat(),
        "certificate": training.certificate,
        "version": training.version,
    }


def add_training(
    session: Session, principal: Principal, data: TrainingInput, *, address: str | None = None, now=None
) -> TrainingRecord:
    """Record a course a worker attended; the same worker, course and day twice is refused (409); audited."""
    principal.require(Capability.WORKFORCE_EDIT)
    values = checked_training(session, principal, data, county_day(now or now_utc()))
    made = session.scalar(
        pg_insert(TrainingRecord)
        .values(**values, created_by=principal.username, is_demo=False, version=1)
        .on_conflict_do_nothing(index_elements=["worker_id", "course", "held_on"])
        .returning(TrainingRecord.id)
    )
    if made is None:
        raise TrainingConflict(
            "{worker} already has the course {course!r} on {day}",
            worker=data.worker,
            course=values["course"],
            day=values["held_on"].isoformat(),
        )
    training = session.get(TrainingRecord, made)
    assert training is not None
    record(
        session,
        actor=principal.username,
        action="training.create",
        entity="training_record",
        entity_id=training.id,
        after=_audited(training),
        address=address,
    )
    return training


def get_training(session: Session, principal: Principal, training_id: int) -> TrainingRecord:
    """The record if its worker is one the caller sees (else NotFound)."""
    training = session.scalar(
        select(TrainingRecord)
        .join(GridWorker, GridWorker.id == TrainingRecord.worker_id)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(TrainingRecord.id == training_id, seen_workers(principal))
    )
    if training is None:
        raise NotFound("no training record {id} in your jurisdiction", id=training_id)
    return training


def _check_version(training: TrainingRecord, version: int) -> None:
    if training.version != version:
        raise TrainingConflict(
            "training record {id} changed since you read it (version {version}, now {current})",
            id=training.id,
            version=version,
            current=training.version,
        )


def update_training(
    session: Session,
    principal: Principal,
    training_id: int,
    data: TrainingInput,
    *,
    version: int,
    address: str | None = None,
    now=None,
) -> TrainingRecord:
    """Change a record (the version read guards against lost updates); audited with before and after."""
    principal.require(Capability.WORKFORCE_EDIT)
    training = get_training(session, principal, training_id)
    principal.require_change(training.worker.grid.code)
    _check_version(training, version)
    before = _audited(training)
    for name, value in checked_training(session, principal, data, county_day(now or now_utc())).items():
        setattr(training, name, value)
    try:
        session.flush()
    except StaleDataError:
        raise TrainingConflict("training record {id} was changed at the same moment; reload", id=training_id) from None
    session.expire(training, ["worker", "topic"])
    record(
        session,
        actor=principal.username,
        action="training.update",
        entity="training_record",
        entity_id=training.id,
        before=before,
        after=_audited(training),
        address=address,
    )
    return training


def delete_training(
    session: Session, principal: Principal, training_id: int, *, version: int, address: str | None = None
) -> None:
    """Remove a record entered by mistake (at the version read); audited with what it held."""
    principal.require(Capability.WORKFORCE_EDIT)
    training = get_training(session, principal, training_id)
    principal.require_change(training.worker.grid.code)
    _check_version(training, version)
    before = _audited(training)
    gone = session.scalar(
        delete(TrainingRecord)
        .where(TrainingRecord.id == training_id, TrainingRecord.version == version)
        .returning(TrainingRecord.id)
    )
    if gone is None:
        raise TrainingConflict("training record {id} was changed at the same moment; reload", id=training_id)
    record(
        session,
        actor=principal.username,
        action="training.delete",
        entity="training_record",
        entity_id=training_id,
        before=before,
        address=address,
        county_code=training.worker.county_code,
    )


def trainings(
    session: Session,
    principal: Principal,
    *,
    worker: str | None = None,
    grid: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[TrainingRecord]:
    """Records of the workers the caller sees, newest first, optionally of one worker, grid (and below) or days."""
    principal.require(Capability.WORKFORCE_VIEW)
    query = (
        select(TrainingRecord)
        .join(GridWorker, GridWorker.id == TrainingRecord.worker_id)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(seen_workers(principal))
        .options(joinedload(TrainingRecord.worker), joinedload(TrainingRecord.topic))
        .order_by(TrainingRecord.held_on.desc(), TrainingRecord.id.desc())
        .limit(LIST_LIMIT)
    )
    if worker:
        query = query.where(GridWorker.code == worker)
    if grid:
        if not grid.isdigit() or len(grid) > 15:
            raise InvalidInput("grid must be a grid code (digits)", field="grid")
        query = query.where(codes_under(Grid.code, grid))
    if since:
        query = query.where(TrainingRecord.held_on >= since)
    if until:
        query = query.where(TrainingRecord.held_on <= until)
    return list(session.scalars(query))
