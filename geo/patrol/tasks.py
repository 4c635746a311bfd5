"""Patrol tasks and check-ins, including check-ins queued offline on a phone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.calendar import day_start
from geo.core.crs import from_metric, to_metric
from geo.core.errors import InvalidInput, NotFound
from geo.core.idempotency import IdempotencyKey, KeyColumns, first_made
from geo.core.labels import Labelled, label
from geo.grid.tiling import as_multipolygon, geometry_problems
from geo.patrol.models import (
    CheckIn,
    PatrolTask,
    PatrolTeam,
    SeasonalZone,
)
from geo.patrol.zones import get_zone, visible_zones

#: A check-in further than this from its target is kept, but flagged.
FAR_CHECKIN_M = 2000.0
#: How long a phone without signal may keep a check-in before sending it.
OFFLINE_KEEP = timedelta(days=7)
#: A phone's clock may run this much ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
#: A check-in that reached the server this long after it was made was kept on a phone without signal.
SENT_LATER = timedelta(minutes=15)


class TaskState(Labelled):
    VISITED = "visited", label("patrol", "已巡查")
    PENDING = "pending", label("patrol", "待巡查")
    MISSED = "missed", label("patrol", "逾期未巡")


class CheckInFlag(Labelled):
    """Why a check-in does not prove a visit (``FAR``, ``EARLY``, ``LATE``), or only how it arrived (``SENT_LATER``)."""

    FAR = "far", label("checkin", "距目标过远")
    EARLY = "early", label("checkin", "早于时段")
    LATE = "late", label("checkin", "晚于时段")
    SENT_LATER = "sent_later", label("checkin", "离线补传")


#: Flags that keep a check-in from counting as the visit.
NOT_A_VISIT = frozenset({CheckInFlag.FAR, CheckInFlag.EARLY, CheckInFlag.LATE})


def checkin_flags(task: PatrolTask, checkin: CheckIn) -> list[CheckInFlag]:
    """What the leader should know about a check-in: far from the target, outside the window, sent later."""
    flags = []
    if checkin.is_far:
        flags.append(CheckInFlag.FAR)
    if checkin.at < task.starts_at:
        flags.append(CheckInFlag.EARLY)
    if checkin.at > task.ends_at:
        flags.append(CheckInFlag.LATE)
    if checkin.received_at - checkin.at > SENT_LATER:
        flags.append(CheckInFlag.SENT_LATER)
    return flags


def task_state(task: PatrolTask, now: datetime) -> TaskState:
    """Visited once a check-in near the target falls inside the window; missed when the window passed without one."""
    if any(not NOT_A_VISIT.intersection(checkin_flags(task, c)) for c in task.checkins):
        return TaskState.VISITED
    return TaskState.MISSED if task.ends_at < now else TaskState.PENDING


#: A visit proposed for a hotspot covers this far around its centre, during the county's working day.
VISIT_HALF_SIDE_M = 1000.0
VISIT_HOURS = (8, 18)


def visit_window(day: date) -> dict:
    """The hours a visit on ``day`` is proposed for: the county's working day, as UTC times."""
    start = day_start(day).astimezone(UTC)
    return {
        "starts_at": (start + timedelta(hours=VISIT_HOURS[0])).isoformat(),
        "ends_at": (start + timedelta(hours=VISIT_HOURS[1])).isoformat(),
    }


def proposed_visit(lon: float, lat: float, day: date) -> dict:
    """The patrol task a leader is offered for a hotspot: its target square and ``day``'s working hours (UTC)."""
    centre = to_metric(shapely.Point(lon, lat))
    square = from_metric(shapely.box(*centre.buffer(VISIT_HALF_SIDE_M).bounds))
    return {"target": shapely.geometry.mapping(shapely.set_precision(square, 1e-6)), **visit_window(day)}


def create_task(
    session: Session,
    principal: Principal,
    *,
    team_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    zone_id: int | None = None,
    target: shapely.Geometry | None = None,
    instructions: str = "",
    now: datetime,
    address: str | None = None,
) -> PatrolTask:
    """Send a team to a zone, or to a hotspot's area, within a time window."""
    principal.require(Capability.TASK_ASSIGN)
    team = session.get(PatrolTeam, team_id)
    if team is None or not _visible_zone(session, principal, team.zone_id):
        raise NotFound("no team {team}", field="team_id", team=team_id)
    principal.require_change(team.zone.area_code)
    if ends_at <= starts_at:
        raise InvalidInput("the visit window ends before it starts", field="ends_at")
    if zone_id is not None:
        zone = get_zone(session, principal, zone_id)
        principal.require_change(zone.area_code)
        area = to_shape(zone.geom)
    elif target is not None:
        if target.geom_type not in ("Polygon", "MultiPolygon") or geometry_problems(target, None):
            raise InvalidInput("target must be a valid Polygon or MultiPolygon", field="target")
        area = target
    else:
        raise InvalidInput("give a zone_id or a target area", field="target")
    task = PatrolTask(
        team=team,
        zone_id=zone_id if zone_id is not None else team.zone_id,
        title=title.strip() or team.name,
        target=from_shape(as_multipolygon(area), srid=4326),
        area_code=team.zone.area_code,
        starts_at=starts_at,
        ends_at=ends_at,
        instructions=instructions.strip(),
        created_by=principal.username,
        created_at=now,
    )
    session.add(task)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="patrol.task",
        entity="patrol_task",
        entity_id=task.id,
        after={"team": team.name, "title": task.title},
        address=address,
    )
    return task


