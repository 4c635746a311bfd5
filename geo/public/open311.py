"""Open311 GeoReport v2: client keys, the service list and requests as the specification names them.

Errors are the domain's own (InvalidInput 400, AccessDenied 403, NotFound 404); the
web layer writes them as the specification's list of ``{code, description}``.
Only public categories are services, and only their cases are requests.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from geo.accounts.principal import AccessDenied
from geo.core.calendar import COUNTY_TZ
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, NotFound
from geo.dispatch.models import Incident, IncidentCategory
from geo.dispatch.statuses import FINISHED
from geo.grid.counties import county_codes
from geo.public.models import Open311Client, PublicReport
from geo.public.reports import public_categories
from geo.public.tracking import PublicCase, followed, public_case, public_cases

MAX_SPAN = timedelta(days=90)
DEFAULT_LIMIT = 1000
MAX_IDS = 100


class KeyNameTaken(GridError):
    status = 409


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_key(session: Session, name: str, now: datetime | None = None) -> str:
    """Make a key for client application ``name`` and return it: only its digest is kept, so it is shown once."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise InvalidInput("a client name is 1-80 characters", field="name")
    if session.scalar(select(Open311Client).where(Open311Client.name == name)) is not None:
        raise KeyNameTaken("client {name} already has a key; revoke it first", field="name", name=name)
    api_key = secrets.token_urlsafe(32)
    session.add(Open311Client(name=name, key_hash=_digest(api_key), created_at=now or now_utc()))
    session.flush()
    return api_key


def revoke_key(session: Session, name: str, now: datetime | None = None) -> None:
    """Revoke client ``name``'s key; its requests stay. The name may then be given a new key."""
    client = session.scalar(select(Open311Client).where(Open311Client.name == name, Open311Client.revoked_at.is_(None)))
    if client is None:
        raise NotFound("no client {name} with a live key", name=name[:80])
    client.revoked_at = now or now_utc()
    client.name = f"{client.name[:50]} (revoked {client.id})"
    session.flush()


def client_for_key(session: Session, api_key: str | None) -> Open311Client:
    """The client application holding ``api_key``; AccessDenied (403) for a missing, unknown or revoked key."""
    if not api_key:
        raise AccessDenied("api_key is required to post a request")
    client = session.scalar(
        select(Open311Client).where(Open311Client.key_hash == _digest(api_key), Open311Client.revoked_at.is_(None))
    )
    if client is None:
        raise AccessDenied("api_key is not valid")
    return client


def check_jurisdiction(session: Session, value: str | None) -> None:
    """The counties in the data are served (their codes are the jurisdiction_ids); an absent one means all of them."""
    ours = county_codes(session)
    if value and value not in ours:
        raise NotFound(
            "jurisdiction_id {value} is not served here; use one of {ours}", value=value[:20], ours=", ".join(ours)
        )


def services(session: Session) -> list[IncidentCategory]:
    return public_categories(session)


def service(session: Session, code: str) -> IncidentCategory:
    found = next((category for category in services(session) if category.code == code), None)
    if found is None:
        raise NotFound("no service {code}", code=code[:40])
    return found


def open311_status(case: PublicCase) -> str:
    return "open" if case.is_open else "closed"


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' parameters, checked."""

    ids: list[str] | None
    service_codes: list[str] | None
    start: datetime
    end: datetime
    statuses: set[str]
    page: int
    page_size: int


def _time(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("{field} must be an ISO 8601 time, e.g. 2026-12-01T00:00:00+08:00", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=COUNTY_TZ)


def _whole(value: str, field: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput("{field} must be a whole number from {low} to {high}", field=field, low=low, high=high)
    return int(value)


def request_query(args: Mapping[str, str], now: datetime | None = None) -> RequestQuery:
    """Read GET requests' parameters; an empty parameter is the same as an absent one."""
    given = {name: value.strip() for name, value in args.items() if value and value.strip()}
    now = now or now_utc()
    ids = given["service_request_id"].split(",")[: MAX_IDS + 1] if "service_request_id" in given else None
    if ids is not None and len(ids) > MAX_IDS:
        raise InvalidInput("at most {limit} service_request_id values", field="service_request_id", limit=MAX_IDS)
    end = _time(given["end_date"], "end_date") if "end_date" in given else None
    start = _time(given["start_date"], "start_date") if "start_date" in given else None
    if start is None:
        start = (end or now) - MAX_SPAN
    if end is None:
        end = min(now, start + MAX_SPAN)
    if end < start:
        raise InvalidInput("end_date is before start_date", field="end_date")
    if end - start > MAX_SPAN:
        raise InvalidInput("start_date and end_date may be at most 90 days apart", field="end_date")
    statuses = set(given.get("status", "open,closed").split(","))
    if not statuses <= {"open", "closed"}:
        raise InvalidInput("status must be open, closed or both (open,closed)", field="status")
    return RequestQuery(
        ids=[i.strip() for i in ids if i.strip()] if ids is not None else None,
        service_codes=given["service_code"].split(",") if "service_code" in given else None,
        start=start,
        end=end,
        statuses=statuses,
        page=_whole(given.get("page", "1"), "page", 1, 1_000_000),
        page_size=_whole(given.get("page_size", str(DEFAULT_LIMIT)), "page_size", 1, DEFAULT_LIMIT),
    )


def _public_cases():
    return (
        select(Incident)
        .join(IncidentCategory, IncidentCategory.id == Incident.category_id)
        .where(IncidentCategory.is_public, IncidentCategory.is_active)
    )


def find_requests(session: Session, query: RequestQuery) -> list[PublicCase]:
    """The public cases matching ``query``, newest first: by ids (dates then ignored) or by dates, codes, status."""
    statement = _public_cases()
    if query.ids is not None:
        statement = statement.where(Incident.ticket.in_(query.ids))
    else:
        statement = statement.where(Incident.reported_at.between(query.start, query.end))
    if query.service_codes is not None:
        statement = statement.where(IncidentCategory.code.in_(query.service_codes))
    finished = [status.value for status in FINISHED]
    if query.statuses == {"open"}:
        statement = statement.where(Incident.status.not_in(finished))
    elif query.statuses == {"closed"}:
        statement = statement.where(Incident.status.in_(finished))
    rows = session.scalars(
        statement.options(contains_eager(Incident.category))
        .order_by(Incident.reported_at.desc(), Incident.id.desc())
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
    ).all()
    return public_cases(session, rows)


def find_request(session: Session, ticket: str) -> PublicCase:
    incident = session.scalar(_public_cases().where(Incident.ticket == ticket))
    if incident is None:
        raise NotFound("no service request {id}", id=ticket[:30])
    return public_case(session, incident)


def request_for_token(session: Session, token: str) -> tuple[str, str]:
    """(service_request_id, token) of the request posted with ``token``."""
    report = session.scalar(select(PublicReport).where(PublicReport.open311_token == token))
    if report is None:
        raise NotFound("no request has token {token}", token=token[:40])
    return followed(session, report.incident).ticket, token
