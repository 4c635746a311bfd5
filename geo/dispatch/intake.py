"""Intake: a new case checked, routed, checked for duplicates and stored in one statement."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from geoalchemy2 import WKTElement
from sqlalchemy import (
    String,
    bindparam,
    cast,
    false,
    func,
    insert,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.types import UserDefinedType

from geo.accounts.principal import AccessDenied, Principal
from geo.atlas.lookup import ChainLink, LookupResult, WorkerSummary, lookup_point, parse_coordinates
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.crs import SourceCRS, to_wgs84
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.core.idempotency import IdempotencyKey, KeyColumns, first_made
from geo.core.models import AuditEvent
from geo.core.sql import CompiledQuery
from geo.dispatch.categories import category_for
from geo.dispatch.models import (
    INCIDENT_CHANGE_SEQ,
    CategoryDuty,
    Incident,
    IncidentCategory,
    IncidentEvent,
    is_open,
)
from geo.dispatch.nearness import DUPLICATE_RADIUS_DEGREES, DUPLICATE_RADIUS_M, DUPLICATE_WINDOW
from geo.dispatch.routing import route_in_chain
from geo.dispatch.statuses import Channel, Priority, Status
from geo.dispatch.views import detail_from_parts, incident_detail
from geo.grid.models import Net, county_of
from geo.grid.tickets import ticket_sql

#: How far ahead of the server a phone's clock may run, and how long a report may wait on a phone without signal.
CLOCK_SKEW = timedelta(minutes=5)
OFFLINE_AGE = timedelta(days=7)
_PHONE = re.compile(r"^[0-9+\-() ]{0,30}$")
LIMITS = {"title": 200, "description": 5000, "address": 200, "reporter_name": 50, "note": 2000}


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
    #: When the report was made, if not now: a phone's outbox sends it later (``observed_time``).
    observed_at: datetime | None = None


def clean_text(value: object, field: str, required: bool = False) -> str:
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


def observed_time(observed_at: object, now: datetime) -> datetime:
    """The time a report was made: ``observed_at`` from a phone's outbox, else ``now``.

    Within bounds: not ahead of ``now`` by more than ``CLOCK_SKEW`` (a phone's clock
    runs a little off), nor older than ``OFFLINE_AGE``; with a time zone, as phones send.
    """
    if observed_at is None:
        return now
    if not isinstance(observed_at, datetime) or observed_at.tzinfo is None:
        raise InvalidInput("observed_at must be a time with its time zone", field="observed_at")
    if observed_at > now + CLOCK_SKEW:
        raise InvalidInput(
            "observed_at lies in the future: the phone's clock is wrong by more than {minutes} minutes",
            field="observed_at",
            minutes=int(CLOCK_SKEW.total_seconds() // 60),
        )
    if observed_at < now - OFFLINE_AGE:
        raise InvalidInput(
            "observed_at is older than {days} days: report it again as new", field="observed_at", days=OFFLINE_AGE.days
        )
    return min(observed_at, now)


def _inline(value: str | int):
    """One of our own constants written into the intake statement rather than sent as a parameter.

    Keeps the statement under psycopg's 4,096 characters and 50 parameters, above which
    it parses the statement's placeholders again on every run (a twentieth of a report,
    issue #13). Only fixed values of this module: never anything a caller sent.
    """
    return literal_column(f"'{value}'" if isinstance(value, str) else str(int(value)))


class _AsSent(UserDefinedType):
    """The type of the intake statement's parameters: written without SQLAlchemy's cast (``%(title)s``,
    not ``%(title)s::VARCHAR``), which keeps the statement short (see ``_inline``).

    psycopg sends each value with its own type (a string as "unknown", which PostgreSQL types from
    where it stands: the column it goes into, the column it is compared with), so every one of them
    must stand where PostgreSQL can tell its type.
    """

    cache_ok = True


def _sent(name: str):
    return bindparam(name, type_=_AsSent())


def _intake_statement():
    """One statement for a report: check the category, find a suspected duplicate, write the incident, its history
    and its audit event.

    Intake is the hot path (a whole county reporting from phones), and each round
    trip and ORM flush cost more than the work inside PostgreSQL: this replaces
    six statements and two flushes. No row comes back when the category is not
    an active one of the net (nothing is written), or when the caller's
    ``Idempotency-Key`` was used by a concurrent submission (``ON CONFLICT``).
    """
    incident, event = Incident.__table__, IncidentEvent.__table__
    category = IncidentCategory.__table__.alias("k")  # short names: see _inline
    now = _sent("now")
    county = _sent("county")  # the county of the report's group (county_of)
    point = func.ST_MakePoint(_sent("lon"), _sent("lat"))
    # The point once, in a CTE its uses read as a parameter: shorter text (see ``_inline``), and still a
    # constant to the planner, so the spatial index can walk outward from it.
    placed = func.ST_SetSRID(point, _inline(4326))
    located = select(placed.label("point"), func.Geography(placed).label("ground")).cte("here")
    here, ground = select(located.c.point).scalar_subquery(), select(located.c.ground).scalar_subquery()
    chosen = (
        select(category.c.id, category.c.name_zh, category.c.name_en, category.c.photo_on_resolve)
        .where(
            category.c.code == _sent("category"),
            category.c.net == _sent("net"),
            category.c.is_active,
        )
        .cte("chosen")
    )

    def candidates(case, within_degrees):
        return (
            case.c.category_id == select(chosen.c.id).scalar_subquery(),
            # Open cases only, with the statuses written in: the partial spatial index of open cases answers.
            is_open(case.c),
            # Never across a county border: each county's staff handle their own cases.
            case.c.county_code == county,
            case.c.reported_at.between(_sent("since"), _sent("until")),  # the report's now ± the window
            # A box in degrees first, which the spatial index answers; then the exact distance in metres.
            func.ST_DWithin(case.c.location, here, within_degrees),
            func.ST_DWithin(func.Geography(case.c.location), ground, _inline(DUPLICATE_RADIUS_M)),
        )

    def metres(case):
        return func.ST_Distance(func.Geography(case.c.location), ground)

    # The suspect is the nearest candidate on the ground, found in two steps so that a crowded place
    # costs no more than a quiet one: sorting every candidate by metres read all of them (the benchmark's
    # reports crowding the county seat: 3.0 ms of PostgreSQL's time a report, 1.6 ms this way; issue #13).
    # First the nearest in degrees, which the spatial index finds by walking outward and stopping at the
    # first candidate (KNN, ``<->``). A degree of longitude is shorter than one of latitude, so the
    # nearest in metres may be another one; but none lies farther in degrees than the first one's metres
    # span at the duplicate box's ratio (wider than its metres in every direction). Then the few
    # candidates inside that small box, by metres.
    near = incident.alias("c")
    first = (
        select(metres(near).label("metres"))
        .where(*candidates(near, DUPLICATE_RADIUS_DEGREES))
        .order_by(near.c.location.op("<->")(here))
        .limit(literal_column("1"))
        .cte("first")
    )
    box = select(first.c.metres).scalar_subquery() * (DUPLICATE_RADIUS_DEGREES / DUPLICATE_RADIUS_M)
    suspect = (
        select(near.c.id, near.c.ticket, metres(near).label("metres"))
        .where(*candidates(near, box))
        .order_by(literal_column("metres"))
        .limit(literal_column("1"))
        .cte("suspect")
    )
    new = select(func.nextval(func.pg_get_serial_sequence(_inline("incident"), _inline("id"))).label("id")).cte("new")
    values = {
        "id": new.c.id,
        # The county's prefix is read here, in the same statement: intake pays no round trip for it.
        "ticket": ticket_sql(county, _sent("ticket_year"), new.c.id),
        "net": _sent("net"),
        "category_id": chosen.c.id,
        "location": here,
        "status": _inline(Status.REPORTED.value),
        "escalation_level": _inline(0),
        "suspected_duplicate_id": select(suspect.c.id).scalar_subquery(),
        "reopen_count": _inline(0),
        "is_demo": false(),
        "reported_at": _sent("reported_at"),
        "received_at": now,
        "updated_at": now,
        "change_seq": INCIDENT_CHANGE_SEQ.next_value(),
        "version": _inline(1),
        **{
            name: _sent(name)
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
                "from_public",
                "resident_reports",
                "callback_consent",
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
            ["incident_id", "at", "actor", "action", "from_status", "to_status", "note", "data", "is_public"],
            select(
                inserted.c.id,
                _sent("reported_at"),
                _sent("created_by"),
                _inline("report"),
                null(),
                _inline(Status.REPORTED.value),
                _inline(""),
                cast(_sent("event_data"), JSONB),
                false(),
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
                _sent("created_by"),
                _inline("incident.report"),
                _inline("incident"),
                inserted.c.ticket,
                cast(_sent("audit_after"), JSONB),
                _sent("client_address"),
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
        chosen.c.photo_on_resolve,
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
    photo_on_resolve: bool


_INTAKE_KEYS = KeyColumns(Incident.created_by, Incident.idempotency_key, Incident.request_fingerprint)


def _replayed(session: Session, principal: Principal, key: IdempotencyKey) -> Intake | None:
    earlier = first_made(session, Incident, _INTAKE_KEYS, key)
    return Intake(earlier, False, incident_detail(session, earlier, principal)) if earlier is not None else None


@dataclass(frozen=True)
class Routing:
    """Where a report at a point would go: its villager group, the chain above it, and the worker."""

    place: LookupResult
    group: ChainLink
    assignee: WorkerSummary | None

    def as_dict(self, principal: Principal) -> dict:
        return {
            "group": {"code": self.group.code, "name_zh": self.group.name_zh, "name_en": self.group.name_en},
            "chain": [{"code": link.code, "name_zh": link.name_zh} for link in self.place.chain],
            "assignee": (
                {"code": self.assignee.code, "name": self.assignee.name, "grid_code": self.assignee_grid}
                if self.assignee is not None
                else None
            ),
        }

    @property
    def assignee_grid(self) -> str | None:
        for link in self.place.chain:
            if self.assignee is not None and any(w.id == self.assignee.id for w in link.workers):
                return link.code
        return None


def routing_preview(
    session: Session,
    principal: Principal,
    lon: object,
    lat: object,
    crs: object,
    net: str,
    now: datetime | None = None,
    category: str | None = None,
) -> Routing:
    """Where a report at (``lon``, ``lat``) in ``net`` (and ``category``) would go, by ``create_incident``'s rules."""
    principal.require_writer()
    held = _held_net(principal, net)
    lead = _lead_post(session, category, held) if category else ""
    return Routing(*_routed(session, principal, lon, lat, crs, held, now or now_utc(), lead))