def _visible_zone(session: Session, principal: Principal, zone_id: int) -> bool:
    return (
        session.scalar(select(SeasonalZone.id).where(SeasonalZone.id == zone_id, visible_zones(principal))) is not None
    )


def _visible_tasks(principal: Principal):
    """SQL condition: tasks on zones the caller sees."""
    return PatrolTask.zone_id.in_(select(SeasonalZone.id).where(visible_zones(principal)))


def tasks(session: Session, principal: Principal) -> list[PatrolTask]:
    return list(
        session.scalars(
            select(PatrolTask).where(_visible_tasks(principal)).order_by(PatrolTask.starts_at.desc()).limit(500)
        )
    )


def task_summary(task: PatrolTask, now: datetime) -> dict:
    target = to_shape(task.target)
    centre = shapely.point_on_surface(target)
    return {
        "id": task.id,
        "title": task.title,
        "team": task.team.name,
        "team_id": task.team_id,
        "zone_id": task.zone_id,
        "starts_at": task.starts_at.isoformat(),
        "ends_at": task.ends_at.isoformat(),
        "instructions": task.instructions,
        "state": task_state(task, now).value,
        "lon": round(centre.x, 6),
        "lat": round(centre.y, 6),
        "checkins": [
            {
                "at": c.at.isoformat(),
                "received_at": c.received_at.isoformat(),
                "by": c.by,
                "note": c.note,
                "distance_m": round(c.distance_m),
                "is_far": c.is_far,
                "flags": [flag.value for flag in checkin_flags(task, c)],
                "lon": round(to_shape(c.location).x, 6),
                "lat": round(to_shape(c.location).y, 6),
            }
            for c in task.checkins
        ],
        "target": shapely.geometry.mapping(target),
    }


def check_in(
    session: Session,
    principal: Principal,
    task_id: int,
    lon: float,
    lat: float,
    note: str,
    now: datetime,
    *,
    at: datetime | None = None,
    key: str | None = None,
    address: str | None = None,
) -> tuple[CheckIn, bool]:
    """Record a team's position and note; a position far from the target is accepted but flagged.

    ``at`` is when the team was there, if the phone kept the check-in while it had
    no signal (up to ``OFFLINE_KEEP`` before ``now``); ``key`` is the phone's own
    name for the check-in: a repeated key returns the first record, even when
    both copies arrive at once, and a key reused for another check-in is refused
    (KeyReused). Returns (check-in, created); a new one is audited from ``address``.
    """
    principal.require(Capability.CHECK_IN)
    sent = {"task": task_id, "lon": lon, "lat": lat, "note": note, "at": at.isoformat() if at else None}
    idempotency = IdempotencyKey.of(principal.username, key, sent)
    at = at or now
    if at.tzinfo is None:
        raise InvalidInput("{field} needs a time zone, e.g. 2026-06-15T09:30:00+08:00", field="at")
    if at > now + CLOCK_SKEW:
        raise InvalidInput("{field} lies in the future ({at})", field="at", at=at.isoformat())
    if at < now - OFFLINE_KEEP:
        raise InvalidInput("{field} is more than {days} days ago", field="at", days=OFFLINE_KEEP.days)
    task = session.scalar(
        select(PatrolTask).where(
            PatrolTask.id == task_id,
            _visible_tasks(principal),
        )
    )
    if task is None:
        raise NotFound("no patrol task {task}", task=task_id)
    point = shapely.Point(lon, lat)
    distance = float(shapely.distance(to_metric(point), to_metric(to_shape(task.target))))
    added = session.scalar(
        pg_insert(CheckIn)
        .values(
            task_id=task.id,
            at=at,
            received_at=now,
            client_key=key,
            request_fingerprint=idempotency.fingerprint if idempotency else None,
            by=principal.username,
            location=from_shape(point, srid=4326),
            note=note.strip(),
            distance_m=distance,
            is_far=distance > FAR_CHECKIN_M,
        )
        .on_conflict_do_nothing(index_elements=[CheckIn.by, CheckIn.client_key])
        .returning(CheckIn.id)
    )
    if added is None and idempotency is not None:
        earlier = first_made(session, CheckIn, _CHECKIN_KEYS, idempotency)
        if earlier is not None:
            return earlier, False
    checkin = session.get_one(CheckIn, added)
    record(
        session,
        actor=principal.username,
        action="patrol.checkin",
        entity="patrol_task",
        entity_id=task.id,
        after={
            "checkin": checkin.id,
            "at": at.isoformat(),
            "lon": lon,
            "lat": lat,
            "distance_m": round(distance),
            "is_far": checkin.is_far,
            "note": checkin.note,
        },
        address=address,
    )
    return checkin, True


_CHECKIN_KEYS = KeyColumns(CheckIn.by, CheckIn.client_key, CheckIn.request_fingerprint)
