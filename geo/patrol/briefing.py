"""Patrol briefings: what a team at a checkpoint needs on paper for a zone and a date range."""

from __future__ import annotations

from datetime import UTC, date, datetime

import shapely
from geoalchemy2 import Geography
from geoalchemy2.shape import to_shape
from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.crs import to_metric
from geo.dispatch.models import Incident, IncidentCategory
from geo.dispatch.scope import visible
from geo.dispatch.statuses import FINISHED
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import Grid, GridBoundary, GridLevel
from geo.patrol.hotspots import HotspotQuery, analyse, reported_between, year_before
from geo.patrol.models import SeasonalZone
from geo.patrol.seasons import active_range, season_of
from geo.patrol.tasks import task_summary, tasks
from geo.patrol.zones import get_zone, neighbour_names, site_summaries, zone_people, zone_summary, zones

#: Incidents this close to a zone count as "near" it.
NEAR_ZONE_M = 2000.0
#: Hotspots whose centre lies this close to a zone are in its briefing.
HOTSPOT_NEAR_M = 5000.0
BRIEFING_INCIDENT_LIMIT = 300
#: Incidents near zones the patrol map receives at most.
MAP_INCIDENT_LIMIT = 2000


#: A box this much wider than the zone (degrees; over 2 km at Deqin's latitude) lets the spatial index
#: narrow the incidents before the exact distance on the sphere.
_PREFILTER_DEGREES = 0.03


def incidents_near(
    session: Session, principal: Principal, zone: SeasonalZone, since: date, until: date, limit: int | None = None
) -> list[dict]:
    """Incidents reported in the range inside the zone or within ``NEAR_ZONE_M`` of it, newest first."""
    location = cast(Incident.location, Geography)
    outline = cast(SeasonalZone.geom, Geography)
    rows = session.execute(
        select(
            Incident.ticket,
            Incident.title,
            Incident.status,
            Incident.net,
            Incident.reported_at,
            IncidentCategory.name_zh,
            IncidentCategory.name_en,
            func.ST_X(Incident.location),
            func.ST_Y(Incident.location),
            func.ST_Covers(SeasonalZone.geom, Incident.location),
        )
        .join(IncidentCategory, IncidentCategory.id == Incident.category_id)
        .join(SeasonalZone, SeasonalZone.id == zone.id)
        .where(
            visible(principal),
            *reported_between(since, until),
            Incident.location.intersects(func.ST_Expand(SeasonalZone.geom, _PREFILTER_DEGREES)),
            func.ST_DWithin(location, outline, NEAR_ZONE_M),
        )
        .order_by(Incident.reported_at.desc())
        .limit(limit)
    ).all()
    return [
        {
            "ticket": r[0],
            "title": r[1],
            "status": r[2],
            "open": r[2] not in FINISHED,
            "net": r[3],
            "reported_at": r[4].isoformat(),
            "category_zh": r[5],
            "category_en": r[6],
            "lon": round(r[7], 5),
            "lat": round(r[8], 5),
            "inside": bool(r[9]),
            "zone": zone.id,
        }
        for r in rows
    ]


def incidents_near_active_zones(
    session: Session, principal: Principal, day: date, limit: int = MAP_INCIDENT_LIMIT
) -> dict:
    """For the map: incidents of the current season in and near every zone active on ``day``, newest first per zone.

    At most ``limit`` in all (a season at a million cases sent 11.6 MB to a phone); ``more`` says some were left out.
    """
    features: list[dict] = []
    more = False
    for zone in zones(session, principal):
        window = active_range(zone.windows, zone.overrides or {}, day)
        if window is None:
            continue
        wanted = limit - len(features)
        near = incidents_near(session, principal, zone, window[0], min(window[1], day), wanted + 1)
        if len(near) > wanted:
            near, more = near[:wanted], True
        features += [
            {
                "type": "Feature",
                "id": incident["ticket"],
                "properties": incident,
                "geometry": {"type": "Point", "coordinates": [incident["lon"], incident["lat"]]},
            }
            for incident in near
        ]
        if more:
            break
    return {"type": "FeatureCollection", "features": features, "more": more, "limit": limit}


def sites_of(session: Session, principal: Principal) -> list[dict]:
    """Every checkpoint and station of the zones the caller sees (for distances in hotspot lists)."""
    return [
        {**site, "zone": zone.name_zh, "zone_id": zone.id}
        for zone in zones(session, principal)
        for site in site_summaries(zone)
    ]


def briefing(
    session: Session,
    principal: Principal,
    zone_id: int,
    since: date | None,
    until: date | None,
    today: date,
    now: datetime | None = None,
) -> dict:
    """Everything a paper briefing for one zone holds; the range defaults to the zone's season."""
    zone = get_zone(session, principal, zone_id)
    if since is None or until is None:
        start, end = season_of(zone, today)
        if start > today:  # this year's season has not begun: brief on last year's
            start, end = year_before(start), year_before(end)
        since, until = since or start, until or min(end, today)
    query = HotspotQuery(since, until)
    query.check()
    analysis = analyse(session, principal, query, sites=site_summaries(zone))
    outline = to_shape(zone.geom)
    metric_outline = to_metric(outline)
    near = [
        h
        for h in analysis["hotspots"]
        if shapely.distance(to_metric(shapely.Point(h["lon"], h["lat"])), metric_outline) <= HOTSPOT_NEAR_M
    ]
    incidents = incidents_near(session, principal, zone, since, until, BRIEFING_INCIDENT_LIMIT)
    open_count = sum(1 for i in incidents if i["open"])
    now = now or datetime.now(UTC)
    zone_tasks = [task_summary(t, now) for t in tasks(session, principal) if t.zone_id == zone.id]
    return {
        "zone": zone_summary(zone, today, neighbour_names(session)),
        **zone_people(zone, principal),
        "sites": site_summaries(zone),
        "since": since,
        "until": until,
        "incidents": incidents,
        "open_incidents": open_count,
        "hotspots": near,
        "analysis_note": analysis["note"],
        "tasks": zone_tasks,
        "bounds": outline.bounds,
    }


def groups_in_view(session: Session, bounds: tuple[float, float, float, float]) -> list[tuple[str, shapely.Geometry]]:
    """(name, display outline) of the villager groups in force within ``bounds``, for a briefing map.

    Names only, as the grid lookup shows them to anyone; a group beside the caller's jurisdiction
    is drawn too, since a team on a border hill walks across it.
    """
    generation = current_generation(session)
    if generation is None:
        return []
    rows = session.execute(
        select(Grid.name_zh, GridBoundary.geom_display)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(
            GridBoundary.level == GridLevel.GROUP.value,
            *valid_in(GridBoundary, generation),
            func.ST_Intersects(GridBoundary.geom_display, func.ST_MakeEnvelope(*bounds, 4326)),
        )
    )
    return [(name, to_shape(geom)) for name, geom in rows]
