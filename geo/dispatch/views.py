"""Reading cases: markers, summaries, details, filtered lists and the map's feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import (
    ColumnElement,
    Numeric,
    Text,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session, joinedload

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.calendar import COUNTY_TZ, county_day, day_start
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.dispatch.actions import ACTIONS, offered_actions
from geo.dispatch.models import OPEN_INCIDENT, Incident, IncidentAttachment, IncidentCategory, IncidentEvent
from geo.dispatch.queues import Queue, is_overdue, overdue_condition, queue_condition, queue_mask
from geo.dispatch.scope import visible
from geo.dispatch.statuses import Status
from geo.grid.models import Grid, GridWorker, Net, chain_codes, codes_under


def get_incident(session: Session, principal: Principal, ticket: str) -> Incident:
    """Return the incident ``ticket`` if the caller may see it (else NotFound, as if absent)."""
    incident = session.scalar(select(Incident).where(Incident.ticket == ticket, visible(principal)))
    if incident is None:
        raise NotFound("no incident {ticket!r} in your jurisdiction", ticket=ticket[:30])
    return incident


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
        "from_public": incident.from_public,
        "resident_reports": incident.resident_reports,
        "reported_at": incident.reported_at.isoformat(),
        "version": incident.version,
    }


def incident_detail(session: Session, incident: Incident, principal: Principal, now: datetime | None = None) -> dict:
    """One incident as ``principal`` may read it: fields, stage times, history, the chain, their steps."""
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
    return detail_from_parts(
        incident,
        now or now_utc(),
        principal=principal,
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
                "is_public": e.is_public,
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


def detail_from_parts(
    incident: Incident,
    now: datetime,
    *,
    principal: Principal,
    category,
    assignee,
    chain: Sequence[tuple[str, str, str]],
    history: list[dict],
    attachments: list[dict],
    duplicate_of: str | None,
    suspected_of: str | None,
) -> dict:
    """``incident_detail`` from parts already at hand; ``chain`` holds (code, name_zh, level), county first."""
    is_assignee = principal.worker_code is not None and assignee is not None and assignee.code == principal.worker_code
    # Reporters' phone numbers only inside the caller's jurisdiction: not to a worker the case was sent to off its
    # chain (scope.visible), who answers for another place.
    sees_reporter = principal.sees_phones(incident.group_code)
    return {
        **_summary(incident, now, category, assignee),
        "description": incident.description,
        "address": incident.address,
        "channel": incident.channel,
        "reporter_name": incident.reporter_name if sees_reporter else None,
        "reporter_phone": incident.reporter_phone if sees_reporter else None,
        "callback_consent": incident.callback_consent,
        "reopen_count": incident.reopen_count,
        "duplicate_of": duplicate_of,
        "suspected_duplicate_of": suspected_of,
        "stages": {name: getattr(incident, name).isoformat() if getattr(incident, name) else None for name in _STAGES},
        # A report made offline arrives later than it was made (reported_at): when it reached the server.
        "received_at": incident.received_at.isoformat() if incident.received_at else None,
        "chain": [{"code": code, "name_zh": name, "level": level} for code, name, level in chain],
        "history": history,
        # The caller's steps from this status: the desk's at the console, the assigned worker's on their phone page.
        "actions": offered_actions(
            Status(incident.status), at_desk=principal.can(Capability.CASE_DESK), assignee=is_assignee
        ),
        "note_required": [name for name, a in ACTIONS.items() if a.needs_note],
        "photo_on_resolve": category.photo_on_resolve,
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
        query = query.where(codes_under(Incident.group_code, filters.grid))
    if filters.since:
        query = query.where(Incident.reported_at >= day_start(filters.since))
    if filters.until:
        end = day_start(filters.until + timedelta(days=1))
        query = query.where(Incident.reported_at < end)
    if filters.overdue:
        query = query.where(overdue_condition(now))
    if filters.queue:
        query = query.where(queue_condition(one_of(Queue, filters.queue, "queue"), now, principal))
    if filters.assignee:
        query = query.where(Incident.assignee.has(GridWorker.code == filters.assignee))
    return query


def sees_more_than(session: Session, principal: Principal, count: int) -> bool:
    """Whether the caller sees more than ``count`` incidents (reads ``count`` + 1 index entries at most)."""
    return session.scalar(select(Incident.id).where(visible(principal)).offset(count).limit(1)) is not None


#: A list's total is counted up to this and then answered as "10,000+": counting every one of a
#: million cases cost more than reading the page (ask ``exact_total`` for the exact figure).
TOTAL_CAP = 10_000


@dataclass(frozen=True)
class IncidentPage:
    """One page of a filtered list and how many match (``total_capped``: at least ``total``)."""

    incidents: Sequence[Incident]
    total: int
    total_capped: bool


#: The orders a list can be read in: newest reports first, soonest deadline first (those without
#: one last), or the longest-waiting first.
SORTS = {
    "reported": (Incident.reported_at.desc(), Incident.id.desc()),
    "due": (Incident.due_at.asc().nulls_last(), Incident.reported_at.asc(), Incident.id.asc()),
    "age": (Incident.reported_at.asc(), Incident.id.asc()),
}


def incident_page(
    session: Session,
    principal: Principal,
    filters: IncidentFilter,
    now: datetime,
    *,
    page: int = 1,
    per_page: int = 50,
    exact_total: bool = False,
    sort: str = "reported",
) -> IncidentPage:
    """Page ``page`` of the visible incidents matching ``filters`` in the order ``sort``, and their total (capped)."""
    if sort not in SORTS:
        raise InvalidInput("sort must be one of {sorts}", field="sort", sorts=", ".join(SORTS))
    query = filtered(principal, filters, now).order_by(None).order_by(*SORTS[sort])
    # In no order, and up to the cap: for a jurisdiction, from ix_incident_group_code alone.
    matching = query.with_only_columns(Incident.id).order_by(None)
    if not exact_total:
        matching = matching.limit(TOTAL_CAP + 1)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    # Each summary names its category and assignee: loaded with the page, not one query per row.
    with_names = query.options(joinedload(Incident.category), joinedload(Incident.assignee))
    incidents = session.scalars(with_names.limit(per_page).offset((page - 1) * per_page)).all()
    if total > TOTAL_CAP and not exact_total:
        return IncidentPage(incidents, TOTAL_CAP, True)
    return IncidentPage(incidents, total, False)


#: Finished cases the console shows by default: those closed in the last 30 days (92 % of a million
#: cases are closed; older ones come on demand, with ``closed_since``). GRIDMAP_CONSOLE_CLOSED_DAYS
#: sets it for the console.
RECENT_CLOSURES = timedelta(days=30)


#: Markers one feed answer holds at most; the console asks again at once for the rest.
FEED_PAGE = 20_000


def marker_json(now: datetime, principal: Principal) -> ColumnElement[str]:
    """An incident's map marker as GeoJSON text, built by PostgreSQL (twenty thousand rows a poll).

    Status (s), net (n), overdue (o) and escalation (e) draw the marker; category (c), group (g),
    county day (d) and queues (q: its ``queue_mask``) let the console's filters hide markers in the
    browser without asking the server again. Coordinates are rounded to about a metre.
    """
    return cast(
        func.json_build_object(
            "type",
            "Feature",
            "id",
            Incident.ticket,
            "geometry",
            func.json_build_object(
                "type",
                "Point",
                "coordinates",
                func.json_build_array(_rounded(func.ST_X(Incident.location)), _rounded(func.ST_Y(Incident.location))),
            ),
            "properties",
            func.json_build_object(
                "s",
                Incident.status,
                "n",
                Incident.net,
                "o",
                case((overdue_condition(now), 1), else_=0),
                "e",
                Incident.escalation_level,
                "c",
                IncidentCategory.code,
                "g",
                Incident.group_code,
                "d",
                func.to_char(func.timezone(COUNTY_TZ.utcoffset(None), Incident.reported_at), "YYYY-MM-DD"),
                "q",
                queue_mask(now, principal),
            ),
        ),
        Text,
    )


def _rounded(degrees) -> ColumnElement:
    return func.round(cast(degrees, Numeric), 5)


def latest_change(session: Session) -> int:
    """The highest change number of any incident (0 with none): what a map has seen when it asks from here."""
    return session.scalar(select(func.max(Incident.change_seq))) or 0


def feed(
    session: Session,
    principal: Principal,
    since: int,
    net: str | None = None,
    *,
    closed_since: date | None = None,
    limit: int = FEED_PAGE,
    now: datetime | None = None,
) -> tuple[list[str], int]:
    """Markers (``marker_json``) of incidents changed after change number ``since``, and the number to ask from next.

    Open incidents and those finished on or after the day ``closed_since`` (by default
    ``RECENT_CLOSURES`` ago) only. An unchanged poll costs one index lookup (the highest
    change number) and no rows.
    """
    now = now or now_utc()
    current = latest_change(session)
    if since >= current:
        return [], since
    reach = day_start(closed_since) if closed_since else day_start(county_day(now - RECENT_CLOSURES))
    query = (
        select(Incident.change_seq, marker_json(now, principal))
        .join(IncidentCategory, IncidentCategory.id == Incident.category_id)
        .where(visible(principal), Incident.change_seq > since, OPEN_INCIDENT | (Incident.closed_at >= reach))
    )
    if net:
        query = query.where(Incident.net == one_of(Net, net, "net").value)
    rows = session.execute(query.order_by(Incident.change_seq).limit(limit)).all()
    cursor = rows[-1][0] if len(rows) == limit else current
    return [marker for _, marker in rows], cursor
