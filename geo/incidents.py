"""Incidents through the digital grid-management cycle, routed through the grid.

信息采集 reported → 案卷建立 registered → 任务派遣 dispatched (the deadline starts)
→ 任务处理 in progress → 处理反馈 resolved → 核查结案 closed; or rejected, or a
duplicate of another; a resolved or closed case can be reopened (返工, counted).

Every change names the version it saw (optimistic locking) and appends a history
row; every visible incident lies in the caller's jurisdiction and nets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from geoalchemy2 import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts import AccessDenied, Principal
from geo.audit import record
from geo.calendar import county_day, day_start
from geo.crs import SourceCRS, to_wgs84
from geo.errors import GridError, InvalidInput, NotFound, one_of
from geo.idempotency import IdempotencyKey, KeyColumns, first_made
from geo.lookup import ChainLink, WorkerSummary, lookup_point, parse_coordinates
from geo.models import (
    INCIDENT_CHANGE_SEQ,
    AuditEvent,
    Grid,
    GridLevel,
    GridWorker,
    Incident,
    IncidentAttachment,
    IncidentCategory,
    IncidentEvent,
    Net,
    Role,
    chain_codes,
)
from geo.sql import CompiledQuery


class Status(StrEnum):
    REPORTED = "reported"  # 信息采集
    REGISTERED = "registered"  # 案卷建立
    DISPATCHED = "dispatched"  # 任务派遣
    IN_PROGRESS = "in_progress"  # 任务处理
    RESOLVED = "resolved"  # 处理反馈
    CLOSED = "closed"  # 核查结案
    REJECTED = "rejected"  # 不予受理
    DUPLICATE = "duplicate"  # 重复案件

    def label(self, lang: str = "zh") -> str:
        return _STATUS_LABELS[self][lang == "en"]


_STATUS_LABELS = {
    Status.REPORTED: ("信息采集", "Reported"),
    Status.REGISTERED: ("案卷建立", "Registered"),
    Status.DISPATCHED: ("任务派遣", "Dispatched"),
    Status.IN_PROGRESS: ("任务处理", "In progress"),
    Status.RESOLVED: ("处理反馈", "Resolved"),
    Status.CLOSED: ("核查结案", "Closed"),
    Status.REJECTED: ("不予受理", "Rejected"),
    Status.DUPLICATE: ("重复案件", "Duplicate"),
}


#: Statuses whose deadline runs.
RUNNING = (Status.DISPATCHED, Status.IN_PROGRESS)
#: Statuses that need no more work.
FINISHED = (Status.CLOSED, Status.REJECTED, Status.DUPLICATE)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


#: Deadline = category hours x this factor.
PRIORITY_FACTOR = {Priority.LOW: 2.0, Priority.NORMAL: 1.0, Priority.HIGH: 0.5, Priority.URGENT: 0.25}


class Channel(StrEnum):
    PATROL = "patrol"  # 网格员巡查
    PHONE = "phone"  # 群众来电
    VISIT = "visit"  # 来访
    ONLINE = "online"  # 网上报送
    OTHER = "other"  # 其他


class Queue(StrEnum):
    """The dispatcher's work queues, each a condition on open incidents (``queue_condition``)."""

    NEW = "new"
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    SUSPECTED_DUPLICATES = "suspected_duplicates"

    def label(self, lang: str = "zh") -> str:
        return _QUEUE_LABELS[self][lang == "en"]


_QUEUE_LABELS = {
    Queue.NEW: ("新案件", "New"),
    Queue.UNASSIGNED: ("未分派", "Unassigned"),
    Queue.OVERDUE: ("逾期", "Overdue"),
    Queue.ESCALATED: ("已升级", "Escalated"),
    Queue.SUSPECTED_DUPLICATES: ("疑似重复", "Possible duplicates"),
}


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Incident.status.in_([s.value for s in RUNNING]), Incident.due_at < now)


# The one definition of each queue: its counts, the list it opens and its map markers all use it.
_QUEUE_CONDITIONS: dict[Queue, Callable[[datetime], ColumnElement[bool]]] = {
    Queue.NEW: lambda now: Incident.status == Status.REPORTED.value,
    Queue.UNASSIGNED: lambda now: Incident.assignee_id.is_(None),
    Queue.OVERDUE: _overdue,
    Queue.ESCALATED: lambda now: Incident.escalation_level > 0,
    Queue.SUSPECTED_DUPLICATES: lambda now: and_(
        Incident.suspected_duplicate_id.is_not(None), Incident.status == Status.REPORTED.value
    ),
}


def queue_condition(queue: Queue, now: datetime) -> ColumnElement[bool]:
    """The SQL condition an incident meets while it is in ``queue`` at ``now`` (open incidents only)."""
    return and_(Incident.status.not_in([s.value for s in FINISHED]), _QUEUE_CONDITIONS[queue](now))


