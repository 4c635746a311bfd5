"""A grid worker's profile: post, 专职/兼职, 本土化, start date, nets, training, commendations and sanctions, grades."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, one_of
from geo.evaluation.assessments import nets_key
from geo.evaluation.periods import Period
from geo.grid.models import GridWorker
from geo.workforce.models import Employment, Recognition, RecognitionKind, WorkerProfile
from geo.workforce.points import monthly_grades
from geo.workforce.training import EARLIEST, training_summary, trainings
from geo.workforce.workers import changeable_worker, visible_worker


class StaleProfile(GridError):
    """Someone changed the profile since the caller read it."""

    status = 409


@dataclass(frozen=True)
class RecognitionInput:
    kind: str
    title: str
    awarded_on: date
    body: str = ""


def _day_in_range(day: date | None, field: str, today: date) -> date | None:
    if day is not None and not EARLIEST <= day <= today:
        raise InvalidInput("{field} must lie between {earliest} and today", field=field, earliest=EARLIEST.isoformat())
    return day


def worker_profile(session: Session, principal: Principal, code: str, *, year: int | None = None) -> dict:
    """Everything about one worker the caller sees; the phone only inside the jurisdiction, nets only the caller's."""
    principal.require(Capability.WORKFORCE_VIEW)
    worker = visible_worker(session, principal, code)
    profile = session.get(WorkerProfile, worker.id)
    today = county_day(now_utc())
    period = Period.parse(str(year or today.year))
    recognitions = session.scalars(
        select(Recognition).where(Recognition.worker_id == worker.id).order_by(Recognition.awarded_on.desc())
    )
    grades = monthly_grades(session, [worker.code], period, nets_key(principal.nets)).get(worker.code, [])
    return {
        "code": worker.code,
        "name": worker.name,
        "post": worker.post,
        "grid_code": worker.grid.code,
        "grid_name": worker.grid.name_zh,
        "nets": principal.shown_nets(worker.nets),
        "phone": worker.phone if principal.sees_phones(worker.grid.code) else None,
        "employment": profile.employment if profile else None,
        "is_local": profile.is_local if profile else None,
        "started_on": profile.started_on.isoformat() if profile and profile.started_on else None,
        "profile_version": profile.version if profile else 0,
        "trainings": [training_summary(t) for t in trainings(session, principal, worker=worker.code)],
        "recognitions": [
            {
                "id": r.id,
                "kind": r.kind,
                "title": r.title,
                "awarded_on": r.awarded_on.isoformat(),
                "body": r.body,
                "is_demo": r.is_demo,
            }
            for r in recognitions
        ],
        "grades": grades,
        "year": period.code,
        "is_demo": worker.is_demo,
    }


def set_profile(
    session: Session,
    principal: Principal,
    code: str,
    *,
    employment: str,
    is_local: bool,
    started_on: date | None,
    version: int = 0,
    address: str | None = None,
) -> WorkerProfile:
    """Set a worker's 专职/兼职, 本土化 and start date (``version`` 0 creates the profile; 409 if stale); audited."""
    principal.require(Capability.WORKFORCE_EDIT)
    worker = changeable_worker(session, principal, code)
    values = {
        "employment": one_of(Employment, employment, "employment").value,
        "is_local": bool(is_local),
        "started_on": _day_in_range(started_on, "started_on", county_day(now_utc())),
        "updated_by": principal.username,
    }
    profile = session.get(WorkerProfile, worker.id)
    before = None
    if profile is None:
        if version:
            raise StaleProfile("the profile of {code} was removed; reload", code=code)
        made = session.scalar(
            pg_insert(WorkerProfile)
            .values(worker_id=worker.id, is_demo=False, version=1, **values)
            .on_conflict_do_nothing(index_elements=["worker_id"])
            .returning(WorkerProfile.worker_id)
        )
        if made is None:
            raise StaleProfile("the profile of {code} was set at the same moment; reload", code=code)
        profile = session.get(WorkerProfile, worker.id)
        assert profile is not None
    else:
        if profile.version != version:
            raise StaleProfile(
                "the profile of {code} changed since you read it (version {version}, now {current})",
                code=code,
                version=version,
                current=profile.version,
            )
        before = _audited(profile)
        for name, value in values.items():
            setattr(profile, name, value)
        try:
            session.flush()
        except StaleDataError:
            raise StaleProfile("the profile of {code} was set at the same moment; reload", code=code) from None
    record(
        session,
        actor=principal.username,
        action="worker_profile.set",
        entity="grid_worker",
        entity_id=worker.code,
        before=before,
        after=_audited(profile),
        address=address,
    )
    return profile


def _audited(profile: WorkerProfile) -> dict:
    return {
        "employment": profile.employment,
        "is_local": profile.is_local,
        "started_on": profile.started_on.isoformat() if profile.started_on else None,
        "version": profile.version,
    }


def add_recognition(
    session: Session, principal: Principal, code: str, data: RecognitionInput, *, address: str | None = None
) -> Recognition:
    """Record a commendation (表彰) or a sanction (问责) of a worker; audited.

    The same record sent again (a retry after a lost answer, a second tab) is the same fact: the one
    already kept is returned and nothing is added. The worker's row is locked while looking, so two
    copies arriving at once cannot both pass.
    """
    principal.require(Capability.WORKFORCE_EDIT)
    worker = changeable_worker(session, principal, code)
    session.execute(select(GridWorker.id).where(GridWorker.id == worker.id).with_for_update())
    kind = one_of(RecognitionKind, data.kind, "kind").value
    title = (data.title or "").strip()
    if not title or len(title) > 100:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="title", limit=100)
    body = (data.body or "").strip()
    if len(body) > 100:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="body", limit=100)
    awarded_on = _day_in_range(data.awarded_on, "awarded_on", county_day(now_utc()))
    kept = session.scalar(
        select(Recognition).where(
            Recognition.worker_id == worker.id,
            Recognition.kind == kind,
            Recognition.title == title,
            Recognition.awarded_on == awarded_on,
            Recognition.body == body,
        )
    )
    if kept is not None:
        return kept
    recognition = Recognition(
        worker_id=worker.id,
        kind=kind,
        title=title,
        awarded_on=awarded_on,
        body=body,
        created_by=principal.username,
        is_demo=False,
    )
    session.add(recognition)
    session.flush()
    record(
        session,
        actor=principal.username,
        action=f"worker.{kind}",
        entity="grid_worker",
        entity_id=worker.code,
        after={"kind": kind, "title": title, "awarded_on": data.awarded_on.isoformat(), "body": body},
        address=address,
    )
    return recognition
