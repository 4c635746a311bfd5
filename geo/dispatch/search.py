"""Finding places on the maps: grid names and codes, ticket numbers and coordinates, in one box.

What a dispatcher types is read in this order: coordinates ("99.30, 28.24", either order, in
WGS-84 or — pasted from a phone's map app — GCJ-02 or BD-09, converted), a ticket number of any
county ("DQ-2026-000123", "533423-2026-000123": ``geo.grid.tickets``), a grid code (6 to 15
digits, or its beginning), else part of a grid's Chinese or English name. Grids come from the
boundaries in force and only inside the caller's jurisdiction; tickets only as ``visible`` lets
the caller see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.crs import SourceCRS, to_wgs84
from geo.core.errors import InvalidInput, one_of
from geo.dispatch.models import Incident
from geo.dispatch.scope import visible
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import Grid, GridBoundary
from geo.grid.tickets import TICKET

#: At most this many answers; a query longer than this many characters is refused.
LIMIT = 10
MAX_QUERY = 60

_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_COORDINATES = re.compile(rf"^\s*({_NUMBER})\s*[,，;\s]\s*({_NUMBER})\s*$")
_CODE = re.compile(r"^\d{6,15}$")
# Deqin and every county a deployment could hold lie in these ranges; a pair the other way round is lat, lon.
_LONGITUDES = (73.0, 136.0)
_LATITUDES = (3.0, 54.0)


@dataclass(frozen=True)
class Found:
    """One answer: a grid (with its bounds), a case or a point, and where the map should go."""

    kind: str  # "grid", "incident" or "point"
    label: str
    detail: str  # the grid above a grid, a case's title, the coordinate system a point was typed in
    lon: float
    lat: float
    code: str = ""
    level: str = ""
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "lon": round(self.lon, 6),
            "lat": round(self.lat, 6),
            "code": self.code,
            "level": self.level,
            "bounds": [round(v, 6) for v in self.bounds] if self.bounds else None,
        }


def search(
    session: Session, principal: Principal, text: str, crs: str = "wgs84", *, english: bool = False
) -> list[Found]:
    """What ``text`` names, best first (at most ``LIMIT``); ``crs`` says how typed coordinates are meant."""
    query = (text or "").strip()
    if not query:
        return []
    if len(query) > MAX_QUERY:
        raise InvalidInput("a search is at most {n} characters", field="q", n=MAX_QUERY)
    source = one_of(SourceCRS, crs.lower(), "crs")
    if point := _coordinates(query, source):
        lon, lat = point
        return [Found("point", f"{lon:.6f}, {lat:.6f}", source.value, lon, lat)]
    if TICKET.fullmatch(ticket := query.upper()):
        return _tickets(session, principal, ticket)
    return _grids(session, principal, query, english)


def _coordinates(query: str, source: SourceCRS) -> tuple[float, float] | None:
    match = _COORDINATES.match(query)
    if not match:
        return None
    first, second = float(match.group(1)), float(match.group(2))
    if _within(first, _LONGITUDES) and _within(second, _LATITUDES):
        lon, lat = first, second
    elif _within(second, _LONGITUDES) and _within(first, _LATITUDES):
        lon, lat = second, first  # "28.24, 99.30": latitude first, as many phone apps copy it
    else:
        raise InvalidInput("{query} are not coordinates in China (longitude, latitude)", field="q", query=query)
    converted = to_wgs84(lon, lat, source)
    return float(converted[0]), float(converted[1])


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _tickets(session: Session, principal: Principal, ticket: str) -> list[Found]:
    rows = session.execute(
        select(Incident.ticket, Incident.title, func.ST_X(Incident.location), func.ST_Y(Incident.location)).where(
            Incident.ticket == ticket, visible(principal)
        )
    ).all()
    return [Found("incident", t, title, lon, lat, code=t) for t, title, lon, lat in rows]


def _grids(session: Session, principal: Principal, query: str, english: bool) -> list[Found]:
    generation = current_generation(session)
    if generation is None:
        return []
    if _CODE.match(query):
        condition = Grid.code.startswith(query, autoescape=True)
    else:
        pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition = or_(Grid.name_zh.contains(pattern, escape="\\"), Grid.name_en.ilike(f"%{pattern}%", escape="\\"))
    extent = func.ST_Envelope(GridBoundary.geom)
    rows = session.execute(
        select(
            Grid.code,
            Grid.name_zh,
            Grid.name_en,
            Grid.level,
            func.ST_XMin(extent),
            func.ST_YMin(extent),
            func.ST_XMax(extent),
            func.ST_YMax(extent),
            func.ST_X(func.ST_PointOnSurface(GridBoundary.geom)),
            func.ST_Y(func.ST_PointOnSurface(GridBoundary.geom)),
        )
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(condition, principal.scope(Grid.code), *valid_in(GridBoundary, generation))
        # Higher levels first (a township before its villages), then by code.
        .order_by(func.length(Grid.code), Grid.code)
        .limit(LIMIT)
    ).all()
    # The grid above each answer names where it is (two villages may share a name).
    parents = _names(session, {code[:-3] for code, *_ in rows if len(code) > 6})
    found = []
    for code, name_zh, name_en, level, west, south, east, north, lon, lat in rows:
        found.append(
            Found(
                "grid",
                (name_en or name_zh) if english else name_zh,
                parents.get(code[:-3], ""),
                lon,
                lat,
                code=code,
                level=level,
                bounds=(west, south, east, north),
            )
        )
    return found


def _names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.execute(select(Grid.code, Grid.name_zh).where(Grid.code.in_(codes))).all())
