"""Seasonal zones on the harvest hills: placement on the grid, borders, branches, teams and sites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.crs import to_metric
from geo.core.errors import GridError, InvalidInput, NotFound, one_of
from geo.core.limits import DEFAULT_MAX_VERTICES, require_vertices_within, vertex_count
from geo.grid.boundaries import current_generation, generation_in_force, valid_in
from geo.grid.models import AdminArea, Grid, GridBoundary, GridLevel
from geo.grid.tiling import as_multipolygon, geometry_problems
from geo.patrol.models import (
    PatrolTeam,
    SeasonalZone,
    SiteKind,
    TemporaryBranch,
    ZoneKind,
    ZoneSite,
)
from geo.patrol.seasons import active_range, parse_overrides, parse_windows

#: A zone this close to a neighbouring county is a border area (交界地区).
BORDER_DISTANCE_M = 1000.0
#: Area outside the county (m²) above which a zone is said to cross the county line.
OUTSIDE_TOLERANCE_M2 = 10_000.0


class StaleZone(GridError):
    status = 409


@dataclass(frozen=True)
class ZoneInput:
    name_zh: str
    kind: str
    geometry: shapely.Geometry
    windows: list[dict]
    overrides: dict
    name_en: str = ""
    altitude_min_m: int | None = None
    altitude_max_m: int | None = None


def _check_zone(data: ZoneInput) -> None:
    if not data.name_zh.strip():
        raise InvalidInput("give the zone a name", field="name_zh")
    one_of(ZoneKind, data.kind, "kind")
    problems = geometry_problems(data.geometry, None)
    if problems:
        raise InvalidInput("{field}: {problem}", field="geometry", problem=problems[0], details=problems[0].as_dict())
    low, high = data.altitude_min_m, data.altitude_max_m
    if low is not None and high is not None and low > high:
        raise InvalidInput("altitude band {low}–{high} m is upside down", field="altitude_min_m", low=low, high=high)


def _placement(session: Session, geometry: shapely.Geometry) -> tuple[str, bool, list[str], bool]:
    """The smallest grid holding the zone's part in the county, and its border situation."""
    county = session.scalar(select(func.ST_Union(AdminArea.geom)).where(AdminArea.is_home_county))
    if county is None:
        raise InvalidInput("the county outline is not loaded", field="geometry")
    county_shape = to_shape(county)
    inside = shapely.intersection(geometry, county_shape)
    if shapely.is_empty(inside) or shapely.area(to_metric(inside)) < 1:
        raise InvalidInput("the zone lies outside the county", field="geometry")
    outside_m2 = float(shapely.area(to_metric(shapely.difference(geometry, county_shape))))
    metric = to_metric(geometry)
    neighbours = [
        name
        for name, geom in session.execute(select(AdminArea.name_zh, AdminArea.geom).where(~AdminArea.is_home_county))
        if shapely.distance(metric, to_metric(to_shape(geom))) <= BORDER_DISTANCE_M
    ]
    code = _smallest_grid_holding(session, inside)
    return code, bool(neighbours), sorted(neighbours), outside_m2 > OUTSIDE_TOLERANCE_M2


def _smallest_grid_holding(session: Session, area: shapely.Geometry) -> str:
    generation = current_generation(session)
    code = None
    for level in (GridLevel.COUNTY, GridLevel.TOWNSHIP, GridLevel.VILLAGE):
        rows = session.execute(
            select(Grid.code, GridBoundary.geom)
            .join(GridBoundary, GridBoundary.grid_id == Grid.id)
            .where(
                GridBoundary.level == level.value,
                *valid_in(GridBoundary, generation or 0),
                func.ST_Intersects(GridBoundary.geom, from_shape(area, srid=4326)),
                Grid.code.startswith(code or "", autoescape=True),
            )
        ).all()
        # Edges touching by a hair do not count: the part inside must be more than noise.
        holding = [c for c, g in rows if shapely.area(to_metric(shapely.intersection(to_shape(g), area))) > 1000]
        if len(holding) != 1:
            break
        code = holding[0]
    if code is None:
        raise InvalidInput("the zone must lie inside one county's grids", field="geometry")
    return code