def _held_net(principal: Principal, net: object) -> str:
    value = one_of(Net, net, "net").value
    if not principal.has_net(value):
        raise AccessDenied("you do not hold the {net} net", net=value)
    return value


def _routed(session: Session, principal: Principal, lon_in, lat_in, crs, net: str, now: datetime, lead_post: str = ""):
    """The point's place, its villager group and the worker a case of ``net`` goes to (the holder of
    ``lead_post``, the duty list's lead for its category, when there is one); refusals by name."""
    source = one_of(SourceCRS, str(crs).lower(), "crs")
    lon, lat = parse_coordinates(str(lon_in), str(lat_in))
    lon, lat = (float(v) for v in to_wgs84(lon, lat, source))
    try:
        place = lookup_point(session, lon, lat, principal)
    except NotFound:
        raise InvalidInput("the point lies outside your jurisdiction", field="lon") from None
    if not place.inside_county:
        if place.neighbour_county:
            raise InvalidInput(
                "the point lies outside the counties served here (it is in {county})",
                field="lon",
                county=place.neighbour_county["name_zh"],
            )
        raise InvalidInput("the point lies outside the counties served here", field="lon")
    group = place.chain[-1]
    principal.require_change(group.code)
    return place, group, route_in_chain(place.chain, net, county_day(now), lead_post)


