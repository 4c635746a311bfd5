"""Branch activities (主题党日, "六个一" …): a county day, a place, a topic, who came, photos and minutes.

An activity belongs to a standing branch, to a harvest hill's temporary branch or to a village
organisation itself (a 党总支's meeting, the whole village's 主题党日), and to that branch's grid code
(``area_code``: the group, the zone's grid, the village), by which every read is scoped. A village
organisation's activities are so seen by the village's staff and those above, not by a group's staff, who
see the organisation by name only (``geo.party.villages``). A phone without signal may send
one again after a lost answer: its ``Idempotency-Key`` records it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.calendar import EARLIEST_DAY, county_day
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.core.idempotency import IdempotencyKey, KeyColumns, first_made
from geo.dispatch.attachments import photo_type
from geo.grid.models import AdminArea, PartyBranch
from geo.party.branches import changeable_branch, get_branch, get_temporary_branch, require_version
from geo.party.models import ActivityKind, ActivityPhoto, PartyActivity, VillageBranch
from geo.party.villages import get_village_branch
from geo.patrol.models import TemporaryBranch

#: Photos one activity may hold (each at most ``geo.dispatch.attachments.MAX_ATTACHMENT_BYTES``).
MAX_PHOTOS = 10
#: Attendance above this is a typing mistake for a village or group branch.
MAX_ATTENDANCE = 2000

_KEYS = KeyColumns(PartyActivity.created_by, PartyActivity.client_key, PartyActivity.request_fingerprint)


@dataclass(frozen=True)
class ActivityInput:
    kind: str
    held_on: date
    lon: float
    lat: float
    topic: str
    attendance: int
    place_name: str = ""
    minutes: str = ""
    branch_id: int | None = None
    temporary_branch_id: int | None = None
    village_branch_id: int | None = None

    def as_dict(self) -> dict:
        return {**self.__dict__, "held_on": self.held_on.isoformat()}


def _check(session: Session, data: ActivityInput, now: datetime) -> None:
    one_of(ActivityKind, data.kind, "kind")
    if not data.topic.strip():
        raise InvalidInput("{field} is required", field="topic")
    if not 0 <= data.attendance <= MAX_ATTENDANCE:
        raise InvalidInput("{field} must be 0 to {limit}", field="attendance", limit=MAX_ATTENDANCE)
    today = county_day(now)
    if not EARLIEST_DAY <= data.held_on <= today:
        raise InvalidInput(
            "{field} must lie between {earliest} and today ({today})",
            field="held_on",
            earliest=EARLIEST_DAY.isoformat(),
            today=today.isoformat(),
        )
    point = from_shape(shapely.Point(data.lon, data.lat), srid=4326)
    inside = session.scalar(select(func.ST_Covers(AdminArea.geom, point)).where(AdminArea.is_home_county))
    if not inside:
        raise InvalidInput(
            "the place ({lon}, {lat}) lies outside the county", field="place", lon=data.lon, lat=data.lat
        )


#: The three kinds of branch an activity may belong to, by the field naming it.
BRANCH_FIELDS = ("branch_id", "temporary_branch_id", "village_branch_id")


def _branch_of(session: Session, principal: Principal, data: ActivityInput) -> tuple[dict, str]:
    """({field: id} of the branch the activity is for, its grid code); the caller must be able to change it."""
    named = {field: getattr(data, field) for field in BRANCH_FIELDS if getattr(data, field) is not None}
    if len(named) != 1:
        raise InvalidInput("name exactly one of {fields}", field="branch_id", fields=", ".join(BRANCH_FIELDS))
    principal.require(Capability.PARTY_EDIT)
    branch: PartyBranch | TemporaryBranch | VillageBranch
    if data.branch_id is not None:
        branch, code = changeable_branch(session, principal, data.branch_id)
    elif data.temporary_branch_id is not None:
        branch, code = get_temporary_branch(session, principal, data.temporary_branch_id)
    else:
        branch, code = get_village_branch(session, principal, data.village_branch_id or 0)
    principal.require_change(code)
    return {field: branch.id for field in named}, code


def activity_dict(activity: PartyActivity) -> dict:
    point = to_shape(activity.place)
    return {
        "id": activity.id,
        "branch_id": activity.branch_id,
        "temporary_branch_id": activity.temporary_branch_id,
        "village_branch_id": activity.village_branch_id,
        "area_code": activity.area_code,
        "kind": activity.kind,
        "held_on": activity.held_on.isoformat(),
        "lon": round(point.x, 6),
        "lat": round(point.y, 6),
        "place_name": activity.place_name,
        "topic": activity.topic,
        "attendance": activity.attendance,
        "minutes": activity.minutes,
        "photos": [{"id": p.id, "filename": p.filename, "size": p.size} for p in activity.photos],
        "created_by": activity.created_by,
        "demo": activity.is_demo,
        "version": activity.version,
    }


def get_activity(session: Session, principal: Principal, activity_id: int) -> PartyActivity:
    """An activity the caller may see (else NotFound, as if absent)."""
    principal.require(Capability.PARTY_VIEW)
    activity = session.scalar(
        select(PartyActivity).where(PartyActivity.id == activity_id, principal.scope(PartyActivity.area_code))
    )
    if activity is None:
        raise NotFound("no party activity {activity} in your jurisdiction", activity=activity_id)
    return activity


def _changeable(session: Session, principal: Principal, activity_id: int) -> PartyActivity:
    principal.require(Capability.PARTY_EDIT)
    activity = get_activity(session, principal, activity_id)
    principal.require_change(activity.area_code)
    return activity


def record_activity(
    session: Session,
    principal: Principal,
    data: ActivityInput,
    now: datetime,
    *,
    key: str | None = None,
    address: str | None = None,
) -> tuple[PartyActivity, bool]:
    """Record an activity of a branch inside the jurisdiction; returns (activity, created).

    ``key`` is the sender's name for this record: sent again, the first record answers (even when
    both copies arrive at once); the same key with another activity is refused (KeyReused).
    """
    idempotency = IdempotencyKey.of(principal.username, key, data.as_dict())
    branch, code = _branch_of(session, principal, data)
    _check(session, data, now)
    added = session.scalar(
        pg_insert(PartyActivity)
        .values(
            **branch,
            area_code=code,
            kind=data.kind,
            held_on=data.held_on,
            place=from_shape(shapely.Point(data.lon, data.lat), srid=4326),
            place_name=data.place_name.strip(),
            topic=data.topic.strip(),
            attendance=data.attendance,
            minutes=data.minutes.strip(),
            is_demo=False,
            created_by=principal.username,
            created_at=now,
            updated_at=now,
            version=1,
            client_key=key,
            request_fingerprint=idempotency.fingerprint if idempotency else None,
        )
        .on_conflict_do_nothing(index_elements=[PartyActivity.created_by, PartyActivity.client_key])
        .returning(PartyActivity.id)
    )
    if added is None and idempotency is not None:
        earlier = first_made(session, PartyActivity, _KEYS, idempotency)
        if earlier is not None:
            return earlier, False
    activity = session.get_one(PartyActivity, added)
    record(
        session,
        actor=principal.username,
        action="party.activity.create",
        entity="party_activity",
        entity_id=activity.id,
        after=data.as_dict(),
        address=address,
    )
    return activity, True


def update_activity(
    session: Session,
    principal: Principal,
    activity_id: int,
    version: int,
    changes: dict,
    now: datetime,
    *,
    address: str | None = None,
) -> PartyActivity:
    """Correct an activity's kind, day, place, topic, attendance or minutes; 409 if changed since ``version``."""
    activity = _changeable(session, principal, activity_id)
    require_version("activity", activity.id, version, activity.version)
    before = activity_dict(activity)
    point = to_shape(activity.place)
    data = ActivityInput(
        kind=changes.get("kind", activity.kind),
        held_on=changes.get("held_on", activity.held_on),
        lon=changes.get("lon", point.x),
        lat=changes.get("lat", point.y),
        topic=changes.get("topic", activity.topic),
        attendance=changes.get("attendance", activity.attendance),
        place_name=changes.get("place_name", activity.place_name),
        minutes=changes.get("minutes", activity.minutes),
    )
    _check(session, data, now)
    activity.kind, activity.held_on, activity.topic = data.kind, data.held_on, data.topic.strip()
    activity.attendance, activity.place_name, activity.minutes = data.attendance, data.place_name, data.minutes
    activity.place = from_shape(shapely.Point(data.lon, data.lat), srid=4326)
    activity.updated_at = now
    session.flush()
    after = activity_dict(activity)
    record(
        session,
        actor=principal.username,
        action="party.activity.update",
        entity="party_activity",
        entity_id=activity.id,
        before={k: v for k, v in before.items() if before[k] != after[k]},
        after={k: v for k, v in after.items() if before[k] != after[k]},
        address=address,
    )
    return activity


