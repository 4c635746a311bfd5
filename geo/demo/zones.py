"""Demonstration seasonal zones: caterpillar-fungus hills on the high ground by the county's borders.

Generated, not surveyed: six hills a few kilometres inside the northern and
western county line (the alpine meadows above 羊拉乡, 佛山乡 and 云岭乡 that
reach 4,000 m and more), each with a temporary party branch, a patrol team,
a checkpoint on the way up and a warm-heart station below it; plus a
matsutake forest (July–September) and a fire-risk forest whose window
crosses the new year. Every one is marked as demo data.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.atlas.lookup import lookup_point
from geo.core.crs import from_metric, to_metric
from geo.demo.generate import chinese_ordinal
from geo.grid.models import AdminArea, Grid, GridWorker
from geo.patrol.models import PatrolTeam, TemporaryBranch, ZoneKind, ZoneSite
from geo.patrol.zones import ZoneInput, create_zone

SEED = 4000
HARVEST_WINDOW = [{"start": "04-25", "end": "07-05"}]
#: Where along the county line (fraction of its length from the first vertex) the hills sit, found by
#: looking at the outline: the northern tip (羊拉) and the western line along Tibet (佛山, 云岭).
HILL_PLACES = (0.02, 0.06, 0.10, 0.93, 0.86, 0.80)
INLAND_M = 3500.0
RADIUS_M = 3200.0


def _blob(rng: np.random.Generator, centre: np.ndarray, radius: float) -> shapely.Polygon:
    """An irregular, valid polygon around ``centre`` (metres)."""
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radii = radius * (0.75 + 0.5 * rng.random(24))
    ring = np.column_stack([centre[0] + radii * np.cos(angles), centre[1] + 0.8 * radii * np.sin(angles)])
    return shapely.make_valid(shapely.Polygon(ring)).buffer(0)


def _people(session: Session, near: shapely.Point) -> list[GridWorker]:
    """The demo workers of the village holding ``near``: they staff the hill."""
    chain = lookup_point(session, near.x, near.y, Principal.everything("demo-loader"), None).chain
    village = chain[2].code if len(chain) > 2 else "533422"
    return list(
        session.scalars(
            select(GridWorker).join(Grid).where(Grid.code.startswith(village)).order_by(GridWorker.code).limit(6)
        )
    )


def hill_centres(county_metric: shapely.Geometry) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where the demo harvest hills stand and which way is inland (metres); the fungus disputes happen there."""
    ring = shapely.get_exterior_ring(max(shapely.get_parts(county_metric), key=lambda p: p.area))
    centre = np.array(shapely.get_coordinates(county_metric.centroid)[0])
    centres = []
    for fraction in HILL_PLACES:
        on_line = np.array(shapely.get_coordinates(ring.interpolate(fraction, normalized=True))[0])
        inward = (centre - on_line) / np.linalg.norm(centre - on_line)
        centres.append((on_line + inward * INLAND_M, inward))
    return centres


def load_demo_zones(session: Session, now: datetime) -> int:
    """Create the demo zones with their branches, teams, checkpoints and stations; return how many."""
    rng = np.random.default_rng(SEED)
    principal = Principal.everything("demo-loader")
    county = session.scalar(select(AdminArea.geom).where(AdminArea.is_home_county))
    if county is None:
        raise ValueError("load the county outline before the zones")
    made = 0
    for number, (hill_centre, inward) in enumerate(hill_centres(to_metric(to_shape(county))), start=1):
        outline = _blob(rng, hill_centre, RADIUS_M)
        checkpoint = hill_centre + inward * (RADIUS_M + 600)
        station = checkpoint + inward * 1500
        place = from_metric(shapely.Point(hill_centre))
        people = _people(session, place)
        name = f"{chinese_ordinal(number)}号虫草山"
        zone = create_zone(
            session,
            principal,
            ZoneInput(
                name_zh=name,
                name_en=f"Caterpillar-fungus hill {number}",
                kind=ZoneKind.CATERPILLAR_FUNGUS.value,
                geometry=from_metric(outline),
                windows=HARVEST_WINDOW,
                overrides={},
                altitude_min_m=4000,
                altitude_max_m=4900,
            ),
            now,
            is_demo=True,
        )
        names = [w.name for w in people] or ["演示人员"]
        phones = [w.phone for w in people] or [""]
        year = now.year
        zone.branches.append(
            TemporaryBranch(
                name=f"{name}临时党支部",
                secretary=names[0],
                phone=phones[0],
                members=names[1:5],
                starts=date(year, 4, 20),
                ends=date(year, 7, 10),
            )
        )
        zone.teams.append(PatrolTeam(name=f"{name}巡逻队", leader=names[-1], phone=phones[-1], members=names[1:4]))
        for kind, label, xy in (("checkpoint", "卡点", checkpoint), ("station", "暖心驿站", station)):
            zone.sites.append(
                ZoneSite(kind=kind, name=f"{name}{label}", geom=f"SRID=4326;{from_metric(shapely.Point(xy)).wkt}")
            )
        made += 1
    made += _other_zones(session, principal, rng, now)
    session.flush()
    return made


def _other_zones(session: Session, principal: Principal, rng: np.random.Generator, now: datetime) -> int:
    others = [
        (
            "松茸林（霞若）",
            "Matsutake forest",
            ZoneKind.MATSUTAKE,
            (99.05, 27.95),
            [{"start": "07-01", "end": "09-30"}],
        ),
        (
            "白马雪山防火林区",
            "Baima fire-risk forest",
            ZoneKind.FIRE,
            (99.15, 28.35),
            [{"start": "11-15", "end": "04-30"}],
        ),
    ]
    for name_zh, name_en, kind, (lon, lat), windows in others:
        centre = np.array(shapely.get_coordinates(to_metric(shapely.Point(lon, lat)))[0])
        create_zone(
            session,
            principal,
            ZoneInput(name_zh, kind.value, from_metric(_blob(rng, centre, 5000)), windows, {}, name_en),
            now,
            is_demo=True,
        )
    return len(others)
