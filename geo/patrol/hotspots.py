"""Where incidents concentrate: a kernel density surface and Getis-Ord Gi* hot and cold spots.

Both are computed in a metric CRS (UTM 47N) on a regular grid of square cells
over the caller's jurisdiction. The density is a binned kernel estimate
(counts per cell smoothed by a Gaussian of the bandwidth — the usual fast
approximation of scipy's exact ``gaussian_kde``, which costs points × cells).
Gi* (esda, cells within 1.5 cells of each other are neighbours, the cell
itself included) is tested with conditional permutations under a fixed seed;
significance is the permutation-based z's p-value after Benjamini–Hochberg
false discovery rate correction over all cells, and a spot is at least two
touching significant cells: with few incidents per cell the normal
approximation is a little generous, and lone significant cells in uniform
random data were its noise (6 of 30 seeded runs showed one without the rule,
1 of 30 with it; 999 permutations' pseudo p-values cannot pass FDR over
thousands of cells at all). This season is compared with the same dates one
year earlier.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import LargeBinary, func, literal, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.atlas.lookup import lookup_point
from geo.core.calendar import day_start
from geo.core.crs import coordinates_from_metric, coordinates_to_metric, from_metric, to_metric
from geo.core.errors import InvalidInput, NotFound
from geo.dispatch.models import Incident, IncidentCategory
from geo.dispatch.routing import route_worker
from geo.dispatch.scope import visible
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import AdminArea, Grid, GridBoundary, GridLevel, Net
from geo.patrol.seasons import active_range
from geo.patrol.tasks import proposed_visit
from geo.patrol.zones import zones

CELL_M = 2000.0
BANDWIDTH_M = 3000.0
PERMUTATIONS = 999
#: The fewest touching significant cells that make a hot or cold spot.
MIN_SPOT_CELLS = 2
SEED = 533422
ALPHA = 0.05
#: Why an analysis has nothing to show (its ``note``); the web layer words them.
NO_INCIDENTS = "no_incidents"
NO_SIGNIFICANT_SPOTS = "no_significant_spots"
#: Longest range one analysis may cover.
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class CellGrid:
    """Square cells over an area in metres: the raster and which of its cells lie in the area."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    inside: np.ndarray  # (ny, nx) bool

    @property
    def centres(self) -> np.ndarray:
        rows, cols = np.nonzero(self.inside)
        return np.column_stack([self.x0 + (cols + 0.5) * self.cell, self.y0 + (rows + 0.5) * self.cell])

    def raster_counts(self, xy: np.ndarray) -> np.ndarray:
        if len(xy) == 0:
            return np.zeros((self.ny, self.nx))
        counts, _, _ = np.histogram2d(
            xy[:, 1],
            xy[:, 0],
            bins=(self.ny, self.nx),
            range=((self.y0, self.y0 + self.ny * self.cell), (self.x0, self.x0 + self.nx * self.cell)),
        )
        return counts


def cell_grid(area_metric: shapely.Geometry, cell_m: float) -> CellGrid:
    """Cells of ``cell_m`` metres whose centre lies in ``area_metric``."""
    xmin, ymin, xmax, ymax = area_metric.bounds
    nx, ny = int(np.ceil((xmax - xmin) / cell_m)), int(np.ceil((ymax - ymin) / cell_m))
    cols, rows = np.meshgrid(np.arange(nx), np.arange(ny))
    shapely.prepare(area_metric)
    inside = shapely.contains_xy(area_metric, xmin + (cols + 0.5) * cell_m, ymin + (rows + 0.5) * cell_m)
    return CellGrid(xmin, ymin, cell_m, nx, ny, inside)


@dataclass
class GiStar:
    z: np.ndarray
    p: np.ndarray
    hot: np.ndarray
    cold: np.ndarray
    threshold: float


def gi_star(counts: np.ndarray, centres: np.ndarray, cell_m: float, permutations: int, seed: int) -> GiStar:
    """Getis-Ord Gi* per cell, with FDR-corrected significance (alpha 0.05)."""
    # Imported here, not at the top: importing esda loads scikit-learn and costs about 1.4 s,
    # which every gunicorn worker and every cron command would pay without ever drawing a hotspot.
    from esda import fdr
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    n = len(counts)
    if n < 3 or counts.sum() == 0 or np.all(counts == counts[0]):
        empty = np.zeros(n, dtype=bool)
        return GiStar(np.zeros(n), np.ones(n), empty, empty, 0.0)
    with warnings.catch_warnings():
        # libpysal warns about cells at the edge of the area with few neighbours: expected here.
        warnings.simplefilter("ignore")
        weights = DistanceBand(centres, threshold=cell_m * 1.5, binary=True, silence_warnings=True)
        result = G_Local(
            counts.astype(float), weights, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1
        )
    z = np.asarray(result.z_sim, dtype=float)
    p = np.asarray(result.p_z_sim, dtype=float)
    threshold = float(fdr(p, ALPHA))
    significant = p <= threshold
    return GiStar(z, p, significant & (z > 0), significant & (z < 0), threshold)


