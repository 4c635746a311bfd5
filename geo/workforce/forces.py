"""The forces registry (多元治理合力): police posts, forest rangers, mediators, volunteers… per grid.

A member's contact is protected: it is shown only to callers whose jurisdiction
holds the member's grid. Lists read only the caller's jurisdiction.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from geoalchemy2 import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.atlas.lookup import parse_coordinates
from geo.core.audit import record
from geo.core.errors import GridError, InvalidInput, NotFound, one_of
from geo.grid.models import ForceKind, ForceMember, Grid, codes_under

_PHONE = re.compile(r"^[0-9+\- ]{0,20}$")
_CODE = re.compile(r"^[A-Z0-9-]{2,20}$")
#: A list answers at most this many members (a county has a few hundred).
LIST_LIMIT = 2000


class StaleForce(GridError):
    """Someone changed the force member since the caller read it."""

    status = 409


@dataclass(frozen=True)
class ForceInput:
    """A force member as a form or the API sends it (checked by ``add_force``/``update_force``)."""

    kind: str
    name: str
    grid: str
    organisation: str = ""
    phone: str = ""
    lon: float | None = None
    lat: float | None = None


def _checked(session: Session, principal: Principal, data: ForceInput) -> dict:
    kind = one_of(ForceKind, data.kind, "kind").value
    name = (data.name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="name", limit=100)
    organisation = (data.organisation or "").strip()
    if len(organisation) > 100:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="organisation", limit=100)
    if not _PHONE.match(data.phone or ""):
        raise InvalidInput("phone may hold only digits, spaces, + and -, 20 at most", field="phone")
    grid = session.scalar(select(Grid).where(Grid.code == data.grid))
    if grid is None:
        raise InvalidInput("no grid with code {code!r}", field="grid", code=str(data.grid)[:15])
    principal.require_change(grid.code)
    location = None
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("give both lon and lat, or neither", field="lon")
    if data.lon is not None and data.lat is not None:
        lon, lat = parse_coordinates(str(data.lon), str(data.lat))
        location = WKTElement(f"POINT({lon} {lat})", srid=4326)
    return {
        "kind": kind,
        "name": name,
        "organisation": organisation,
        "phone": (data.phone or "").strip(),
        "grid_id": grid.id,
        "location": location,
    }


def member_summary(member: ForceMember, principal: Principal) -> dict:
    """A member for lists and the map; the phone only inside the caller's jurisdiction."""
    point = to_shape(member.location) if member.location is not None else None
    return {
        "code": member.code,
        "kind": member.kind,
        "name": member.name,
        "organisation": member.organisation,
        "grid_code": member.grid.code,
        "grid_name": member.grid.name_zh,
        "phone": member.phone if principal.sees_phones(member.grid.code) else None,
        "lon": round(point.x, 6) if point else None,
        "lat": round(point.y, 6) if point else None,
        "is_active": member.is_active,
        "is_demo": member.is_demo,
        "version": member.version,
    }


def forces(
    session: Session, principal: Principal, *, grid: str | None = None, kind: str | None = None
) -> list[ForceMember]:
    """The active force members in the caller's jurisdiction, optionally in one grid (and below) or of one kind."""
    principal.require(Capability.WORKFORCE_VIEW)
    query = (
        select(ForceMember)
        .join(Grid, Grid.id == ForceMember.grid_id)
        .where(principal.scope(Grid.code), ForceMember.is_active)
        .order_by(Grid.code, ForceMember.kind, ForceMember.code)
        .limit(LIST_LIMIT)
    )
    if grid:
        if not grid.isdigit() or len(grid) > 15:
            raise InvalidInput("grid must be a grid code (digits)", field="grid")
        query = query.where(codes_under(Grid.code, grid))
    if kind:
        query = query.where(ForceMember.kind == one_of(ForceKind, kind, "kind").value)
    return list(session.scalars(query))


def get_force(session: Session, principal: Principal, code: str) -> ForceMember:
    """The member ``code`` if it lies in the caller's jurisdiction (else NotFound, as if absent)."""
    member = session.scalar(
        select(ForceMember)
        .join(Grid, Grid.id == ForceMember.grid_id)
        .where(ForceMember.code == code, principal.scope(Grid.code))
    )
    if member is None:
        raise NotFound("no force member {code!r} in your jurisdiction", code=code[:20])
    return member


def add_force(
    session: Session, principal: Principal, data: ForceInput, *, code: str | None = None, address: str | None = None
) -> ForceMember:
    """Register a force member in a grid of the caller's jurisdiction; audited. 409 if ``code`` is taken."""
    principal.require(Capability.WORKFORCE_EDIT)
    values = _checked(session, principal, data)
    if code is not None and not _CODE.match(code):
        raise InvalidInput("code must be 2-20 capital letters, digits or '-'", field="code")
    # Without a code of its own, a member is numbered by its id (F00042), known once it is inserted.
    member = ForceMember(code=code or f"new-{secrets.token_hex(8)}", is_active=True, is_demo=False, **values)
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
            if code is None:
                member.code = f"F{member.id:05d}"
                session.flush()
    except IntegrityError:
        raise StaleForce("force member {code} exists already", code=code or "F?") from None
    _audit(session, principal, "force.create", member, None, address)
    return member


def update_force(
    session: Session, principal: Principal, code: str, data: ForceInput, *, version: int, address: str | None = None
) -> ForceMember:
    """Change a member's fields (the version read guards against lost updates); audited."""
    principal.require(Capability.WORKFORCE_EDIT)
    member = get_force(session, principal, code)
    principal.require_change(member.grid.code)
    if member.version != version:
        raise StaleForce(
            "force member {code} changed since you read it (version {version}, now {current})",
            code=code,
            version=version,
            current=member.version,
        )
    before = _snapshot(member)
    for name, value in _checked(session, principal, data).items():
        setattr(member, name, value)
    try:
        session.flush()
    except StaleDataError:
        raise StaleForce(
            "force member {code} was changed at the same moment; reload and try again", code=code
        ) from None
    _audit(session, principal, "force.update", member, before, address)
    return member


def _snapshot(member: ForceMember) -> dict:
    # The phone is personal data: the audit trail notes that it changed, not what it is.
    return {
        "kind": member.kind,
        "name": member.name,
        "organisation": member.organisation,
        "grid_id": member.grid_id,
        "has_phone": bool(member.phone),
        "version": member.version,
    }


def _audit(
    session: Session, principal: Principal, action: str, member: ForceMember, before: dict | None, address: str | None
) -> None:
    record(
        session,
        actor=principal.username,
        action=action,
        entity="force_member",
        entity_id=member.code,
        before=before,
        after=_snapshot(member),
        address=address,
    )


def forces_geojson(session: Session, principal: Principal, kind: str | None = None) -> str:
    """The located force members of the caller's jurisdiction as GeoJSON (no contact data: maps travel)."""
    features = [
        {
            "type": "Feature",
            "id": summary["code"],
            "geometry": {"type": "Point", "coordinates": [summary["lon"], summary["lat"]]},
            "properties": {key: summary[key] for key in ("code", "kind", "name", "organisation", "grid_code")},
        }
        for summary in (member_summary(m, principal) for m in forces(session, principal, kind=kind))
        if summary["lon"] is not None
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