def remove_activity(
    session: Session, principal: Principal, activity_id: int, version: int, *, address: str | None = None
) -> None:
    """Delete an activity recorded by mistake, with its photos; 409 if changed since ``version``."""
    activity = _changeable(session, principal, activity_id)
    require_version("activity", activity.id, version, activity.version)
    before = activity_dict(activity)
    county = activity.county_code  # the event's: the row is gone when it is written
    session.delete(activity)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.activity.delete",
        entity="party_activity",
        entity_id=activity_id,
        before=before,
        address=address,
        county_code=county,
    )


def branch_activities(
    session: Session,
    principal: Principal,
    *,
    branch_id: int | None = None,
    temporary_branch_id: int | None = None,
    village_branch_id: int | None = None,
) -> list[PartyActivity]:
    """A standing branch's, a temporary branch's or a village organisation's activities, newest first."""
    if branch_id is not None:
        get_branch(session, principal, branch_id)
        condition = PartyActivity.branch_id == branch_id
    elif village_branch_id is not None:
        get_village_branch(session, principal, village_branch_id)
        condition = PartyActivity.village_branch_id == village_branch_id
    else:
        get_temporary_branch(session, principal, temporary_branch_id or 0)
        condition = PartyActivity.temporary_branch_id == temporary_branch_id
    return list(
        session.scalars(
            select(PartyActivity)
            .where(condition, principal.scope(PartyActivity.area_code))
            .order_by(PartyActivity.held_on.desc(), PartyActivity.id.desc())
        )
    )