# The seed catalogue: (net, code, zh, en, deadline in hours).
SEED_CATEGORIES = (
    (Net.SOCIAL, "dispute", "矛盾纠纷", "Dispute", 72),
    (Net.SOCIAL, "safety_hazard", "安全隐患", "Safety hazard", 24),
    (Net.SOCIAL, "public_order", "治安事件", "Public order incident", 12),
    (Net.SOCIAL, "livelihood", "民生诉求", "Livelihood request", 120),
    (Net.SOCIAL, "sanitation", "环境卫生", "Sanitation", 72),
    (Net.SOCIAL, "fungus_dispute", "虫草采挖纠纷", "Caterpillar-fungus harvest dispute", 24),
    (Net.RELIGIOUS, "religious_site_safety", "宗教场所安全", "Religious site safety", 24),
    (Net.RELIGIOUS, "religious_activity_filing", "宗教活动报备", "Religious activity filing", 72),
    (Net.RURAL, "poverty_monitoring", "防返贫监测", "Poverty-relapse monitoring", 168),
    (Net.RURAL, "industry_project", "产业项目", "Industry project", 240),
    (Net.RURAL, "infrastructure", "基础设施", "Rural infrastructure", 168),
)

DUPLICATE_RADIUS_M = 500
# Wider than 500 m in every direction at Deqin's latitude (1° of longitude ≈ 98 km there).
DUPLICATE_RADIUS_DEGREES = 0.006
DUPLICATE_WINDOW = timedelta(hours=48)
_PHONE = re.compile(r"^[0-9+\-() ]{0,30}$")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
# Photos only, recognised by their first bytes (a client's Content-Type is not trusted).
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"))
LIMITS = {"title": 200, "description": 5000, "address": 200, "reporter_name": 50, "note": 2000}


class AttachmentTooLarge(GridError):
    status = 413


class UnsupportedAttachment(GridError):
    status = 415


class CategoryExists(GridError):
    """A category with that code is already in the catalogue."""

    status = 409


class InvalidTransition(GridError):
    """The action does not apply to the incident's current status."""

    status = 422


class StaleVersion(GridError):
    """Someone changed the incident since the caller read it; ``details`` holds the current state."""

    status = 409


@dataclass(frozen=True)
class Action:
    """A workflow step: from which statuses, to which (None = unchanged), by whom, stamping what."""

    sources: tuple[Status, ...]
    target: Status | None
    roles: tuple[Role, ...]
    stamp: str | None = None
    assignee_may: bool = False  # the assigned grid worker may do it too


_DESK = (Role.DISPATCHER, Role.ADMIN)
ACTIONS: dict[str, Action] = {
    "register": Action((Status.REPORTED,), Status.REGISTERED, _DESK, "registered_at"),
    "dispatch": Action((Status.REGISTERED,), Status.DISPATCHED, _DESK, "dispatched_at"),
    "accept": Action((Status.DISPATCHED,), Status.IN_PROGRESS, _DESK, "started_at", assignee_may=True),
    "resolve": Action((Status.DISPATCHED, Status.IN_PROGRESS), Status.RESOLVED, _DESK, "resolved_at", True),
    "verify": Action((Status.RESOLVED,), Status.CLOSED, _DESK, "closed_at"),
    "reopen": Action((Status.RESOLVED, Status.CLOSED), Status.DISPATCHED, _DESK),
    "reject": Action((Status.REPORTED, Status.REGISTERED), Status.REJECTED, _DESK, "closed_at"),
    "duplicate": Action((Status.REPORTED, Status.REGISTERED), Status.DUPLICATE, _DESK, "closed_at"),
    "reassign": Action((Status.REPORTED, Status.REGISTERED, *RUNNING), None, _DESK),
    "escalate": Action(RUNNING, None, _DESK),
    "note": Action((Status.REPORTED, Status.REGISTERED, *RUNNING, Status.RESOLVED), None, _DESK, assignee_may=True),
}


@dataclass(frozen=True)
class IncidentInput:
    """What a reporter or dispatcher sends to open an incident (raw, checked by ``create_incident``)."""

    net: str
    category: str
    title: str
    lon: str | float
    lat: str | float
    description: str = ""
    address: str = ""
    channel: str = Channel.OTHER.value
    priority: str = Priority.NORMAL.value
    reporter_name: str = ""
    reporter_phone: str = ""
    crs: str = SourceCRS.WGS84.value


def now_utc() -> datetime:
    return datetime.now(UTC)


def add_category(session: Session, values: dict) -> IncidentCategory:
    """Add a category to the catalogue; CategoryExists if its code is taken, even by a request at this moment."""
    # The unique code decides between two racing requests: the loser's insert waits for the winner and writes nothing.
    added = session.scalar(
        pg_insert(IncidentCategory)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[IncidentCategory.code])
        .returning(IncidentCategory.id)
    )
    if added is None:
        raise CategoryExists("category {code} exists", field="code", code=values["code"])
    return session.get_one(IncidentCategory, added)


def seed_categories(session: Session) -> None:
    """Add the seed catalogue entries that are missing."""
    existing = set(session.scalars(select(IncidentCategory.code)))
    for net, code, zh, en, hours in SEED_CATEGORIES:
        if code not in existing:
            session.add(IncidentCategory(net=net.value, code=code, name_zh=zh, name_en=en, sla_hours=hours))
    session.flush()


