"""Point lookup: which grid chain (county → township → village → group) covers a point.

Lookups use ``ST_Covers`` on subdivided group outlines (a point on an edge still
matches, as in MapIt). A point on an edge shared by two groups is covered by
both; the lower grid code wins, so the answer never depends on row order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Integer, bindparam, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.errors import InvalidInput, NotFound
from geo.core.sql import CompiledQuery
from geo.grid.boundaries import current_generation, generation_in_force, valid_in
from geo.grid.models import AdminArea, Grid, GridLevel, GridLookupPart, GridWorker, PartyBranch, on_duty

# The county's bounding box, padded by a degree: used only to recognise swapped coordinates.
_REGION = (97.5, 26.5, 100.5, 30.2)


# A lookup builds a dozen of these per answer: not frozen, since a frozen dataclass sets each field
# through object.__setattr__ (0.7 µs an object, issue #13). Nothing changes them after they are built.
@dataclass(slots=True)
class WorkerSummary:
    """The public face of a grid worker (no contact data); id and leave dates serve routing, not answers."""

    code: str
    name: str
    post: str
    nets: list[str]
    id: int = 0
    unavailable_from: date | None = None
    unavailable_until: date | None = None

    def available_on(self, day: date) -> bool:
        return on_duty(self.unavailable_from, self.unavailable_until, day)


@dataclass(slots=True)
class ChainLink:
    """One level of a lookup answer."""

    level: str
    code: str
    name_zh: str
    name_en: str
    is_demo: bool
    workers: list[WorkerSummary] = field(default_factory=list)
    party_branch: str | None = None
    grid_id: int = 0

    def as_dict(self, principal: Principal) -> dict:
        """The link as the caller may see it: a grid above the jurisdiction is named, its people are not."""
        inside = principal.covers(self.code)
        return {
            "level": self.level,
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "is_demo": self.is_demo,
            "workers": [
                {"code": w.code, "name": w.name, "post": w.post, "nets": principal.shown_nets(w.nets)}
                for w in self.workers
            ]
            if inside
            else [],
            "party_branch": self.party_branch if inside else None,
        }


@dataclass(frozen=True)
class LookupResult:
    """The answer to a point lookup."""

    lon: float
    lat: float
    generation: int
    inside_county: bool
    chain: list[ChainLink]
    nearest_grid: ChainLink | None = None
    nearest_distance_m: float | None = None
    neighbour_county: dict | None = None

    def as_dict(self, principal: Principal) -> dict:
        """Return the answer as JSON-ready data for ``principal`` (dataclasses.asdict is several times slower here).

        The chain keeps every link for routing (an incident may go up to the township's
        worker), but only links inside the caller's jurisdiction list their workers and branch.
        """
        return {
            "lon": self.lon,
            "lat": self.lat,
            "generation": self.generation,
            "inside_county": self.inside_county,
            "chain": [link.as_dict(principal) for link in self.chain],
            "nearest_grid": self.nearest_grid.as_dict(principal) if self.nearest_grid else None,
            "nearest_distance_m": self.nearest_distance_m,
            "neighbour_county": self.neighbour_county,
        }


def parse_coordinates(lon_text: str | None, lat_text: str | None) -> tuple[float, float]:
    """Parse and check ``lon``/``lat`` query values; raise InvalidInput naming the problem."""
    values = {}
    for name, raw in (("lon", lon_text), ("lat", lat_text)):
        if raw is None or raw.strip() == "":
            raise InvalidInput("{field} is required (decimal degrees, WGS-84)", field=name)
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput("{field} must be a number, got {value!r}", field=name, value=raw[:40]) from None
        if not math.isfinite(value):
            raise InvalidInput("{field} must be a finite number, got {value!r}", field=name, value=raw[:40])
        values[name] = value
    lon, lat = values["lon"], values["lat"]
    west, south, east, north = _REGION
    if west <= lat <= east and south <= lon <= north:
        raise InvalidInput(
            "lon={lon} and lat={lat} look swapped: Deqin lies near lon 99, lat 28", field="lon", lon=lon, lat=lat
        )
    if not -180 <= lon <= 180:
        raise InvalidInput("{field} must be between -180 and 180, got {value}", field="lon", value=lon)
    if not -90 <= lat <= 90:
        raise InvalidInput("{field} must be between -90 and 90, got {value}", field="lat", value=lat)
    return lon, lat


def _point(lon, lat):
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def _chain_statement():
    """One statement for the whole answer: the covering group, its ancestors, their workers and branch."""
    generation = func.coalesce(bindparam("generation", type_=Integer), generation_in_force().scalar_subquery())
    hit = (
        select(GridLookupPart.code)
        .where(
            func.ST_Covers(GridLookupPart.geom, _point(bindparam("lon"), bindparam("lat"))),
            *valid_in(GridLookupPart, generation),
        )
        .order_by(GridLookupPart.code)
        .limit(1)
        .cte("hit")
    )
    return _chain_from(hit, generation)


def _chain_of_grid_statement():
    hit = select(Grid.code).where(Grid.id == bindparam("grid_id", type_=Integer)).cte("hit")
    return _chain_from(hit, literal(None, Integer))


def _chain_from(hit, generation):
    # Codes nest (a child's code starts with its parent's; imports enforce it), so the
    # ancestors of a grid are the grids whose codes are its prefixes: four index lookups.
    prefixes = union_all(
        *(select(func.left(hit.c.code, level.code_length)) for level in GridLevel if level is not GridLevel.GROUP),
        select(hit.c.code),
    )
    workers = (
        select(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object(
                        "code",
                        GridWorker.code,
                        "name",
                        GridWorker.name,
                        "post",
                        GridWorker.post,
                        "nets",
                        GridWorker.nets,
                        "id",
                        GridWorker.id,
                        "off_from",
                        GridWorker.unavailable_from,
                        "off_until",
                        GridWorker.unavailable_until,
                    ),
                    GridWorker.code,
                )
            )
        )
        .where(GridWorker.grid_id == Grid.id)
        .scalar_subquery()
    )
    branch = select(PartyBranch.name).where(PartyBranch.grid_id == Grid.id).scalar_subquery()
    return (
        select(Grid.level, Grid.code, Grid.name_zh, Grid.name_en, Grid.is_demo, workers, branch, Grid.id, generation)
        .where(Grid.code.in_(prefixes))
        .order_by(func.length(Grid.code))
    )


_CHAIN_AT_POINT = CompiledQuery(_chain_statement)
_CHAIN_OF_GRID = CompiledQuery(_chain_of_grid_statement)


def _links(rows, principal: Principal) -> list[ChainLink]:
    return [
        ChainLink(
            level,
            code,
            name_zh,
            name_en,
            is_demo,
            [
                WorkerSummary(
                    w["code"],
                    w["name"],
                    w["post"],
                    w["nets"],
                    w["id"],
                    date.fromisoformat(w["off_from"]) if w["off_from"] else None,
                    date.fromisoformat(w["off_until"]) if w["off_until"] else None,
                )
                for w in workers or []
                if principal.sees_worker(w["nets"])
            ],
            branch,
            grid_id,
        )
        for level, code, name_zh, name_en, is_demo, workers, branch, grid_id, _ in rows
    ]


def lookup_point(
    session: Session, lon: float, lat: float, principal: Principal, generation: int | None = None
) -> LookupResult:
    """Return the grid chain covering (lon, lat), or what lies nearest when it is outside the county.

    Parameters
    ----------
    session : Session
        An open database session.
    lon, lat : float
        WGS-84 decimal degrees, already checked by ``parse_coordinates``.
    principal : Principal
        The caller: a point in a grid outside their jurisdiction answers NotFound,
        and only workers of their nets are listed.
    generation : int, optional
        Boundary generation to ask; the one in force when omitted.
    """
    connection = session.connection()
    rows = _CHAIN_AT_POINT.rows(connection, lon=lon, lat=lat, generation=generation)
    if rows:
        if not principal.covers(rows[-1].code):
            raise NotFound("no grid of your jurisdiction covers this point")
        return LookupResult(lon, lat, rows[0][-1], True, _links(rows, principal))
    if generation is None:
        generation = current_generation(session)
        if generation is None:
            raise NotFound("no grid boundaries are loaded yet")

    point = _point(lon, lat)
    nearest = session.execute(
        select(GridLookupPart.grid_id, func.ST_Distance(func.Geography(GridLookupPart.geom), func.Geography(point)))
        .where(*valid_in(GridLookupPart, generation))
        .order_by(GridLookupPart.geom.distance_centroid(point))
        .limit(1)
    ).first()
    neighbour = session.execute(
        select(AdminArea.code, AdminArea.name_zh, AdminArea.name_en, AdminArea.province).where(
            AdminArea.is_home_county.is_(False), func.ST_Covers(AdminArea.geom, point)
        )
    ).first()
    nearest_link = None
    if nearest:
        chain = _links(_CHAIN_OF_GRID.execute(connection, grid_id=nearest.grid_id), principal)
        nearest_link = chain[-1] if principal.covers(chain[-1].code) else None
    return LookupResult(
        lon,
        lat,
        generation,
        False,
        [],
        nearest_grid=nearest_link,
        nearest_distance_m=round(float(nearest[1]), 1) if nearest and nearest_link else None,
        neighbour_county=dict(neighbour._mapping) if neighbour else None,
    )
