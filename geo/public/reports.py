"""Residents' reports: a new case or a supporting report joined to an open one (并单), each with a tracking code.

A resident has no account. What lets them follow their case is a tracking code
derived from the form's own Idempotency-Key with the app's secret (HMAC): the
code cannot be guessed without both, only its digest is stored, and a retry with
the same key (a dropped connection) can be answered with the same code again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import urlsafe_b64encode
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from geo.accounts.models import Role
from geo.accounts.principal import EVERY_COUNTY, Principal
from geo.atlas.lookup import parse_coordinates
from geo.core.audit import PUBLIC_ACTOR, record
from geo.core.clock import now_utc
from geo.core.crs import SourceCRS, to_wgs84
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.core.idempotency import KeyReused, fingerprint
from geo.dispatch.attachments import add_attachment, photo_type
from geo.dispatch.intake import IncidentInput, clean_text, create_incident
from geo.dispatch.models import OPEN_INCIDENT, Incident, IncidentCategory, IncidentEvent
from geo.dispatch.statuses import Channel
from geo.grid.models import Net
from geo.public.models import PublicReport
from geo.public.places import group_point

MAX_PHOTOS = 3
#: 并单: an open case of the same category this near and this recent is offered to join (configurable).
DEFAULT_JOIN_RADIUS_M = 300
DEFAULT_JOIN_WINDOW = timedelta(days=7)
_PHONE = re.compile(r"^[0-9+\-() ]{0,30}$")
_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,100}$")


def residents(username: str = PUBLIC_ACTOR) -> Principal:
    """Who files a resident's report through intake: every county (the point says which), every net (the category
    says which is public)."""
    return Principal(0, username, Role.DISPATCHER, EVERY_COUNTY, frozenset(net.value for net in Net))


@dataclass(frozen=True)
class ResidentReport:
    """What a resident sends (raw, checked by ``submit_report``): a point (lon/lat) or a villager group."""

    category: str
    description: str
    lon: str | float | None = None
    lat: str | float | None = None
    crs: str = SourceCRS.WGS84.value
    group: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    callback_consent: bool = False
    photos: tuple[tuple[str, bytes], ...] = field(default=())


@dataclass(frozen=True)
class OpenCase:
    """An open case like the resident's: offered as "already reported — add yours". Nothing anyone wrote in it."""

    ticket: str
    category: IncidentCategory
    status: str
    reported_at: datetime
    distance_m: float
    resident_reports: int


@dataclass(frozen=True)
class Receipt:
    """The answer to a resident: the ticket, the tracking code, and whether this call wrote it."""

    ticket: str
    code: str
    supporting: bool
    created: bool
    open311_token: str | None = None


def new_key() -> str:
    """A fresh Idempotency-Key for a report form (also the seed of its tracking code)."""
    return secrets.token_urlsafe(24)