def month_range(month: str) -> tuple[date, date]:
    """[first day, first day of the next month) of ``YYYY-MM``; InvalidInput otherwise."""
    try:
        first = date.fromisoformat(f"{month}-01") if len(month) == 7 else None
    except ValueError:
        first = None
    if first is None or not EARLIEST_DAY <= first < date(2100, 1, 1):
        raise InvalidInput("{field} must be a month YYYY-MM, got {value!r}", field="month", value=month[:20])
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def activities_geojson(session: Session, principal: Principal, month: str) -> dict:
    """The jurisdiction's activities of one month as GeoJSON points (the map layer ``party-activities``)."""
    principal.require(Capability.PARTY_VIEW)
    first, following = month_range(month)
    photos = (
        select(func.count())
        .where(ActivityPhoto.activity_id == PartyActivity.id)
        .correlate(PartyActivity)
        .scalar_subquery()
    )
    rows = session.execute(
        select(PartyActivity, func.ST_AsGeoJSON(PartyActivity.place, 6), photos)
        .where(
            principal.scope(PartyActivity.area_code),
            PartyActivity.held_on >= first,
            PartyActivity.held_on < following,
        )
        .order_by(PartyActivity.held_on, PartyActivity.id)
    ).all()
    features = [
        {
            "type": "Feature",
            "id": a.id,
            "geometry": json.loads(geometry),
            "properties": {
                "id": a.id,
                "kind": a.kind,
                "held_on": a.held_on.isoformat(),
                "topic": a.topic,
                "place_name": a.place_name,
                "attendance": a.attendance,
                "photos": count,
                "branch_id": a.branch_id,
                "temporary_branch_id": a.temporary_branch_id,
                "village_branch_id": a.village_branch_id,
                "demo": a.is_demo,
            },
        }
        for a, geometry, count in rows
    ]
    return {"type": "FeatureCollection", "month": month, "features": features}


def add_photo(
    session: Session,
    principal: Principal,
    activity_id: int,
    filename: str,
    data: bytes,
    now: datetime,
    *,
    address: str | None = None,
) -> tuple[ActivityPhoto, bool]:
    """Attach a photo to an activity: its format told from its bytes before anything opens it, size bounded.

    The same bytes sent again to the same activity (a phone's outbox retrying after a lost answer)
    answer the photo already attached, with ``created`` False: a retry never doubles a photo.
    """
    activity = _changeable(session, principal, activity_id)
    content_type = photo_type(data)
    earlier = session.scalar(
        select(ActivityPhoto).where(ActivityPhoto.activity_id == activity.id, ActivityPhoto.data == data).limit(1)
    )
    if earlier is not None:
        return earlier, False
    count = session.scalar(select(func.count()).where(ActivityPhoto.activity_id == activity.id)) or 0
    if count >= MAX_PHOTOS:
        raise InvalidInput("an activity holds at most {limit} photos", field="file", limit=MAX_PHOTOS)
    name = (filename or "photo").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "photo"
    photo = ActivityPhoto(
        activity_id=activity.id,
        filename=name,
        content_type=content_type,
        size=len(data),
        data=data,
        uploaded_by=principal.username,
        at=now,
    )
    session.add(photo)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.activity.photo",
        entity="party_activity",
        entity_id=activity.id,
        after={"photo": photo.id, "file": name, "content_type": content_type, "size": len(data)},
        address=address,
    )
    return photo, True


def get_photo(session: Session, principal: Principal, activity_id: int, photo_id: int) -> ActivityPhoto:
    """One photo of an activity the caller may see."""
    activity = get_activity(session, principal, activity_id)
    photo = session.scalar(
        select(ActivityPhoto).where(ActivityPhoto.id == photo_id, ActivityPhoto.activity_id == activity.id)
    )
    if photo is None:
        raise NotFound("no photo {photo} of activity {activity}", photo=photo_id, activity=activity_id)
    return photo
