"""Seasonal zones (harvest hills, fire-risk forests), their recurring windows, and patrol tasks.

A zone is active on a day when one of its yearly windows covers the day, or a
one-year override does. Windows are month-day pairs and may cross the new year
(11-15 → 02-15). A window instance belongs to the year it starts in; an
override for that year replaces it (a township opens the hill late this year),
and ``null`` closes the zone for that year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, selectinload

from geo.accounts import COUNTY_CODE, Principal
from geo.audit import record
from geo.boundaries import current_generation, generation_in_force, valid_in
from geo.crs import to_metric
from geo.errors import GridError, InvalidInput, NotFound, one_of
from geo.idempotency import IdempotencyKey, KeyColumns, first_made
from geo.limits import DEFAULT_MAX_VERTICES, require_vertices_within, vertex_count
from geo.models import (
    AdminArea,
    CheckIn,
    Grid,
    GridBoundary,
    GridLevel,
    PatrolTask,
    PatrolTeam,
    Role,
    SeasonalZone,
    SiteKind,
    TemporaryBranch,
    ZoneKind,
    ZoneSite,
)
from geo.tiling import as_multipolygon, geometry_problems

ZONE_EDITORS = (Role.PLANNER, Role.PATROL_LEADER, Role.ADMIN)
PATROL_LEADERS = (Role.PATROL_LEADER, Role.ADMIN)
CHECKIN_ROLES = (Role.PATROL_LEADER, Role.GRID_WORKER, Role.ADMIN)
#: A zone this close to a neighbouring county is a border area (交界地区).
BORDER_DISTANCE_M = 1000.0
#: A check-in further than this from its target is kept, but flagged.
FAR_CHECKIN_M = 2000.0
#: How long a phone without signal may keep a check-in before sending it.
OFFLINE_KEEP = timedelta(days=7)
#: A phone's clock may run this much ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
#: Area outside the county (m²) above which a zone is said to cross the county line.
OUTSIDE_TOLERANCE_M2 = 10_000.0

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class StaleZone(GridError):
    status = 409


# --- windows -------------------------------------------------------------------------------------------


def _month_day(text: object, field: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text) if isinstance(text, str) else None
    if not match:
        raise InvalidInput("{field} must be a month-day like 04-25, got {value!r}", field=field, value=str(text)[:20])
    month, day = int(match[1]), int(match[2])
    try:
        date(2024, month, day)  # a leap year, so 02-29 is a real day
    except ValueError:
        raise InvalidInput("{field} {value} is not a day of the year", field=field, value=text) from None
    return month, day


def _on(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    if (month, day) == (2, 29):
        # 02-29 in a year without it means the last day of February.
        return date(year, 3, 1) - timedelta(days=1)
    return date(year, month, day)


def parse_windows(raw: object) -> list[dict]:
    """Check recurring windows ([{"start": "MM-DD", "end": "MM-DD"}, ...]) and return them."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput('give at least one window, e.g. [{"start": "04-25", "end": "07-05"}]', field="windows")
    windows = []
    for index, window in enumerate(raw):
        if not isinstance(window, dict):
            raise InvalidInput(
                "window {number} must be an object with start and end", field="windows", number=index + 1
            )
        _month_day(window.get("start"), "windows.start")
        _month_day(window.get("end"), "windows.end")
        windows.append({"start": window["start"], "end": window["end"]})
    return windows


def parse_overrides(raw: object) -> dict:
    """Check one-year overrides ({"2026": {"start": "2026-05-10", "end": "2026-07-05"} or null})."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("overrides must map a year to a window or null", field="overrides")
    overrides: dict = {}
    for year, window in raw.items():
        if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
            raise InvalidInput("override year {year!r} must be four digits", field="overrides", year=str(year)[:10])
        if window is None:
            overrides[year] = None
            continue
        try:
            start = date.fromisoformat(window["start"])
            end = date.fromisoformat(window["end"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                "override {year} needs start and end dates like {year}-05-10", field="overrides", year=year
            ) from None
        if start.year != int(year):
            raise InvalidInput(
                "override {year} must start in {year}, not on {start}", field="overrides", year=year, start=start
            )
        if end < start:
            raise InvalidInput(
                "override {year} ends ({end}) before it starts ({start})",
                field="overrides",
                year=year,
                end=end,
                start=start,
            )
        if (end - start).days > 366:
            raise InvalidInput("override {year} is longer than a year", field="overrides", year=year)
        overrides[year] = {"start": start.isoformat(), "end": end.isoformat()}
    return overrides


def active_range(windows: list[dict], overrides: dict, day: date) -> tuple[date, date] | None:
    """The window (first and last day) that makes the zone active on ``day``, or None."""
    for window in overrides.values():
        if window is not None:
            start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
            if start <= day <= end:
                return start, end
    for window in windows:
        start_md = _month_day(window["start"], "start")
        end_md = _month_day(window["end"], "end")
        crosses = end_md < start_md
        # Instances starting this year and, for windows across the new year, last year.
        for year in (day.year - 1, day.year) if crosses else (day.year,):
            if str(year) in overrides:
                continue  # this year's season follows the override instead
            start = _on(year, start_md)
            end = _on(year + 1 if crosses else year, end_md)
            if start <= day <= end:
                return start, end
    return None


def is_active_on(zone: SeasonalZone, day: date) -> bool:
    return active_range(zone.windows, zone.overrides or {}, day) is not None


def season_of(zone: SeasonalZone, day: date) -> tuple[date, date]:
    """The season to analyse for ``day``: the active window, else this year's first window."""
    found = active_range(zone.windows, zone.overrides or {}, day)
    if found:
        return found
    first = zone.windows[0]
    start_md, end_md = _month_day(first["start"], "start"), _month_day(first["end"], "end")
    return _on(day.year, start_md), _on(day.year + (1 if end_md < start_md else 0), end_md)