def density(grid: CellGrid, xy: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Incidents per km² per cell: binned counts smoothed by a Gaussian kernel of ``bandwidth_m``."""
    from scipy import ndimage  # on first analysis: 0.5 s that no other page of a web worker needs

    smoothed = ndimage.gaussian_filter(grid.raster_counts(xy), sigma=bandwidth_m / grid.cell, mode="constant")
    return smoothed[grid.inside] / (grid.cell / 1000) ** 2


@dataclass
class Surface:
    """The numbers behind a hotspot map, before they are given places and names."""

    grid: CellGrid
    counts: np.ndarray
    last_counts: np.ndarray
    density: np.ndarray
    this: GiStar
    last: GiStar
    clusters: list[np.ndarray] = field(default_factory=list)  # indices of kept cells, per hot cluster


def hotspot_surface(
    area_metric: shapely.Geometry,
    xy_this: np.ndarray,
    xy_last: np.ndarray,
    *,
    cell_m: float = CELL_M,
    bandwidth_m: float = BANDWIDTH_M,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> Surface:
    """Density and Gi* for this season's points (metres), Gi* for last year's, and the hot clusters."""
    grid = cell_grid(area_metric, cell_m)
    centres = grid.centres
    counts = grid.raster_counts(xy_this)[grid.inside]
    last_counts = grid.raster_counts(xy_last)[grid.inside]
    this = gi_star(counts, centres, cell_m, permutations, seed)
    last = gi_star(last_counts, centres, cell_m, permutations, seed)
    for result in (this, last):
        result.hot, result.cold = _in_spots(grid, result.hot), _in_spots(grid, result.cold)
    clusters = _spots(grid, this.hot)
    return Surface(grid, counts, last_counts, density(grid, xy_this, bandwidth_m), this, last, clusters)


def _in_spots(grid: CellGrid, significant: np.ndarray) -> np.ndarray:
    keep = np.zeros(len(significant), dtype=bool)
    for group in _spots(grid, significant):
        keep[group] = True
    return keep


def _spots(grid: CellGrid, significant: np.ndarray) -> list[np.ndarray]:
    """Groups of at least ``MIN_SPOT_CELLS`` touching cells (indices of kept cells)."""
    from scipy import ndimage

    raster = np.zeros(grid.inside.shape, dtype=bool)
    raster[grid.inside] = significant
    labels, found = ndimage.label(raster, structure=np.ones((3, 3)))
    index_of = np.full(grid.inside.shape, -1)
    index_of[grid.inside] = np.arange(grid.inside.sum())
    groups = [index_of[labels == k] for k in range(1, found + 1)]
    return [group for group in groups if len(group) >= MIN_SPOT_CELLS]


@dataclass(frozen=True)
class HotspotQuery:
    since: date
    until: date
    net: str | None = None
    category: str | None = None

    def check(self) -> None:
        if self.until < self.since:
            raise InvalidInput(
                "the range ends ({until}) before it starts ({since})", field="until", until=self.until, since=self.since
            )
        if (self.until - self.since).days > MAX_RANGE_DAYS:
            raise InvalidInput("choose at most {limit} days", field="until", limit=MAX_RANGE_DAYS)
        if self.net and self.net not in [n.value for n in Net]:
            raise InvalidInput("unknown net {value!r}", field="net", value=self.net[:20])


#: Without an open zone, the hotspot range looks back this far from the day.
QUIET_LOOKBACK = timedelta(days=60)


def default_range(session: Session, principal: Principal, day: date) -> tuple[date, date]:
    """The range a patrol map analyses first: the season so far of the zones open on ``day``, else 60 days before."""
    starts = [
        window[0]
        for zone in zones(session, principal)
        if (window := active_range(zone.windows, zone.overrides or {}, day)) is not None
    ]
    return (min(starts) if starts else day - QUIET_LOOKBACK), day


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def reported_between(since: date, until: date) -> tuple:
    """SQL conditions: the incident was reported from ``since`` to ``until``, both local days included."""
    return (Incident.reported_at >= day_start(since), Incident.reported_at < day_start(until + timedelta(days=1)))


#: One point in little-endian well-known binary (PostGIS ``ST_AsBinary``'s default): order, type, x, y.
_WKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def incident_points(
    session: Session, principal: Principal, query: HotspotQuery, since: date, until: date
) -> np.ndarray:
    """(lon, lat) of visible incidents reported from ``since`` to ``until`` (inclusive)."""
    # Each point's 21 bytes of WKB, end to end, read straight into an array: a season at a million
    # cases is 129,000 points; building a MULTIPOINT of them (ST_Collect) cost PostgreSQL 4x as much.
    statement = select(
        func.string_agg(func.ST_AsBinary(Incident.location), literal(b"", LargeBinary)).label("points")
    ).where(visible(principal), *reported_between(since, until))
    if query.net:
        statement = statement.where(Incident.net == query.net)
    if query.category:
        statement = statement.where(Incident.category.has(IncidentCategory.code == query.category))
    packed = session.scalar(statement)
    if packed is None:
        return np.empty((0, 2))
    points = np.frombuffer(packed, dtype=_WKB_POINT)
    if not (np.all(points["order"] == 1) and np.all(points["type"] == 1)):
        raise ValueError("incident locations are expected to be plain 2D points")
    return np.column_stack([points["x"], points["y"]])


def jurisdiction_area(session: Session, principal: Principal) -> shapely.Geometry:
    """The caller's jurisdiction outline (the real county outlines for county-wide and prefecture users)."""
    if len(principal.jurisdiction_code) <= GridLevel.COUNTY.code_length:
        geom = session.scalar(
            select(func.ST_Multi(func.ST_Union(AdminArea.geom))).where(
                AdminArea.is_home_county, principal.scope(AdminArea.code)
            )
        )
    else:
        geom = session.scalar(
            select(GridBoundary.geom)
            .join(Grid, Grid.id == GridBoundary.grid_id)
            .where(Grid.code == principal.jurisdiction_code, *valid_in(GridBoundary, current_generation(session) or 0))
        )
    if geom is None:
        raise NotFound("no outline for your jurisdiction is loaded")
    return to_shape(geom)


def _metric_xy(lonlat: np.ndarray) -> np.ndarray:
    return coordinates_to_metric(lonlat) if len(lonlat) else lonlat


def _lonlat(xy: np.ndarray) -> np.ndarray:
    return coordinates_from_metric(xy) if len(xy) else xy


def analyse(
    session: Session,
    principal: Principal,
    query: HotspotQuery,
    *,
    sites: list[dict] | None = None,
    cell_m: float = CELL_M,
    permutations: int = PERMUTATIONS,
) -> dict:
    """Hot and cold spots of incidents in a date range against the same range a year earlier, for the map and list.

    ``sites`` (name, kind, lon, lat) are the checkpoints and stations the hotspot list measures distances to.
    ``note`` is None, or a code saying why there is nothing to show: ``NO_INCIDENTS`` or ``NO_SIGNIFICANT_SPOTS``.

    The answer is kept (``_ANSWERS``) until an incident changes: the same season asked again costs
    one index lookup.
    """
    query.check()
    key = (
        principal.jurisdiction_code,
        principal.nets,
        query,
        repr(sites),
        cell_m,
        permutations,
        session.scalar(select(func.max(Incident.change_seq))),
        current_generation(session),
    )
    if key in _ANSWERS:
        _ANSWERS.move_to_end(key)
        return _ANSWERS[key]
    answer = _analysis(session, principal, query, sites or [], cell_m, permutations)
    _ANSWERS[key] = answer
    while len(_ANSWERS) > ANSWERS_KEPT:
        _ANSWERS.popitem(last=False)
    return answer


#: Answers kept per process, the least recently asked dropped first. An incident's change (intake,
#: any action) raises the change number in every key, so a kept answer is never stale; removing
#: incidents outright (demo reloads, benchmarks) does not, and is followed by a restart.
ANSWERS_KEPT = 32
_ANSWERS: OrderedDict[tuple, dict] = OrderedDict()


def _analysis(
    session: Session,
    principal: Principal,
    query: HotspotQuery,
    sites: list[dict],
    cell_m: float,
    permutations: int,
) -> dict:
    this = incident_points(session, principal, query, query.since, query.until)
    last = incident_points(session, principal, query, year_before(query.since), year_before(query.until))
    stats = {
        "since": query.since.isoformat(),
        "until": query.until.isoformat(),
        "incidents": len(this),
        "last_year_incidents": len(last),
        "cell_m": cell_m,
        "bandwidth_m": BANDWIDTH_M,
        "permutations": permutations,
        "seed": SEED,
        "alpha": ALPHA,
    }
    if len(this) == 0:
        return {"note": NO_INCIDENTS, "stats": stats, "cells": _collection([]), "heat": [], "hotspots": []}
    area = to_metric(jurisdiction_area(session, principal))
    surface = hotspot_surface(area, _metric_xy(this), _metric_xy(last), cell_m=cell_m, permutations=permutations)
    stats.update(
        cells=int(surface.grid.inside.sum()),
        hot_cells=int(surface.this.hot.sum()),
        cold_cells=int(surface.this.cold.sum()),
        fdr_threshold=surface.this.threshold,
    )
    centres = _lonlat(surface.grid.centres)
    return {
        "note": None if stats["hot_cells"] or stats["cold_cells"] else NO_SIGNIFICANT_SPOTS,
        "stats": stats,
        "cells": _cells_geojson(surface),
        "heat": _heat(surface, centres),
        "hotspots": _ranked(session, principal, query, surface, centres, sites),
    }


def _collection(features: list) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _cells_geojson(surface: Surface) -> dict:
    grid = surface.grid
    centres = grid.centres
    features = []
    for i in np.flatnonzero(surface.this.hot | surface.this.cold | surface.last.hot):
        x, y = centres[i]
        half = grid.cell / 2
        cell = from_metric(shapely.box(x - half, y - half, x + half, y + half))
        kind = "hot" if surface.this.hot[i] else "cold" if surface.this.cold[i] else "was_hot"
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": kind,
                    "z": round(float(surface.this.z[i]), 2),
                    "p": round(float(surface.this.p[i]), 5),
                    "count": int(surface.counts[i]),
                    "last_count": int(surface.last_counts[i]),
                    "was_hot": bool(surface.last.hot[i]),
                },
                "geometry": shapely.geometry.mapping(shapely.set_precision(cell, 1e-6)),
            }
        )
    return _collection(features)