def _text(value: object, field: str, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("{field} must be text", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput("{field} is required", field=field)
    if len(value) > LIMITS[field]:
        raise InvalidInput("{field} is longer than {limit} characters", field=field, limit=LIMITS[field])
    return value


def _category(session: Session, code: str, net: str) -> IncidentCategory:
    category = session.scalar(select(IncidentCategory).where(IncidentCategory.code == code))
    if category is None or not category.is_active:
        raise InvalidInput("unknown category {code!r}", field="category", code=str(code)[:40])
    if category.net != net:
        raise InvalidInput(
            "category {code} belongs to the {net} net, not {other}",
            field="category",
            code=code,
            net=category.net,
            other=net,
        )
    return category


def deadline(category: IncidentCategory, priority: str, start: datetime) -> datetime:
    """When an incident dispatched at ``start`` is due."""
    return start + timedelta(hours=category.sla_hours * PRIORITY_FACTOR[Priority(priority)])


def _available(worker: GridWorker, on: date) -> bool:
    if worker.unavailable_from is None:
        return True
    until = worker.unavailable_until or date.max
    return not (worker.unavailable_from <= on <= until)


def route_worker(session: Session, net: str, group_code: str, on: date, from_depth: int = 3) -> GridWorker | None:
    """Return who answers for ``net`` at ``group_code``: the group's worker, else up the chain.

    Starts at ``from_depth`` (3 = group, 2 = village, 1 = township, 0 = county) and
    passes over workers without the net or on leave that day.
    """
    codes = chain_codes(group_code)[: from_depth + 1]
    workers = session.scalars(
        select(GridWorker)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(Grid.code.in_(codes), GridWorker.nets.contains([net]))
        .order_by(func.length(Grid.code).desc(), GridWorker.code)
    ).all()
    return next((w for w in workers if _available(w, on)), None)


def _route_in_chain(chain: list[ChainLink], net: str, on: date) -> WorkerSummary | None:
    """``route_worker`` on a lookup's chain, which already holds each level's workers: no second query."""
    for link in reversed(chain):
        for worker in link.workers:  # ordered by code, as route_worker orders them
            if net in worker.nets and worker.available_on(on):
                return worker
    return None


def _depth_of(worker: GridWorker | None) -> int:
    if worker is None:
        return 3
    return GridLevel.of_code(worker.grid.code).depth


def visible(principal: Principal):
    """SQL condition: the incident lies in the caller's jurisdiction and one of their nets."""
    return and_(principal.scope(Incident.group_code), Incident.net.in_(sorted(principal.nets)))


def _touch(incident: Incident, now: datetime) -> None:
    incident.updated_at = now
    incident.change_seq = INCIDENT_CHANGE_SEQ.next_value()


def _event(
    session: Session,
    incident: Incident,
    actor: str,
    action: str,
    before: str | None,
    now: datetime,
    note: str = "",
    data: dict | None = None,
) -> None:
    session.add(
        IncidentEvent(
            incident_id=incident.id,
            at=now,
            actor=actor,
            action=action,
            from_status=before,
            to_status=incident.status,
            note=note,
            data=data,
        )
    )


def _intake_statement():
    """One statement for a report: check the category, find a suspected duplicate, write the incident, its history
    and its audit event.

    Intake is the hot path (a whole county reporting from phones), and each round
    trip and ORM flush cost more than the work inside PostgreSQL: this replaces
    six statements and two flushes. No row comes back when the category is not
    an active one of the net (nothing is written), or when the caller's
    ``Idempotency-Key`` was used by a concurrent submission (``ON CONFLICT``).
    """
    incident, event, category = Incident.__table__, IncidentEvent.__table__, IncidentCategory.__table__
    now = bindparam("now", type_=DateTime(timezone=True))
    here = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), 4326)
    chosen = (
        select(category.c.id, category.c.name_zh, category.c.name_en)
        .where(
            category.c.code == bindparam("category", type_=String),
            category.c.net == bindparam("net", type_=String),
            category.c.is_active,
        )
        .cte("chosen")
    )
    suspect = (
        select(incident.c.id, incident.c.ticket)
        .where(
            incident.c.category_id == select(chosen.c.id).scalar_subquery(),
            # Plain comparisons: an IN list would compile to an expanding parameter the driver cannot take.
            *(incident.c.status != status.value for status in FINISHED),
            incident.c.reported_at.between(now - DUPLICATE_WINDOW, now + DUPLICATE_WINDOW),
            # A box in degrees first, which the spatial index answers; then the exact distance in metres.
            func.ST_DWithin(incident.c.location, here, DUPLICATE_RADIUS_DEGREES),
            func.ST_DWithin(func.Geography(incident.c.location), func.Geography(here), DUPLICATE_RADIUS_M),
        )
        .order_by(func.ST_Distance(func.Geography(incident.c.location), func.Geography(here)))
        .limit(1)
        .cte("suspect")
    )
    new = select(func.nextval(func.pg_get_serial_sequence("incident", "id")).label("id")).cte("new")
    number = cast(new.c.id, Text)
    values = {
        "id": new.c.id,
        # DQ-2026-000123: six digits at least, more once a county reports its millionth case.
        "ticket": bindparam("ticket_prefix", type_=String)
        + func.lpad(number, func.greatest(6, func.length(number)), "0"),
        "net": bindparam("net", type_=String),
        "category_id": chosen.c.id,
        "location": here,
        "status": literal(Status.REPORTED.value),
        "escalation_level": literal(0),
        "suspected_duplicate_id": select(suspect.c.id).scalar_subquery(),
        "reopen_count": literal(0),
        "is_demo": false(),
        "reported_at": now,
        "updated_at": now,
        "change_seq": INCIDENT_CHANGE_SEQ.next_value(),
        "version": literal(1),
        **{
            name: bindparam(name, type_=incident.c[name].type)
            for name in (
                "title",
                "description",
                "address",
                "channel",
                "priority",
                "reporter_name",
                "reporter_phone",
                "group_id",
                "group_code",
                "generation",
                "assignee_id",
                "created_by",
                "idempotency_key",
                "request_fingerprint",
            )
        },
    }
    inserted = (
        pg_insert(Incident)
        .from_select(list(values), select(*values.values()).select_from(new.join(chosen, true())))
        .on_conflict_do_nothing(index_elements=[incident.c.created_by, incident.c.idempotency_key])
        .returning(incident.c.id, incident.c.ticket, incident.c.change_seq)
        .cte("inserted")
    )
    history = (
        insert(IncidentEvent)
        .from_select(
            ["incident_id", "at", "actor", "action", "from_status", "to_status", "note", "data"],
            select(
                inserted.c.id,
                now,
                bindparam("created_by", type_=String),
                literal("report"),
                null(),
                literal(Status.REPORTED.value),
                literal(""),
                cast(bindparam("event_data", type_=Text), JSONB),
            ),
        )
        .returning(event.c.id)
        .cte("history")
    )
    audited = (
        insert(AuditEvent)
        .from_select(
            ["actor", "action", "entity", "entity_id", "after", "address"],
            select(
                bindparam("created_by", type_=String),
                literal("incident.report"),
                literal("incident"),
                inserted.c.ticket,
                cast(bindparam("audit_after", type_=Text), JSONB),
                bindparam("client_address", type_=String),
            ),
        )
        .returning(AuditEvent.__table__.c.id)
        .cte("audited")
    )
    return select(
        inserted.c.id,
        inserted.c.ticket,
        inserted.c.change_seq,
        chosen.c.id.label("category_id"),
        chosen.c.name_zh,
        chosen.c.name_en,
        select(suspect.c.id).scalar_subquery().label("suspected_id"),
        select(suspect.c.ticket).scalar_subquery().label("suspected_ticket"),
    ).select_from(inserted.join(chosen, true()).join(history, true()).join(audited, true()))