# --- zones ---------------------------------------------------------------------------------------------


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
        where = f" at {problems[0].where}" if problems[0].where else ""
        raise InvalidInput("{field}: {problem}", field="geometry", problem=problems[0].message + where)
    low, high = data.altitude_min_m, data.altitude_max_m
    if low is not None and high is not None and low > high:
        raise InvalidInput("altitude band {low}–{high} m is upside down", field="altitude_min_m", low=low, high=high)


def _placement(session: Session, geometry: shapely.Geometry) -> tuple[str, bool, list[str], bool]:
    """The smallest grid holding the zone's part in the county, and its border situation."""
    county = session.scalar(select(AdminArea.geom).where(AdminArea.is_home_county))
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
    for level in (GridLevel.TOWNSHIP, GridLevel.VILLAGE):
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
    return code or COUNTY_CODE


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
    principal.require_role(*ZONE_EDITORS)
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
    principal.require_role(*ZONE_EDITORS)
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


def neighbour_names(session: Session, lang: str) -> dict[str, str]:
    """Neighbouring counties' names in ``lang``, keyed by the Chinese names zones keep (empty for Chinese)."""
    if lang != "en":
        return {}
    return dict(session.execute(select(AdminArea.name_zh, AdminArea.name_en).where(~AdminArea.is_home_county)).all())


def zone_summary(
    zone: SeasonalZone, day: date | None = None, lang: str = "zh", names: Mapping[str, str] | None = None
) -> dict:
    """The zone's fields; ``names`` (from ``neighbour_names``) names the neighbours it borders in ``lang``."""
    window = active_range(zone.windows, zone.overrides or {}, day) if day else None
    return {
        "id": zone.id,
        "name_zh": zone.name_zh,
        "name_en": zone.name_en,
        "kind": zone.kind,
        "kind_label": ZoneKind(zone.kind).label(lang),
        "altitude_min_m": zone.altitude_min_m,
        "altitude_max_m": zone.altitude_max_m,
        "windows": zone.windows,
        "overrides": zone.overrides,
        "area_code": zone.area_code,
        "is_border": zone.is_border,
        "border_with": [(names or {}).get(name, name) for name in zone.border_with],
        "crosses_county_line": zone.crosses_county_line,
        "is_demo": zone.is_demo,
        "version": zone.version,
        "active": window is not None if day else None,
        "active_window": [window[0].isoformat(), window[1].isoformat()] if window else None,
    }


def zones_geojson(session: Session, principal: Principal, day: date, lang: str = "zh") -> dict:
    """Zones with their state on ``day``, branches, teams and sites, as GeoJSON."""
    features = []
    names = neighbour_names(session, lang)
    for zone in zones(session, principal):
        summary = zone_summary(zone, day, lang, names)
        summary.update(zone_people(zone, principal))
        summary["sites"] = site_summaries(zone, lang)
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


def site_summaries(zone: SeasonalZone, lang: str = "zh") -> list[dict]:
    """A zone's checkpoints and stations with their places."""
    summaries = []
    for site in zone.sites:
        point = to_shape(site.geom)
        summaries.append(
            {
                "kind": site.kind,
                "kind_label": SiteKind(site.kind).label(lang),
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


# --- patrol tasks --------------------------------------------------------------------------------------


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
    now: datetime,
    address: str | None = None,
) -> PatrolTask:
    """Send a team to a zone, or to a hotspot's area, within a time window."""
    principal.require_role(*PATROL_LEADERS)
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
    visited = any(not c.is_far for c in task.checkins)
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
        "state": "visited" if visited else ("missed" if task.ends_at < now else "pending"),
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
    principal.require_role(*CHECKIN_ROLES)
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
