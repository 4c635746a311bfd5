"""Places a resident chooses from lists (township → village → villager group), for those who cannot read a map."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, cast, func, select
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Session, aliased

from geo.core.errors import InvalidInput, NotFound
from geo.grid.boundaries import generation_in_force, valid_in
from geo.grid.counties import county_codes
from geo.grid.models import Grid, GridBoundary, GridLevel

#: The level listed below each level a resident may choose from.
_NEXT = {
    GridLevel.COUNTY: GridLevel.TOWNSHIP,
    GridLevel.TOWNSHIP: GridLevel.VILLAGE,
    GridLevel.VILLAGE: GridLevel.GROUP,
}


@dataclass(frozen=True)
class Place:
    code: str
    name_zh: str
    name_en: str
    is_demo: bool

    def name(self, lang: str) -> str:
        return (self.name_en or self.name_zh) if lang == "en" else self.name_zh


def _in_force():
    return valid_in(GridBoundary, generation_in_force().scalar_subquery())


def townships(session: Session) -> list[Place]:
    """The townships in force of every county in the data, the first a resident chooses from."""
    return [place for county in county_codes(session) for place in children(session, county)]


def children(session: Session, parent_code: str) -> list[Place]:
    """The grids in force one level below ``parent_code`` (a county, township or village code), by code."""
    if not isinstance(parent_code, str) or not parent_code.isdigit():
        raise InvalidInput("choose a place from the list", field="place")
    try:
        level = _NEXT[GridLevel.of_code(parent_code)]
    except (KeyError, StopIteration):
        raise InvalidInput("choose a place from the list", field="place") from None
    parent = aliased(Grid)
    rows = session.execute(
        select(Grid.code, Grid.name_zh, Grid.name_en, Grid.is_demo)
        .join(parent, parent.id == Grid.parent_id)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(parent.code == parent_code, Grid.level == level.value, *_in_force())
        .order_by(Grid.code)
    ).all()
    return [Place(*row) for row in rows]


def group_point(session: Session, group_code: str) -> tuple[float, float]:
    """A point inside the villager group's outline in force (lon, lat): where a report chosen from lists lies."""
    if not isinstance(group_code, str) or not group_code.isdigit() or len(group_code) != GridLevel.GROUP.code_length:
        raise InvalidInput("choose a villager group from the list", field="group")
    point = session.execute(
        select(
            func.ST_X(func.ST_PointOnSurface(GridBoundary.geom)), func.ST_Y(func.ST_PointOnSurface(GridBoundary.geom))
        )
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(Grid.code == group_code, *_in_force())
    ).first()
    if point is None:
        raise NotFound("no villager group {code}", code=group_code[:15])
    return float(point[0]), float(point[1])


def chain_below_county(group_code: str) -> list[str]:
    """The codes of the township, village and group above and at ``group_code``, township first."""
    return [group_code[:length] for length in (9, 12, 15) if len(group_code) >= length]


def places_by_code(session: Session, group_codes: set[str]) -> dict[str, Place]:
    """The places of the chains of ``group_codes`` (the county left out), by code, in one query."""
    codes = {code for group in group_codes for code in chain_below_county(group)}
    rows = session.execute(select(Grid.code, Grid.name_zh, Grid.name_en, Grid.is_demo).where(Grid.code.in_(codes)))
    return {row.code: Place(*row) for row in rows}


def chain_names(session: Session, group_code: str) -> list[Place]:
    """The township, village and group above and at ``group_code`` (the county left out), township first."""
    places = places_by_code(session, {group_code})
    return [places[code] for code in chain_below_county(group_code) if code in places]


def township_outlines_geojson(session: Session) -> str:
    """The townships in force as a small GeoJSON (simplified to ~100 m), for the report form's optional map."""
    simplified = func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(GridBoundary.geom_display, 0.001), 5)
    features = session.scalars(
        select(
            cast(
                func.json_build_object(
                    "type",
                    "Feature",
                    "properties",
                    func.json_build_object("code", Grid.code, "name", Grid.name_zh),
                    "geometry",
                    cast(simplified, JSON),
                ),
                Text,
            )
        )
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(Grid.level == GridLevel.TOWNSHIP.value, *_in_force())
        .order_by(Grid.code)
    ).all()
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