def create_zone(
    session: Session,
    principal: Principal,
    data: ZoneInput,
    now: datetime,
    is_demo: bool = False,
    *,
    address: str | None = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
) -> SeasonalZone:
    """Add a zone; it must have a part inside the caller's jurisdiction and may cross the county line (flagged)."""
    principal.require(Capability.ZONE_EDIT)
    # Every map of the zone's users carries its outline: refuse a huge one before any work on it.
    require_vertices_within(vertex_count(data.geometry), max_vertices, "geometry")
    _check_zone(data)
    windows = parse_windows(data.windows)
    overrides = parse_overrides(data.overrides)
    code, border, neighbours, crosses = _placement(session, data.geometry)
    principal.require_change(code)
    zone = SeasonalZone(
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip(),
        kind=data.kind,
        altitude_min_m=data.altitude_min_m,
        altitude_max_m=data.altitude_max_m,
        windows=windows,
        overrides=overrides,
        area_code=code,
        is_border=border,
        border_with=neighbours,
        crosses_county_line=crosses,
        geom=from_shape(as_multipolygon(data.geometry), srid=4326),
        is_demo=is_demo,
        created_by=principal.username,
        updated_at=now,
    )
    session.add(zone)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="zone.create",
        entity="zone",
        entity_id=zone.id,
        after=zone_summary(zone),
        address=address,
    )
    return zone


def update_zone(
    session: Session,
    principal: Principal,
    zone_id: int,
    version: int,
    changes: dict,
    now: datetime,
    *,
    address: str | None = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
) -> SeasonalZone:
    """Change a zone's outline, name, windows or overrides; 409 if someone changed it since ``version``."""
    zone = changeable_zone(session, principal, zone_id)
    if zone.version != version:
        raise StaleZone(
            "zone {zone} changed since you read it (version {version}, now {current})",
            details=zone_summary(zone),
            zone=zone.id,
            version=version,
            current=zone.version,
        )
    before = zone_summary(zone)
    if "windows" in changes:
        zone.windows = parse_windows(changes["windows"])
    if "overrides" in changes:
        zone.overrides = parse_overrides(changes["overrides"])
    for name in ("name_zh", "name_en", "altitude_min_m", "altitude_max_m"):
        if name in changes:
            setattr(zone, name, changes[name])
    if "geometry" in changes:
        require_vertices_within(vertex_count(changes["geometry"]), max_vertices, "geometry")
        data = ZoneInput(zone.name_zh, zone.kind, changes["geometry"], zone.windows, zone.overrides)
        _check_zone(data)
        code, border, neighbours, crosses = _placement(session, data.geometry)
        principal.require_change(code)
        zone.geom = from_shape(as_multipolygon(data.geometry), srid=4326)
        zone.area_code, zone.is_border, zone.border_with, zone.crosses_county_line = code, border, neighbours, crosses
    _check_zone(
        ZoneInput(
            zone.name_zh,
            zone.kind,
            to_shape(zone.geom),
            zone.windows,
            zone.overrides,
            "",
            zone.altitude_min_m,
            zone.altitude_max_m,
        )
    )
    zone.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.username,
        action="zone.update",
        entity="zone",
        entity_id=zone.id,
        before=before,
        after=zone_summary(zone),
        address=address,
    )
    return zone


def visible_zones(principal: Principal):
    """SQL condition: zones whose grid lies in the caller's jurisdiction, or holds it and reaches into it.

    A zone's grid holding the jurisdiction is not enough: a county-wide hill in two
    other townships is none of this township's business.
    """
    # Interiors must meet (DE-9IM T********): a hill touching the jurisdiction's edge does not reach into it.
    reaches_in = (
        select(GridBoundary.id)
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(
            Grid.code == principal.jurisdiction_code,
            *valid_in(GridBoundary, generation_in_force().scalar_subquery()),
            func.ST_Relate(GridBoundary.geom, SeasonalZone.geom, "T********"),
        )
        .exists()
    )
    return principal.scope(SeasonalZone.area_code) | (principal.above(SeasonalZone.area_code) & reaches_in)


def get_zone(session: Session, principal: Principal, zone_id: int) -> SeasonalZone:
    zone = session.scalar(select(SeasonalZone).where(SeasonalZone.id == zone_id, visible_zones(principal)))
    if zone is None:
        raise NotFound("no zone {zone}", zone=zone_id)
    return zone


def changeable_zone(session: Session, principal: Principal, zone_id: int) -> SeasonalZone:
    """The zone, if the caller edits zones and it lies inside their jurisdiction (403 if only seen, 404 if not)."""
    principal.require(Capability.ZONE_EDIT)
    zone = get_zone(session, principal, zone_id)
    principal.require_change(zone.area_code)
    return zone


def zones(session: Session, principal: Principal) -> list[SeasonalZone]:
    """The zones the caller sees, with their branches, teams and sites loaded in three queries, not three per zone."""
    return list(
        session.scalars(
            select(SeasonalZone)
            .where(visible_zones(principal))
            .options(
                selectinload(SeasonalZone.branches), selectinload(SeasonalZone.teams), selectinload(SeasonalZone.sites)
            )
            .order_by(SeasonalZone.id)
        )
    )


def neighbour_names(session: Session) -> dict[str, str]:
    """Neighbouring counties' English names, keyed by the Chinese names zones keep."""
    return dict(session.execute(select(AdminArea.name_zh, AdminArea.name_en).where(~AdminArea.is_home_county)).all())