_INTAKE = CompiledQuery(_intake_statement)


@dataclass(frozen=True)
class Intake:
    """What reporting an incident did: the incident, whether this call made it, and the answer to send."""

    incident: Incident
    created: bool
    detail: dict


@dataclass(frozen=True)
class _CategoryNames:
    code: str
    name_zh: str
    name_en: str


_INTAKE_KEYS = KeyColumns(Incident.created_by, Incident.idempotency_key, Incident.request_fingerprint)


def _replayed(session: Session, key: IdempotencyKey) -> Intake | None:
    earlier = first_made(session, Incident, _INTAKE_KEYS, key)
    return Intake(earlier, False, incident_detail(session, earlier)) if earlier is not None else None


def create_incident(
    session: Session,
    principal: Principal,
    data: IncidentInput,
    *,
    idempotency_key: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> Intake:
    """Open an incident routed to the worker who answers for its place and net; audited from ``address``.

    A repeated ``idempotency_key`` from the same caller returns the incident the
    first submission made, with ``created`` False; with a different report it is
    refused (KeyReused). Everything is checked before anything is written: a
    refused report leaves nothing behind.
    """
    now = now or now_utc()
    # A repeated key is found by the insert itself (ON CONFLICT), not by a query before it: retries are
    # rare, and a first report should not pay a round trip for them.
    principal.require_writer()
    key = IdempotencyKey.of(principal.username, idempotency_key, asdict(data))
    net = one_of(Net, data.net, "net").value
    if not principal.has_net(net):
        raise AccessDenied("you do not hold the {net} net", net=net)
    if not isinstance(data.category, str) or len(data.category) > 40:
        raise InvalidInput("unknown category {code!r}", field="category", code=str(data.category)[:40])
    title = _text(data.title, "title", required=True)
    description = _text(data.description, "description")
    place_address = _text(data.address, "address")
    reporter_name = _text(data.reporter_name, "reporter_name")
    reporter_phone = data.reporter_phone or ""
    if not isinstance(reporter_phone, str) or not _PHONE.match(reporter_phone):
        raise InvalidInput(
            "reporter_phone may hold only digits, spaces and + - ( ), 30 at most", field="reporter_phone"
        )
    channel = one_of(Channel, data.channel, "channel").value
    priority = one_of(Priority, data.priority, "priority").value
    source = one_of(SourceCRS, str(data.crs).lower(), "crs")
    lon, lat = parse_coordinates(str(data.lon), str(data.lat))
    lon, lat = (float(v) for v in to_wgs84(lon, lat, source))
    try:
        place = lookup_point(session, lon, lat, principal)
    except NotFound:
        raise InvalidInput("the point lies outside your jurisdiction", field="lon") from None
    if not place.inside_county:
        if place.neighbour_county:
            raise InvalidInput(
                "the point lies outside Deqin County (it is in {county})",
                field="lon",
                county=place.neighbour_county["name_zh"],
            )
        raise InvalidInput("the point lies outside Deqin County", field="lon")
    group = place.chain[-1]
    principal.require_change(group.code)
    assignee = _route_in_chain(place.chain, net, county_day(now))
    values = {
        "net": net,
        "title": title,
        "description": description,
        "address": place_address,
        "channel": channel,
        "priority": priority,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone.strip(),
        "group_id": group.grid_id,
        "group_code": group.code,
        "generation": place.generation,
        "assignee_id": assignee.id if assignee else None,
        "created_by": principal.username,
        "idempotency_key": idempotency_key,
        "request_fingerprint": key.fingerprint if key else None,
    }
    routed = {"assignee": assignee.code if assignee else None, "group": group.code}
    reported = {
        "status": Status.REPORTED.value,
        "net": net,
        "category": data.category,
        "title": title,
        "priority": priority,
        "generation": place.generation,
        **routed,
    }
    written = _INTAKE.execute(
        session.connection(),
        **values,
        category=data.category,
        lon=lon,
        lat=lat,
        now=now,
        ticket_prefix=f"DQ-{now.year}-",
        event_data=json.dumps(routed),
        audit_after=json.dumps(reported, ensure_ascii=False),
        client_address=address,
    ).first()
    if written is None:
        if key is not None and (replay := _replayed(session, key)):
            return replay  # a retry of a report already made (or being made at this moment)
        _category(session, data.category, net)  # names what is wrong with the category
        raise InvalidInput("category {code!r} cannot be reported", field="category", code=data.category)
    incident = Incident(
        **values,
        id=written.id,
        ticket=written.ticket,
        category_id=written.category_id,
        location=WKTElement(f"POINT({lon} {lat})", srid=4326),
        status=Status.REPORTED.value,
        escalation_level=0,
        due_at=None,
        duplicate_of_id=None,
        suspected_duplicate_id=written.suspected_id,
        reopen_count=0,
        is_demo=False,
        reported_at=now,
        registered_at=None,
        dispatched_at=None,
        started_at=None,
        resolved_at=None,
        closed_at=None,
        updated_at=now,
        change_seq=written.change_seq,
        version=1,
    )
    # Known without asking the database again: make it an ordinary loaded, unchanged instance.
    make_transient_to_detached(incident)
    session.add(incident)
    history = {
        "at": now.isoformat(),
        "actor": principal.username,
        "action": "report",
        "from": None,
        "to": Status.REPORTED.value,
        "note": "",
        "data": routed,
    }
    detail = _detail(
        incident,
        now,
        category=_CategoryNames(data.category, written.name_zh, written.name_en),
        assignee=assignee,
        chain=[(link.code, link.name_zh, link.level) for link in place.chain],
        history=[history],
        attachments=[],
        duplicate_of=None,
        suspected_of=written.suspected_ticket,
    )
    return Intake(incident, True, detail)


def get_incident(session: Session, principal: Principal, ticket: str) -> Incident:
    """Return the incident ``ticket`` if the caller may see it (else NotFound, as if absent)."""
    incident = session.scalar(select(Incident).where(Incident.ticket == ticket, visible(principal)))
    if incident is None:
        raise NotFound("no incident {ticket!r} in your jurisdiction", ticket=ticket[:30])
    return incident


def _worker_by_code(session: Session, principal: Principal, code: str) -> GridWorker:
    """The worker, if the caller may see them: one outside the jurisdiction or nets answers as if absent."""
    worker = session.scalar(
        select(GridWorker)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(GridWorker.code == code, principal.scope(Grid.code))
    )
    if worker is None or not principal.sees_worker(worker.nets):
        raise InvalidInput("no grid worker {code!r}", field="worker", code=code[:20])
    return worker


def _check_allowed(principal: Principal, step: Action, incident: Incident, doing: str) -> None:
    """The caller's role allows ``step``, or they are the assigned worker and the step lets them."""
    is_assignee = (
        principal.worker_code is not None
        and incident.assignee is not None
        and incident.assignee.code == principal.worker_code
    )
    if principal.role not in step.roles and not (step.assignee_may and is_assignee):
        raise AccessDenied("a {role} cannot {action} this incident", role=principal.role, action=doing)


def apply_action(
    session: Session,
    principal: Principal,
    ticket: str,
    action: str,
    *,
    version: int,
    note: str = "",
    worker: str | None = None,
    duplicate_of: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Apply one workflow ``action`` to ``ticket`` as ``principal``; audited from ``address``.

    Raises InvalidTransition for an action the status does not allow, StaleVersion
    when ``version`` is not the incident's current one, AccessDenied when the
    caller's role (or, for a grid worker, assignment) does not allow it.
    """
    now = now or now_utc()
    step = ACTIONS.get(action)
    if step is None:
        raise InvalidInput(
            "unknown action {value!r}; one of {choices}", field="action", value=action[:30], choices=", ".join(ACTIONS)
        )
    incident = get_incident(session, principal, ticket)
    principal.require_change(incident.group_code)
    if incident.version != version:
        raise StaleVersion(
            "incident {ticket} changed since you read it (version {version}, now {current})",
            details=incident_detail(session, incident),
            ticket=ticket,
            version=version,
            current=incident.version,
        )
    _check_allowed(principal, step, incident, action)
    before = incident.status
    if Status(before) not in step.sources:
        allowed = [name for name, a in ACTIONS.items() if Status(before) in a.sources]
        raise InvalidTransition(
            "cannot {action} an incident that is {status}; possible now: {allowed}",
            action=action,
            status=before,
            allowed=allowed,
        )
    note = _text(note, "note")
    data: dict = {}
    audited_before = _audited_state(incident)
    if step.target is not None:
        incident.status = step.target.value
    if step.stamp:
        setattr(incident, step.stamp, now)
    if action in ("dispatch", "reopen"):
        incident.due_at = deadline(incident.category, incident.priority, now)
    if action == "reopen":
        incident.reopen_count += 1
        incident.resolved_at = incident.closed_at = None
    if action == "reassign":
        if not note:
            raise InvalidInput("a reassignment needs a reason in note", field="note")
        target = _worker_by_code(session, principal, worker or "")
        if incident.net not in target.nets:
            raise InvalidInput(
                "worker {code} does not serve the {net} net", field="worker", code=target.code, net=incident.net
            )
        target_code = session.scalar(select(Grid.code).where(Grid.id == target.grid_id)) or ""
        if not incident.group_code.startswith(target_code):
            raise InvalidInput("worker {code} does not answer for this place", field="worker", code=target.code)
        data = {"from": incident.assignee.code if incident.assignee else None, "to": target.code}
        incident.assignee = target
    if action == "escalate":
        data = _escalate(session, incident, now)
    if action == "duplicate":
        original = get_incident(session, principal, duplicate_of or "")
        if original.id == incident.id:
            raise InvalidInput("an incident cannot duplicate itself", field="duplicate_of")
        incident.duplicate_of_id = original.id
        data = {"original": original.ticket}
    _touch(incident, now)
    _event(session, incident, principal.username, action, before, now, note, data or None)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleVersion(
            "incident {ticket} was changed at the same moment; reload and try again", ticket=ticket
        ) from None
    _audit(session, principal.username, action, incident, audited_before, note, address)
    return incident


def _audited_state(incident: Incident) -> dict:
    """What the audit trail keeps of an incident before and after a step."""
    return {
        "status": incident.status,
        "assignee": incident.assignee.code if incident.assignee else None,
        "escalation_level": incident.escalation_level,
        "due_at": incident.due_at.isoformat() if incident.due_at else None,
        "reopen_count": incident.reopen_count,
        "version": incident.version,
    }


def _audit(
    session: Session, actor: str, action: str, incident: Incident, before: dict, note: str, address: str | None
) -> None:
    after = _audited_state(incident) | ({"note": note} if note else {})
    record(
        session,
        actor=actor,
        action=f"incident.{action}",
        entity="incident",
        entity_id=incident.ticket,
        before=before,
        after=after,
        address=address,
    )


def _escalate(session: Session, incident: Incident, now: datetime) -> dict:
    """Hand the incident one level up the chain, with a fresh deadline."""
    depth = _depth_of(incident.assignee)
    if depth == 0:
        raise InvalidTransition("the incident is already with the county")
    target = route_worker(session, incident.net, incident.group_code, county_day(now), from_depth=depth - 1)
    data = {"from": incident.assignee.code if incident.assignee else None, "to": target.code if target else None}
    incident.assignee = target
    incident.escalation_level = 3 - _depth_of(target) if target else incident.escalation_level + 1
    incident.due_at = deadline(incident.category, incident.priority, now)
    return data


def escalate_overdue(session: Session, now: datetime | None = None) -> list[str]:
    """Escalate every running incident past its deadline one level up; return their tickets.

    Idempotent: an escalated incident gets a fresh deadline, so running this again
    at the same moment changes nothing. Incidents already with the county stay
    there, flagged overdue.
    """
    now = now or now_utc()
    overdue = session.scalars(
        select(Incident)
        .where(Incident.status.in_([s.value for s in RUNNING]), Incident.due_at < now)
        .order_by(Incident.id)
        .with_for_update(skip_locked=True)
    ).all()
    escalated = []
    for incident in overdue:
        if _depth_of(incident.assignee) == 0:
            continue
        before = _audited_state(incident)
        data = _escalate(session, incident, now)
        _touch(incident, now)
        _event(session, incident, "system", "escalate", incident.status, now, "逾期自动升级 overdue", data)
        session.flush()  # the new version, for the audit trail
        _audit(session, "system", "escalate", incident, before, "逾期自动升级 overdue", None)
        escalated.append(incident.ticket)
    session.flush()
    return escalated


def is_overdue(incident: Incident, now: datetime) -> bool:
    return incident.status in RUNNING and incident.due_at is not None and incident.due_at < now


def incident_marker(incident: Incident, now: datetime, queues: int = 0) -> dict:
    """The few fields a map marker needs (``queues``: its ``queue_mask``): ten thousand of them must stay small."""
    point = to_shape(incident.location)
    return {
        "type": "Feature",
        "id": incident.ticket,
        "geometry": {"type": "Point", "coordinates": [round(point.x, 5), round(point.y, 5)]},
        # Status, net, overdue and escalation draw the marker; category, group, day and queues let
        # the console's filters hide markers in the browser without asking the server again.
        "properties": {
            "s": incident.status,
            "n": incident.net,
            "o": 1 if is_overdue(incident, now) else 0,
            "e": incident.escalation_level,
            "c": incident.category.code,
            "g": incident.group_code,
            "d": county_day(incident.reported_at).isoformat(),
            "q": queues,
        },
    }


def incident_summary(incident: Incident, now: datetime) -> dict:
    """The fields a list, a queue or a map marker needs (small: it travels to phones)."""
    return _summary(incident, now, incident.category, incident.assignee)


def _summary(incident: Incident, now: datetime, category, assignee) -> dict:
    """``incident_summary`` with the category (code, name_zh, name_en) and assignee (code, name) given."""
    point = to_shape(incident.location)
    return {
        "ticket": incident.ticket,
        "net": incident.net,
        "category": category.code,
        "category_zh": category.name_zh,
        "category_en": category.name_en,
        "title": incident.title,
        "status": incident.status,
        "priority": incident.priority,
        "lon": round(point.x, 6),
        "lat": round(point.y, 6),
        "group_code": incident.group_code,
        "assignee": assignee.code if assignee else None,
        "assignee_name": assignee.name if assignee else None,
        "escalation_level": incident.escalation_level,
        "due_at": incident.due_at.isoformat() if incident.due_at else None,
        "overdue": is_overdue(incident, now),
        "suspected_duplicate": incident.suspected_duplicate_id is not None,
        "reported_at": incident.reported_at.isoformat(),
        "version": incident.version,
    }


def incident_detail(session: Session, incident: Incident, now: datetime | None = None) -> dict:
    """Everything about one incident: fields, stage times, history, the responsible chain."""
    history = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)
    ).all()
    chain = session.execute(
        select(Grid.code, Grid.name_zh, Grid.level).where(Grid.code.in_(chain_codes(incident.group_code)))
    ).all()
    attachments = session.execute(
        select(
            IncidentAttachment.id, IncidentAttachment.filename, IncidentAttachment.content_type, IncidentAttachment.size
        )
        .where(IncidentAttachment.incident_id == incident.id)
        .order_by(IncidentAttachment.id)
    )
    duplicate_of = session.get(Incident, incident.duplicate_of_id) if incident.duplicate_of_id else None
    suspected = session.get(Incident, incident.suspected_duplicate_id) if incident.suspected_duplicate_id else None
    return _detail(
        incident,
        now or now_utc(),
        category=incident.category,
        assignee=incident.assignee,
        chain=sorted(chain, key=lambda row: len(row[0])),
        history=[
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
                "data": e.data,
            }
            for e in history
        ],
        attachments=[
            {"id": id_, "filename": filename, "content_type": content_type, "size": size}
            for id_, filename, content_type, size in attachments
        ],
        duplicate_of=duplicate_of.ticket if duplicate_of else None,
        suspected_of=suspected.ticket if suspected else None,
    )


_STAGES = ("reported_at", "registered_at", "dispatched_at", "started_at", "resolved_at", "closed_at")


def _detail(
    incident: Incident,
    now: datetime,
    *,
    category,
    assignee,
    chain: Sequence[tuple[str, str, str]],
    history: list[dict],
    attachments: list[dict],
    duplicate_of: str | None,
    suspected_of: str | None,
) -> dict:
    """``incident_detail`` from parts already at hand; ``chain`` holds (code, name_zh, level), county first."""
    return {
        **_summary(incident, now, category, assignee),
        "description": incident.description,
        "address": incident.address,
        "channel": incident.channel,
        "reporter_name": incident.reporter_name,
        "reporter_phone": incident.reporter_phone,
        "reopen_count": incident.reopen_count,
        "duplicate_of": duplicate_of,
        "suspected_duplicate_of": suspected_of,
        "stages": {name: getattr(incident, name).isoformat() if getattr(incident, name) else None for name in _STAGES},
        "chain": [{"code": code, "name_zh": name, "level": level} for code, name, level in chain],
        "history": history,
        "actions": [name for name, a in ACTIONS.items() if Status(incident.status) in a.sources],
        "attachments": attachments,
    }


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of the incident list, feed and export (all optional)."""

    net: str | None = None
    status: str | None = None
    category: str | None = None
    grid: str | None = None
    since: date | None = None
    until: date | None = None
    overdue: bool = False
    queue: str | None = None
    assignee: str | None = None


def filtered(principal: Principal, filters: IncidentFilter, now: datetime):
    """A query of visible incidents matching ``filters``, newest first."""
    query = select(Incident).where(visible(principal)).order_by(Incident.reported_at.desc(), Incident.id.desc())
    if filters.net:
        query = query.where(Incident.net == one_of(Net, filters.net, "net").value)
    if filters.status:
        statuses = [one_of(Status, s, "status").value for s in filters.status.split(",")]
        query = query.where(Incident.status.in_(statuses))
    if filters.category:
        query = query.where(Incident.category.has(IncidentCategory.code == filters.category))
    if filters.grid:
        if not filters.grid.isdigit():
            raise InvalidInput("grid must be a grid code (digits)", field="grid")
        query = query.where(Incident.group_code.startswith(filters.grid, autoescape=True))
    if filters.since:
        query = query.where(Incident.reported_at >= day_start(filters.since))
    if filters.until:
        end = day_start(filters.until + timedelta(days=1))
        query = query.where(Incident.reported_at < end)
    if filters.overdue:
        query = query.where(_overdue(now))
    if filters.queue:
        query = query.where(queue_condition(one_of(Queue, filters.queue, "queue"), now))
    if filters.assignee:
        query = query.where(Incident.assignee.has(GridWorker.code == filters.assignee))
    return query


def queue_counts(session: Session, principal: Principal, now: datetime) -> dict[str, int]:
    """How many visible incidents each of the dispatcher's queues holds, in one statement."""
    counts = session.execute(
        select(*(func.count().filter(queue_condition(queue, now)).label(queue.value) for queue in Queue)).where(
            visible(principal)
        )
    ).one()
    return dict(counts._mapping)


def queue_bit(queue: Queue) -> int:
    """The bit that stands for ``queue`` in a ``queue_mask``."""
    return 1 << list(Queue).index(queue)


def queue_mask(now: datetime) -> ColumnElement[int]:
    """An incident's queues as a sum of ``queue_bit``, so the console can filter map markers by queue."""
    return sum(
        (case((queue_condition(queue, now), queue_bit(queue)), else_=0) for queue in Queue),
        start=literal(0),
    )


def feed(
    session: Session,
    principal: Principal,
    since: int,
    net: str | None = None,
    limit: int = 20000,
    now: datetime | None = None,
) -> tuple[Sequence[tuple[Incident, int]], int]:
    """Incidents changed after change number ``since`` with their ``queue_mask``, and the number to ask from next.

    An unchanged poll costs one index lookup (the highest change number) and no rows.
    """
    current = session.scalar(select(func.max(Incident.change_seq))) or 0
    if since >= current:
        return [], since
    query = select(Incident, queue_mask(now or now_utc())).where(visible(principal), Incident.change_seq > since)
    if net:
        query = query.where(Incident.net == one_of(Net, net, "net").value)
    rows = session.execute(query.order_by(Incident.change_seq).limit(limit)).all()
    cursor = rows[-1][0].change_seq if len(rows) == limit else current
    return rows, cursor


def _image_type(data: bytes) -> str | None:
    for signature, content_type in IMAGE_SIGNATURES:
        if data.startswith(signature) and (content_type != "image/webp" or data[8:12] == b"WEBP"):
            return content_type
    return None


def add_attachment(
    session: Session,
    principal: Principal,
    ticket: str,
    filename: str,
    data: bytes,
    *,
    address: str | None = None,
    now: datetime | None = None,
) -> IncidentAttachment:
    """Attach a photo (JPEG, PNG or WebP, at most 5 MB, ten per incident) to an incident; audited from ``address``."""
    now = now or now_utc()
    incident = get_incident(session, principal, ticket)
    principal.require_change(incident.group_code)
    step = ACTIONS["note"]  # who may add a note may add a photo, in the same statuses
    _check_allowed(principal, step, incident, "attach")
    if Status(incident.status) not in step.sources:
        raise InvalidTransition("cannot add photos to an incident that is {status}", status=incident.status)
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(
            "the file is larger than {limit} MB", field="file", limit=MAX_ATTACHMENT_BYTES // (1024 * 1024)
        )
    content_type = _image_type(data)
    if content_type is None:
        raise UnsupportedAttachment("only photos (JPEG, PNG or WebP) can be attached", field="file")
    count = session.scalar(
        select(func.count()).select_from(IncidentAttachment).where(IncidentAttachment.incident_id == incident.id)
    )
    if (count or 0) >= MAX_ATTACHMENTS:
        raise InvalidInput("an incident holds at most {limit} photos", field="file", limit=MAX_ATTACHMENTS)
    name = (filename or "photo").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "photo"
    attachment = IncidentAttachment(
        incident_id=incident.id,
        filename=name,
        content_type=content_type,
        size=len(data),
        data=data,
        uploaded_by=principal.username,
        at=now,
    )
    session.add(attachment)
    _touch(incident, now)
    _event(session, incident, principal.username, "attach", incident.status, now, data={"file": name})
    session.flush()
    record(
        session,
        actor=principal.username,
        action="incident.attach",
        entity="incident",
        entity_id=incident.ticket,
        after={"attachment": attachment.id, "file": name, "content_type": content_type, "size": len(data)},
        address=address,
    )
    return attachment


def get_attachment(session: Session, principal: Principal, ticket: str, attachment_id: int) -> IncidentAttachment:
    """Return one photo of an incident the caller may see."""
    incident = get_incident(session, principal, ticket)
    attachment = session.scalar(
        select(IncidentAttachment).where(
            IncidentAttachment.id == attachment_id, IncidentAttachment.incident_id == incident.id
        )
    )
    if attachment is None:
        raise NotFound("no attachment {attachment} on {ticket}", attachment=attachment_id, ticket=ticket)
    return attachment
