"""What a plan changes: households, workers, open incidents and seasonal zones it moves."""

from __future__ import annotations

import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.dispatch.models import OPEN_INCIDENT, Incident
from geo.grid.models import Grid, GridLevel, GridWorker, PartyBranch, codes_under
from geo.patrol.models import SeasonalZone
from geo.patrol.zones import visible_zones
from geo.planning.drafts import DraftGrid
from geo.planning.models import Plan
from geo.planning.plans import CHANGE_TOLERANCE_M2, appointed_workers, base_grids, draft_of, km2, same_grid

#: Incidents listed by name in an impact preview (all are counted).
IMPACT_LIST_LIMIT = 200


def impact(session: Session, principal: Principal, plan: Plan) -> dict:
    """What the plan changes: areas per grid; incidents, branches, workers, sites and seasonal zones changing grid."""
    base = base_grids(session, plan)
    grids = draft_of(plan)
    draft = {g.code: g for g in grids}
    area_rows = []
    for code in sorted(set(base) | set(draft)):
        before, after = base.get(code), draft.get(code)
        empty = shapely.MultiPolygon()
        old = before.geometry if before else empty
        new = after.geometry if after else empty
        status = (
            "new"
            if before is None
            else "removed"
            if after is None
            else ("unchanged" if same_grid(before, after) else "changed")
        )
        area_rows.append(
            {
                "code": code,
                "name_zh": (after or before).name_zh,  # type: ignore[union-attr]
                "status": status,
                "before_km2": round(km2(old), 4) if before else 0.0,
                "after_km2": round(km2(new), 4) if after else 0.0,
                "gained_km2": round(km2(shapely.difference(new, old)), 4),
                "lost_km2": round(km2(shapely.difference(old, new)), 4),
            }
        )
    moved_incidents = _incidents_changing_grid(session, principal, plan, grids)
    survivors = surviving_codes(base, grids)
    zones, sites = _seasonal_changes(session, principal, base, grids)
    return {
        "seasonal_zones": zones,
        "sites": sites,
        "grids": area_rows,
        "incidents": {"count": len(moved_incidents), "items": moved_incidents[:IMPACT_LIST_LIMIT]},
        "party_branches": _moving(session, PartyBranch, survivors, principal)
        + [
            {"code": None, "name": g.branch["name"], "from": None, "to": g.code, "new": True}
            for g in grids
            if g.branch and "name" in g.branch
        ],
        "workers": _moving(session, GridWorker, survivors, principal)
        + [
            {"code": None, "name": w["name"], "from": None, "to": g.code, "new": True}
            for g in grids
            for w in appointed_workers(g, principal)
        ],
        "reroute_open_incidents": plan.reroute_open_incidents,
    }


def _incidents_changing_grid(session: Session, principal: Principal, plan: Plan, grids: list[DraftGrid]) -> list[dict]:
    length = GridLevel(plan.child_level).code_length
    rows = session.execute(
        select(
            Incident.ticket,
            Incident.title,
            Incident.group_code,
            func.ST_X(Incident.location),
            func.ST_Y(Incident.location),
        )
        .where(
            codes_under(Incident.group_code, plan.parent_code),
            OPEN_INCIDENT,
            Incident.net.in_(sorted(principal.nets)),
        )
        .order_by(Incident.ticket)
    ).all()
    if not rows:
        return []
    landing = _landing(grids, [(r[3], r[4]) for r in rows])
    moved = []
    for row, new in zip(rows, landing, strict=True):
        old = row.group_code[:length]
        if new != old:
            moved.append({"ticket": row.ticket, "title": row.title, "from": old, "to": new})
    return moved


def _landing(grids: list[DraftGrid], lonlats: list[tuple[float, float]]) -> list[str | None]:
    """The code of the grid covering each point (None outside them all)."""
    tree = shapely.STRtree([g.geometry for g in grids])
    point_index, grid_index = tree.query(shapely.points(lonlats), predicate="covered_by")
    # A point on a shared edge is covered by two grids: the lower code wins, as in lookups.
    landing: list[str | None] = [None] * len(lonlats)
    for p, g in zip(point_index, grid_index, strict=True):
        code = grids[g].code
        current = landing[p]
        landing[p] = code if current is None else min(code, current)
    return landing


def _seasonal_changes(
    session: Session, principal: Principal, base: dict[str, DraftGrid], grids: list[DraftGrid]
) -> tuple[list[dict], list[dict]]:
    """Seasonal zones overlapping area that changes grid, and checkpoints/stations that change grid."""
    draft = {g.code: g for g in grids}
    changed = [
        shapely.symmetric_difference(base[c].geometry if c in base else shapely.MultiPolygon(), g.geometry)
        for c, g in draft.items()
        if c not in base or not same_grid(base[c], g)
    ]
    moved_area = shapely.union_all(changed) if changed else shapely.MultiPolygon()
    affected_zones: list[dict] = []
    moved_sites: list[dict] = []
    if moved_area.is_empty:
        return affected_zones, moved_sites
    for zone in session.scalars(select(SeasonalZone).where(visible_zones(principal))):
        outline = to_shape(zone.geom)
        if km2(shapely.intersection(outline, moved_area)) * 1e6 > CHANGE_TOLERANCE_M2:
            affected_zones.append({"id": zone.id, "name": zone.name_zh})
        points = [(to_shape(s.geom).x, to_shape(s.geom).y) for s in zone.sites]
        if points:
            before = _landing(list(base.values()), points)
            after = _landing(grids, points)
            for site, old, new in zip(zone.sites, before, after, strict=True):
                if old != new and (old or new):
                    moved_sites.append({"name": site.name, "zone": zone.name_zh, "from": old, "to": new})
    return affected_zones, moved_sites


def surviving_codes(base: dict[str, DraftGrid], grids: list[DraftGrid]) -> dict[str, str]:
    """For each base grid the plan removes, the draft grid holding most of its old area."""
    survivors = {}
    draft_codes = {g.code for g in grids}
    for code, before in base.items():
        if code in draft_codes:
            continue
        overlaps = [(km2(shapely.intersection(before.geometry, g.geometry)), g.code) for g in grids]
        survivors[code] = max(overlaps)[1]
    return survivors


def _moving(
    session: Session, model: type[PartyBranch] | type[GridWorker], survivors: dict[str, str], principal: Principal
) -> list[dict]:
    if not survivors:
        return []
    query = select(model.code, model.name, Grid.code).join(Grid, Grid.id == model.grid_id)
    if model is GridWorker:
        # Workers of nets the caller lacks (religious affairs) are not named, as everywhere else.
        query = query.where(GridWorker.nets.overlap(sorted(principal.nets)))
    rows = session.execute(query.where(Grid.code.in_(list(survivors)))).all()
    return [
        {"code": code, "name": name, "from": grid, "to": survivors[grid], "new": False} for code, name, grid in rows
    ]