_LEAD_POST = CompiledQuery(
    lambda: (
        select(CategoryDuty.lead_post)
        .join(IncidentCategory, IncidentCategory.id == CategoryDuty.category_id)
        .where(
            IncidentCategory.code == bindparam("category", type_=String),
            IncidentCategory.net == bindparam("net", type_=String),
        )
    )
)


def _lead_post(session: Session, category: str, net: str) -> str:
    """The post leading ``category`` in the duty list (责任清单), or "" when the list names none."""
    # Compiled once and read through the driver: as an ORM query it cost a sixth of a report's time (issue #13).
    found = _LEAD_POST.rows(session.connection(), category=category, net=net)
    return (found[0].lead_post if found else None) or ""


def create_incident(
    session: Session,
    principal: Principal,
    data: IncidentInput,
    *,
    idempotency_key: str | None = None,
    address: str | None = None,
    from_public: bool = False,
    callback_consent: bool = False,
    now: datetime | None = None,
) -> Intake:
    """Open an incident routed to the worker who answers for its place and net; audited from ``address``.

    The case is reported at ``data.observed_at`` when a phone made it offline (bounded by
    ``observed_time``) and received ``now``; the audit keeps both.

    ``from_public`` marks a resident's report (geo.public), which counts as the first resident raising it;
    ``callback_consent`` says the reporter may be called back about the result.

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
    net = _held_net(principal, data.net)
    if not isinstance(data.category, str) or len(data.category) > 40:
        raise InvalidInput("unknown category {code!r}", field="category", code=str(data.category)[:40])
    title = clean_text(data.title, "title", required=True)
    description = clean_text(data.description, "description")
    place_address = clean_text(data.address, "address")
    reporter_name = clean_text(data.reporter_name, "reporter_name")
    reporter_phone = data.reporter_phone or ""
    if not isinstance(reporter_phone, str) or not _PHONE.match(reporter_phone):
        raise InvalidInput(
            "reporter_phone may hold only digits, spaces and + - ( ), 30 at most", field="reporter_phone"
        )
    reported_at = observed_time(data.observed_at, now)
    channel = one_of(Channel, data.channel, "channel").value
    priority = one_of(Priority, data.priority, "priority").value
    place, group, assignee = _routed(
        session, principal, data.lon, data.lat, data.crs, net, now, _lead_post(session, data.category, net)
    )
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
        "from_public": from_public,
        "resident_reports": 1 if from_public else 0,
        "callback_consent": callback_consent,
    }
    routed = {"assignee": assignee.code if assignee else None, "group": group.code}
    if reported_at != now:  # made offline: the history says when it arrived
        routed["received_at"] = now.isoformat()
    reported = {
        "status": Status.REPORTED.value,
        "net": net,
        "category": data.category,
        "title": title,
        "priority": priority,
        "generation": place.generation,
        "reported_at": reported_at.isoformat(),
        "received_at": now.isoformat(),
        **routed,
    }
    written = _INTAKE.execute(
        session.connection(),
        **values,
        category=data.category,
        lon=place.lon,
        lat=place.lat,
        now=now,
        since=now - DUPLICATE_WINDOW,
        until=now + DUPLICATE_WINDOW,
        reported_at=reported_at,
        county=county_of(group.code),
        ticket_year=county_day(now).year,  # the China Standard Time year: 1 January begins at 00:00 there
        event_data=json.dumps(routed),
        audit_after=json.dumps(reported, ensure_ascii=False),
        client_address=address,
    ).first()
    if written is None:
        if key is not None and (replay := _replayed(session, principal, key)):
            return replay  # a retry of a report already made (or being made at this moment)
        category_for(session, data.category, net)  # names what is wrong with the category
        raise InvalidInput("category {code!r} cannot be reported", field="category", code=data.category)
    incident = Incident(
        **values,
        id=written.id,
        ticket=written.ticket,
        category_id=written.category_id,
        location=WKTElement(f"POINT({place.lon} {place.lat})", srid=4326),
        status=Status.REPORTED.value,
        escalation_level=0,
        due_at=None,
        duplicate_of_id=None,
        suspected_duplicate_id=written.suspected_id,
        reopen_count=0,
        is_demo=False,
        reported_at=reported_at,
        received_at=now,
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
        "at": reported_at.isoformat(),
        "actor": principal.username,
        "action": "report",
        "from": None,
        "to": Status.REPORTED.value,
        "note": "",
        "data": routed,
        "is_public": False,
    }
    detail = detail_from_parts(
        incident,
        now,
        principal=principal,
        category=_CategoryNames(data.category, written.name_zh, written.name_en, written.photo_on_resolve),
        assignee=assignee,
        chain=[(link.code, link.name_zh, link.level) for link in place.chain],
        history=[history],
        attachments=[],
        duplicate_of=None,
        suspected_of=written.suspected_ticket,
    )
    return Intake(incident, True, detail)