def _heat(surface: Surface, centres: np.ndarray) -> list[list[float]]:
    peak = surface.density.max() if surface.density.size else 0.0
    if peak <= 0:
        return []
    keep = np.flatnonzero(surface.density >= 0.02 * peak)
    return [
        [round(float(centres[i, 1]), 5), round(float(centres[i, 0]), 5), round(float(surface.density[i] / peak), 3)]
        for i in keep
    ]


def _trend(now: int, before: int) -> str:
    if before == 0:
        return "new"
    change = (now - before) / before
    return "up" if change > 0.2 else "down" if change < -0.2 else "steady"


def _ranked(
    session: Session,
    principal: Principal,
    query: HotspotQuery,
    surface: Surface,
    centres: np.ndarray,
    sites: list[dict],
) -> list[dict]:
    site_points = _metric_xy(np.array([[s["lon"], s["lat"]] for s in sites], dtype=float).reshape(-1, 2))
    hotspots: list[dict[str, Any]] = []
    for cells in surface.clusters:
        weights = surface.counts[cells]
        centre_xy = np.average(surface.grid.centres[cells], axis=0, weights=weights if weights.sum() else None)
        lon, lat = (float(v) for v in _lonlat(centre_xy[None, :])[0])
        count, before = int(weights.sum()), int(surface.last_counts[cells].sum())
        nearest = None
        if len(site_points):
            distances = np.hypot(*(site_points - centre_xy).T)
            k = int(np.argmin(distances))
            nearest = {**sites[k], "distance_km": round(float(distances[k]) / 1000, 1)}
        chain = lookup_point(session, lon, lat, principal, None).chain
        group = chain[-1] if chain else None
        worker = route_worker(session, query.net or Net.SOCIAL.value, group.code, query.until) if group else None
        hotspots.append(
            {
                "lon": round(lon, 5),
                "lat": round(lat, 5),
                "cells": len(cells),
                "incidents": count,
                "last_year": before,
                "trend": _trend(count, before),
                "max_z": round(float(surface.this.z[cells].max()), 2),
                "nearest_site": nearest,
                "grid": {"code": group.code, "name": " ".join(link.name_zh for link in chain[1:])} if group else None,
                "worker": {"code": worker.code, "name": worker.name} if worker else None,
                "visit": proposed_visit(lon, lat, query.until),
            }
        )
    hotspots.sort(key=lambda h: (-h["incidents"], h["lon"]))
    for rank, hotspot in enumerate(hotspots, start=1):
        hotspot["rank"] = rank
    return hotspots