def tracking_code(secret: bytes, key: str) -> str:
    """The tracking code of the report made with ``key``: unguessable without the app's secret."""
    digest = hmac.new(secret, b"track:" + key.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def public_categories(session: Session) -> list[IncidentCategory]:
    """The categories residents may report, by net and id."""
    return list(
        session.scalars(
            select(IncidentCategory)
            .where(IncidentCategory.is_public, IncidentCategory.is_active)
            .order_by(IncidentCategory.net, IncidentCategory.id)
        )
    )


def public_category(session: Session, code: object) -> IncidentCategory:
    category = (
        session.scalar(
            select(IncidentCategory).where(
                IncidentCategory.code == code, IncidentCategory.is_public, IncidentCategory.is_active
            )
        )
        if isinstance(code, str) and len(code) <= 40
        else None
    )
    if category is None:
        raise InvalidInput("choose a category from the list", field="category")
    return category


def open_case_like(
    session: Session, category: IncidentCategory, lon: float, lat: float, now: datetime, radius_m: float, window
) -> OpenCase | None:
    """The nearest open case of ``category`` within ``radius_m`` metres, reported within ``window`` of ``now``."""
    here = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    distance = func.ST_Distance(func.Geography(Incident.location), func.Geography(here))
    row = session.execute(
        select(Incident, distance)
        .where(
            Incident.category_id == category.id,
            OPEN_INCIDENT,
            Incident.reported_at >= now - window,
            func.ST_DWithin(func.Geography(Incident.location), func.Geography(here), radius_m),
        )
        .order_by(distance)
        .limit(1)
    ).first()
    if row is None:
        return None
    incident, metres = row
    return OpenCase(
        incident.ticket, category, incident.status, incident.reported_at, float(metres), incident.resident_reports
    )


def _checked_key(key: str | None) -> str:
    if key is None:
        return new_key()
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidInput("the form has expired; reload the page and send it again", field="Idempotency-Key")
    return key


def _replay(session: Session, key: str, digest: str, secret: bytes) -> Receipt | None:
    earlier = session.scalar(select(PublicReport).where(PublicReport.idempotency_key == key))
    if earlier is None:
        return None
    if earlier.request_fingerprint != digest:
        raise KeyReused(
            "Idempotency-Key {key} was already used for a different request; send a new key for a new request",
            field="Idempotency-Key",
            key=key,
        )
    return Receipt(
        earlier.incident.ticket, tracking_code(secret, key), earlier.is_supporting, False, earlier.open311_token
    )


def submit_report(
    session: Session,
    report: ResidentReport,
    *,
    secret: bytes,
    key: str | None = None,
    join: str = "",
    reporter: str = PUBLIC_ACTOR,
    client_id: int | None = None,
    radius_m: float = DEFAULT_JOIN_RADIUS_M,
    window: timedelta = DEFAULT_JOIN_WINDOW,
    address: str | None = None,
    now: datetime | None = None,
) -> Receipt | OpenCase:
    """File a resident's report; or, when an open case like it exists and the resident has not chosen, offer it.

    ``join`` is the resident's choice: "" (not yet asked), "new" (mine is another problem)
    or the ticket of the offered case (add mine to it: a supporting report). A repeated
    ``key`` answers with the first receipt (KeyReused if the report differs). Everything
    is checked before anything is written. Audited from ``address``.
    """
    now = now or now_utc()
    key = _checked_key(key)
    if not isinstance(join, str) or len(join) > 30:
        raise InvalidInput("choose whether to add your report to the case shown", field="join")
    body = asdict(report) | {"photos": [hashlib.sha256(data).hexdigest() for _, data in report.photos], "join": join}
    digest = fingerprint(body)
    if replay := _replay(session, key, digest, secret):
        return replay
    category = public_category(session, report.category)
    description = clean_text(report.description, "description", required=True)
    name = clean_text(report.reporter_name, "reporter_name")
    phone = (report.reporter_phone or "").strip() if isinstance(report.reporter_phone, str) else None
    if phone is None or not _PHONE.match(phone):
        raise InvalidInput(
            "reporter_phone may hold only digits, spaces and + - ( ), 30 at most", field="reporter_phone"
        )
    if len(report.photos) > MAX_PHOTOS:
        raise InvalidInput("at most {limit} photos", field="photos", limit=MAX_PHOTOS)
    for _, data in report.photos:
        photo_type(data, "photos")
    lon, lat = _place(session, report)
    if join not in ("", "new"):
        offered = open_case_like(session, category, lon, lat, now, radius_m, window)
        if offered is None or offered.ticket != join:
            raise InvalidInput("that case can no longer be joined; send your report as a new one", field="join")
        return _support(session, offered.ticket, key, digest, name, phone, report, secret, client_id, address, now)
    if join == "" and (offered := open_case_like(session, category, lon, lat, now, radius_m, window)):
        return offered
    principal = residents(reporter)
    intake = create_incident(
        session,
        principal,
        IncidentInput(
            net=category.net,
            category=category.code,
            title=_title(description),
            lon=lon,
            lat=lat,
            description=description,
            channel=Channel.ONLINE.value,
            reporter_name=name,
            reporter_phone=phone,
        ),
        idempotency_key=key,
        address=address,
        from_public=True,
        callback_consent=bool(report.callback_consent),
        now=now,
    )
    token = secrets.token_urlsafe(18) if client_id is not None else None
    written = _keep(session, intake.incident.id, False, key, digest, name, phone, report, secret, client_id, token, now)
    if written:
        for filename, data in report.photos:
            add_attachment(session, principal, intake.incident.ticket, filename, data, address=address, now=now)
    return Receipt(intake.incident.ticket, tracking_code(secret, key), False, written, token)


def _title(description: str) -> str:
    first_line = description.splitlines()[0] if description else ""
    return first_line[:60] or "群众上报"


def _place(session: Session, report: ResidentReport) -> tuple[float, float]:
    if report.group:
        return group_point(session, report.group)
    if report.lon in (None, "") or report.lat in (None, ""):
        raise InvalidInput("place the problem: use GPS, tap the map or choose your villager group", field="group")
    source = one_of(SourceCRS, str(report.crs).lower(), "crs")
    lon, lat = parse_coordinates(str(report.lon), str(report.lat))
    converted = to_wgs84(lon, lat, source)
    return float(converted[0]), float(converted[1])


def _keep(
    session: Session,
    incident_id: int,
    supporting: bool,
    key: str,
    digest: str,
    name: str,
    phone: str,
    report: ResidentReport,
    secret: bytes,
    client_id: int | None,
    token: str | None,
    now: datetime,
) -> bool:
    """Store the resident's report; False when a concurrent copy with the same key stored it first."""
    stored = session.scalar(
        pg_insert(PublicReport)
        .values(
            incident_id=incident_id,
            is_supporting=supporting,
            code_hash=code_digest(tracking_code(secret, key)),
            open311_token=token,
            client_id=client_id,
            reporter_name=name,
            reporter_phone=phone,
            callback_consent=bool(report.callback_consent),
            idempotency_key=key,
            request_fingerprint=digest,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[PublicReport.idempotency_key])
        .returning(PublicReport.id)
    )
    return stored is not None


def _support(
    session: Session,
    ticket: str,
    key: str,
    digest: str,
    name: str,
    phone: str,
    report: ResidentReport,
    secret: bytes,
    client_id: int | None,
    address: str | None,
    now: datetime,
) -> Receipt:
    """Join the resident's report to the open case ``ticket`` as a supporting report (并单)."""
    incident = session.scalar(select(Incident).where(Incident.ticket == ticket))
    if incident is None:
        raise NotFound("no incident {ticket!r}", ticket=ticket[:30])
    token = secrets.token_urlsafe(18) if client_id is not None else None
    written = _keep(session, incident.id, True, key, digest, name, phone, report, secret, client_id, token, now)
    if written:
        # A plain UPDATE, not the ORM's: a supporter must not make a dispatcher's open panel stale (version).
        count = session.scalar(
            update(Incident)
            .where(Incident.id == incident.id)
            .values(resident_reports=Incident.resident_reports + 1)
            .returning(Incident.resident_reports)
            .execution_options(synchronize_session=False)
        )
        session.add(
            IncidentEvent(
                incident_id=incident.id,
                at=now,
                actor=PUBLIC_ACTOR,
                action="support",
                from_status=incident.status,
                to_status=incident.status,
                note="",
                data={"resident_reports": count},
            )
        )
        record(
            session,
            actor=PUBLIC_ACTOR,
            action="incident.support",
            entity="incident",
            entity_id=ticket,
            after={"resident_reports": count},
            address=address,
        )
        session.flush()
        for filename, data in report.photos:
            add_attachment(session, residents(), ticket, filename, data, address=address, now=now)
    return Receipt(ticket, tracking_code(secret, key), True, written, token)


def report_for_code(session: Session, code: str) -> PublicReport:
    """The resident's report a tracking code belongs to (NotFound for any other code)."""
    if not isinstance(code, str) or not 10 <= len(code) <= 64:
        raise NotFound("no case has this tracking code")
    found = session.scalar(select(PublicReport).where(PublicReport.code_hash == code_digest(code)))
    if found is None:
        raise NotFound("no case has this tracking code")
    return found