def zone_summary(zone: SeasonalZone, day: date | None = None, names: Mapping[str, str] | None = None) -> dict:
    """The zone's fields; the neighbours it borders by both names (English from ``neighbour_names``)."""
    window = active_range(zone.windows, zone.overrides or {}, day) if day else None
    return {
        "id": zone.id,
        "name_zh": zone.name_zh,
        "name_en": zone.name_en,
        "kind": zone.kind,
        "altitude_min_m": zone.altitude_min_m,
        "altitude_max_m": zone.altitude_max_m,
        "windows": zone.windows,
        "overrides": zone.overrides,
        "area_code": zone.area_code,
        "is_border": zone.is_border,
        "border_with": [{"name_zh": name, "name_en": (names or {}).get(name) or name} for name in zone.border_with],
        "crosses_county_line": zone.crosses_county_line,
        "is_demo": zone.is_demo,
        "version": zone.version,
        "active": window is not None if day else None,
        "active_window": [window[0].isoformat(), window[1].isoformat()] if window else None,
    }


def zones_geojson(session: Session, principal: Principal, day: date) -> dict:
    """Zones with their state on ``day``, branches, teams and sites, as GeoJSON."""
    features = []
    names = neighbour_names(session)
    for zone in zones(session, principal):
        summary = zone_summary(zone, day, names)
        summary.update(zone_people(zone, principal))
        summary["sites"] = site_summaries(zone)
        features.append(
            {
                "type": "Feature",
                "id": zone.id,
                "properties": summary,
                "geometry": shapely.geometry.mapping(to_shape(zone.geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def zone_people(zone: SeasonalZone, principal: Principal) -> dict[str, list[dict]]:
    """The zone's temporary branches and patrol teams; phones only for callers whose jurisdiction covers the zone."""
    with_phones = principal.sees_phones(zone.area_code)

    def phone(number: str) -> dict:
        return {"phone": number} if with_phones else {}

    return {
        "branches": [
            {
                "name": b.name,
                "secretary": b.secretary,
                **phone(b.phone),
                "members": b.members,
                "starts": b.starts.isoformat() if b.starts else None,
                "ends": b.ends.isoformat() if b.ends else None,
            }
            for b in zone.branches
        ],
        "teams": [
            {"id": t.id, "name": t.name, "leader": t.leader, **phone(t.phone), "members": t.members} for t in zone.teams
        ],
    }


def site_summaries(zone: SeasonalZone) -> list[dict]:
    """A zone's checkpoints and stations with their places."""
    summaries = []
    for site in zone.sites:
        point = to_shape(site.geom)
        summaries.append(
            {
                "kind": site.kind,
                "name": site.name,
                "lon": round(point.x, 6),
                "lat": round(point.y, 6),
            }
        )
    return summaries


def add_branch(
    session: Session, principal: Principal, zone_id: int, data: dict, *, address: str | None = None
) -> TemporaryBranch:
    zone = changeable_zone(session, principal, zone_id)
    if data.get("starts") and data.get("ends") and data["ends"] < data["starts"]:
        raise InvalidInput("the branch ends before it starts", field="ends")
    branch = TemporaryBranch(zone=zone, **data)
    session.add(branch)
    session.flush()
    _audit_addition(session, principal, "zone.branch", zone, {"branch": branch.id, **data}, address)
    return branch


def add_team(
    session: Session, principal: Principal, zone_id: int, data: dict, *, address: str | None = None
) -> PatrolTeam:
    zone = changeable_zone(session, principal, zone_id)
    team = PatrolTeam(zone=zone, **data)
    session.add(team)
    session.flush()
    _audit_addition(session, principal, "zone.team", zone, {"team": team.id, **data}, address)
    return team


def add_site(
    session: Session,
    principal: Principal,
    zone_id: int,
    kind: str,
    name: str,
    lon: float,
    lat: float,
    *,
    address: str | None = None,
) -> ZoneSite:
    zone = changeable_zone(session, principal, zone_id)
    kind = one_of(SiteKind, kind, "kind").value
    site = ZoneSite(zone=zone, kind=kind, name=name, geom=from_shape(shapely.Point(lon, lat), srid=4326))
    session.add(site)
    session.flush()
    after = {"site": site.id, "kind": kind, "name": name, "lon": lon, "lat": lat}
    _audit_addition(session, principal, "zone.site", zone, after, address)
    return site


def _audit_addition(
    session: Session, principal: Principal, action: str, zone: SeasonalZone, after: dict, address: str | None
) -> None:
    """Audit a branch, team or site added to ``zone`` (dates as ISO text: the trail is JSON)."""
    record(
        session,
        actor=principal.username,
        action=action,
        entity="zone",
        entity_id=zone.id,
        after={name: value.isoformat() if isinstance(value, date) else value for name, value in after.items()},
        address=address,
    )
