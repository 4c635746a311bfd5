"""Import grid boundaries for one level: read a file, validate it, write a new generation.

Every way boundaries enter the database goes through here — the demo loader,
the ``grids import`` and ``atlas init-county`` commands alike — so the same rules
hold for all: valid polygons, well-formed unique codes, known parents, children
tiling their parent exactly, and the level below still tiling the new outlines.
An import redraws one county: the outlines of the other counties stay as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session

from geo.core.calendar import county_day
from geo.core.crs import SourceCRS, area_m2, geometry_to_wgs84, parse_source_crs
from geo.core.errors import BoundaryImportError, Problem
from geo.grid.models import Generation, Grid, GridBoundary, GridLevel, GridLookupPart, codes_under, county_of
from geo.grid.tiling import as_multipolygon, geometry_problems, validate_tiling
from geo.grid.vector_files import DEFAULT_LIMITS, Limits, detect_format, read_layer

#: Display simplification tolerance per level, in degrees (≈ 100 m per 0.001°).
DISPLAY_TOLERANCE = {
    GridLevel.COUNTY: 0.002,
    GridLevel.TOWNSHIP: 0.0015,
    GridLevel.VILLAGE: 0.001,
    GridLevel.GROUP: 0.0005,
}
#: Vertices per piece when subdividing group outlines for point lookups.
LOOKUP_PART_VERTICES = 64


@dataclass(frozen=True)
class BoundaryFeature:
    """One grid outline read from a file, in WGS-84."""

    code: str
    name_zh: str
    name_en: str
    parent_code: str | None
    geometry: shapely.Geometry
    is_demo: bool = False


@dataclass(frozen=True)
class FieldNames:
    """Which attribute of the file holds which value."""

    code: str = "code"
    name_zh: str = "name_zh"
    name_en: str = "name_en"
    parent_code: str = "parent_code"
    demo: str = "demo"


def read_boundary_file(
    path: str | Path,
    *,
    layer: str | None = None,
    source_crs: SourceCRS | str = SourceCRS.WGS84,
    fields: FieldNames = FieldNames(),
    limits: Limits = DEFAULT_LIMITS,
) -> list[BoundaryFeature]:
    """Read grid outlines from a GeoJSON, GeoPackage or zipped Shapefile (``geo.grid.vector_files`` opens it).

    A file that declares a projected CRS is reprojected to WGS-84; ``source_crs``
    then undoes the Chinese map offsets (GCJ-02, BD-09) that a CRS cannot declare.

    Raises
    ------
    BoundaryImportError
        Naming the problem: no geometry, missing attribute, coordinates that
        are clearly not degrees.
    geo.vector_files.UnsupportedFile, FileTooLarge, geo.limits.TooManyVertices
        A file of another format, unreadable, over a limit, or an unknown layer.
    """
    source = parse_source_crs(source_crs) if isinstance(source_crs, str) else source_crs
    frame = read_layer(path, detect_format(path), layer, limits)
    if "geometry" not in frame or frame.geometry.isna().all():
        raise BoundaryImportError([Problem("the file has no geometry")])
    missing = [name for name in (fields.code, fields.name_zh) if name not in frame.columns]
    if missing:
        raise BoundaryImportError(
            [
                Problem(
                    "attribute {name!r} missing; the file has {columns}",
                    name=name,
                    columns=[str(column) for column in frame.columns[:30]],
                )
                for name in missing
            ]
        )
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    xmin, ymin, xmax, ymax = frame.total_bounds
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise BoundaryImportError(
            [
                Problem(
                    "coordinates up to ({x:.0f}, {y:.0f}) are not degrees: projected metres without a declared CRS?",
                    x=xmax,
                    y=ymax,
                )
            ]
        )
    geometries = geometry_to_wgs84(np.asarray(frame.geometry.values, dtype=object), source)
    features = []
    for index, geometry in enumerate(geometries):
        row = frame.iloc[index]
        features.append(
            BoundaryFeature(
                code=str(row[fields.code]).strip(),
                name_zh=str(row[fields.name_zh]).strip(),
                name_en=_optional_text(row.get(fields.name_en)),
                parent_code=_optional_text(row.get(fields.parent_code)) or None,
                geometry=geometry,
                is_demo=bool(row.get(fields.demo, False)),
            )
        )
    return features


def _optional_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def validate_level(
    features: Sequence[BoundaryFeature],
    level: GridLevel,
    parents: dict[str, shapely.Geometry],
    children_below: dict[str, list[tuple[str, shapely.Geometry]]] | None = None,
) -> list[Problem]:
    """Return every problem that would stop ``features`` becoming ``level``'s outlines.

    ``parents`` maps the parent level's codes to their current outlines (empty
    for the county level); ``children_below`` maps each code of this level to the
    current outlines of its children, which must still tile the new outline.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    for feature in features:
        code = feature.code
        if not (code.isdigit() and len(code) == level.code_length):
            problems.append(
                Problem(
                    "code {grid!r} must be {digits} digits for level {level}",
                    code,
                    grid=code,
                    digits=level.code_length,
                    level=level.value,
                )
            )
        if code in seen:
            problems.append(Problem("code {grid} appears more than once", code, grid=code))
        seen.add(code)
        if not feature.name_zh:
            problems.append(Problem("grid {grid} has no name", code, grid=code))
        problems.extend(geometry_problems(feature.geometry, code))
        if level is not GridLevel.COUNTY:
            if feature.parent_code not in parents:
                problems.append(
                    Problem(
                        "grid {grid}: parent {parent!r} is not a current {level}",
                        code,
                        grid=code,
                        parent=feature.parent_code,
                        level=level.parent.value if level.parent else None,
                    )
                )
            elif not code.startswith(feature.parent_code or ""):
                problems.append(
                    Problem(
                        "code {grid} does not start with its parent's code {parent}",
                        code,
                        grid=code,
                        parent=feature.parent_code,
                    )
                )
    if level is GridLevel.COUNTY and len(features) != 1:
        problems.append(Problem("the county level holds exactly one grid, the file has {count}", count=len(features)))
    if problems:
        return problems

    by_parent: dict[str, list[BoundaryFeature]] = defaultdict(list)
    for feature in features:
        by_parent[feature.parent_code or ""].append(feature)
    for parent_code, parent_geometry in parents.items():
        siblings = by_parent.get(parent_code, [])
        problems.extend(
            validate_tiling([f.geometry for f in siblings], [f.code for f in siblings], parent_geometry, parent_code)
        )
    for feature in features:
        below = (children_below or {}).get(feature.code)
        if below:
            problems.extend(
                validate_tiling([g for _, g in below], [c for c, _ in below], feature.geometry, feature.code)
            )
    return problems


def generation_in_force():
    """A query of the id of the generation in force (the highest activated one)."""
    return select(func.max(Generation.id)).where(Generation.activated_at.is_not(None))


def current_generation(session: Session) -> int | None:
    """Return the id of the generation in force, or None before anything is loaded."""
    return session.scalar(generation_in_force())


def current_outlines(session: Session, level: GridLevel, county: str = "") -> dict[str, shapely.Geometry]:
    """Return code -> outline of ``level``'s grids in the current generation (of one ``county``, if given)."""
    generation = current_generation(session)
    if generation is None:
        return {}
    rows = session.execute(
        select(Grid.code, GridBoundary.geom)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(GridBoundary.level == level.value, codes_under(Grid.code, county), *valid_in(GridBoundary, generation))
    )
    return {code: to_shape(geom) for code, geom in rows}


def current_children(
    session: Session, level: GridLevel, county: str = ""
) -> dict[str, list[tuple[str, shapely.Geometry]]]:
    """Return parent code -> [(code, outline)] for the level below ``level`` (of one ``county``, if given)."""
    depth = level.depth
    if depth == len(GridLevel) - 1:
        return {}
    below = list(GridLevel)[depth + 1]
    grouped: dict[str, list[tuple[str, shapely.Geometry]]] = defaultdict(list)
    for code, geometry in current_outlines(session, below, county).items():
        grouped[code[: level.code_length]].append((code, geometry))
    return grouped


def valid_in(table: type[GridBoundary] | type[GridLookupPart], generation: int | ColumnElement[int]) -> tuple:
    """Return the SQL conditions for rows of ``table`` valid in ``generation`` (a number or a SQL expression)."""
    return (
        table.generation_low <= generation,
        (table.generation_high.is_(None)) | (table.generation_high >= generation),
    )


def generation_as_of(session: Session, day: date) -> int | None:
    """Return the generation that was in force on ``day`` (None before the first took effect)."""
    return session.scalar(
        select(func.max(Generation.id)).where(Generation.activated_at.is_not(None), Generation.effective_from <= day)
    )


#: Key of the transaction-level advisory lock held while a new generation is written.
GENERATION_LOCK = 0x67656E  # "gen"


def lock_generations(session: Session) -> None:
    """Wait until no other transaction is writing a generation; keep others waiting until this one ends.

    Each new generation closes the rows it replaces at the one before it: two
    written at once would both start from the same generation in force, and each
    would leave out the other's grids. Taking the lock again in the same
    transaction is free.
    """
    # On the connection, so that taking the lock does not flush changes still pending in the session.
    session.connection().execute(select(func.pg_advisory_xact_lock(GENERATION_LOCK)))


def new_generation(
    session: Session,
    description: str,
    *,
    county_code: str,
    effective_from: date | None = None,
    activated_by: str = "system",
) -> Generation:
    """Create and activate a new generation of ``county_code``'s outlines (in force at once).

    ``effective_from`` dates it for "as of" lookups; by default it takes effect today.
    Generations are written one at a time (``lock_generations``), so their ids follow
    the order in which they came into force.
    """
    lock_generations(session)
    now = datetime.now(UTC)
    generation = Generation(
        county_code=county_code,
        description=description,
        activated_at=now,
        effective_from=effective_from or county_day(now),
        activated_by=activated_by,
    )
    session.add(generation)
    session.flush()
    return generation


def write_level(
    session: Session, features: Sequence[BoundaryFeature], level: GridLevel, generation: Generation
) -> None:
    """Write validated ``features`` as ``level``'s outlines from ``generation`` on.

    Grids are matched by code (new codes create grids); outlines of the level in
    the generation's county that were valid before are closed at the previous generation.
    """
    in_county = codes_under(Grid.code, generation.county_code)
    parent_level = (level.parent or level).value
    parent_ids = dict(session.execute(select(Grid.code, Grid.id).where(Grid.level == parent_level)).all())
    grids = put_grids(
        session,
        level,
        [
            GridIdentity(
                f.code, f.name_zh, f.name_en, f.is_demo, parent_ids.get(f.parent_code) if f.parent_code else None
            )
            for f in features
        ],
    )

    previous = session.scalar(
        select(func.max(Generation.id)).where(Generation.id < generation.id, Generation.activated_at.is_not(None))
    )
    session.execute(
        update(GridBoundary)
        .where(
            GridBoundary.level == level.value,
            GridBoundary.generation_high.is_(None),
            GridBoundary.grid_id.in_(select(Grid.id).where(in_county)),
        )
        .values(generation_high=previous)
    )
    if level is GridLevel.GROUP:
        session.execute(
            update(GridLookupPart)
            .where(
                GridLookupPart.generation_high.is_(None),
                codes_under(GridLookupPart.code, generation.county_code),
            )
            .values(generation_high=previous)
        )

    geometries = np.array([as_multipolygon(f.geometry) for f in features], dtype=object)
    display = shapely.coverage_simplify(geometries, DISPLAY_TOLERANCE[level])
    outlines = [
        Outline(f.code, geometry, shown) for f, geometry, shown in zip(features, geometries, display, strict=True)
    ]
    write_outlines(session, level, generation.id, outlines, {code: grid.id for code, grid in grids.items()})


@dataclass(frozen=True)
class GridIdentity:
    """What a grid is, apart from its outline: code, names, demo flag and parent."""

    code: str
    name_zh: str
    name_en: str
    is_demo: bool
    parent_id: int | None


@dataclass(frozen=True)
class Outline:
    """A grid's outline in one generation, with the simplified outline the map shows."""

    code: str
    geometry: shapely.Geometry
    display: shapely.Geometry


def put_grids(session: Session, level: GridLevel | str, identities: Sequence[GridIdentity]) -> dict[str, Grid]:
    """Create or update the grids named by ``identities`` (matched by code); the one place grid rows are written.

    ``level`` is one of the county grid's levels, or ``PREFECTURE_LEVEL`` for a prefecture's row.
    """
    grids = {g.code: g for g in session.scalars(select(Grid).where(Grid.code.in_([i.code for i in identities])))}
    for identity in identities:
        grid = grids.get(identity.code)
        if grid is None:
            grid = Grid(code=identity.code, level=str(level))
            session.add(grid)
            grids[identity.code] = grid
        grid.name_zh, grid.name_en = identity.name_zh, identity.name_en
        grid.is_demo, grid.parent_id = identity.is_demo, identity.parent_id
    session.flush()
    return grids


def write_outlines(
    session: Session, level: GridLevel, generation: int, outlines: Sequence[Outline], grid_ids: dict[str, int]
) -> None:
    """Store ``outlines`` as valid from ``generation`` on; the one place boundary rows are written.

    Closing the rows they replace is the caller's part (an import closes a whole level, a plan only the grids it
    rewrote); group outlines are also cut into lookup parts.
    """
    if outlines:
        areas = area_m2(np.array([o.geometry for o in outlines], dtype=object)) / 1e6
        session.execute(
            insert(GridBoundary),
            [
                {
                    "grid_id": grid_ids[o.code],
                    "level": level.value,
                    "generation_low": generation,
                    "area_km2": float(area),
                    "geom": from_shape(as_multipolygon(o.geometry), srid=4326),
                    "geom_display": from_shape(as_multipolygon(o.display), srid=4326),
                }
                for o, area in zip(outlines, areas, strict=True)
            ],
        )
    if level is GridLevel.GROUP:
        write_lookup_parts(session, generation)


def write_lookup_parts(session: Session, generation: int) -> None:
    """Cut the group outlines first valid in ``generation`` into small pieces for point lookups."""
    pieces = (
        select(
            GridBoundary.id,
            GridBoundary.grid_id,
            Grid.code,
            GridBoundary.generation_low,
            func.ST_Subdivide(GridBoundary.geom, LOOKUP_PART_VERTICES),
        )
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(GridBoundary.level == GridLevel.GROUP.value, GridBoundary.generation_low == generation)
    )
    session.execute(
        insert(GridLookupPart).from_select(["boundary_id", "grid_id", "code", "generation_low", "geom"], pieces)
    )


def import_levels(
    session: Session,
    levels: Iterable[tuple[GridLevel, Sequence[BoundaryFeature]]],
    description: str,
    *,
    commit: bool,
    effective_from: date | None = None,
) -> list[Problem]:
    """Validate one or more levels (top first) and, if ``commit`` and all is well, write them.

    All levels go into one new generation, in one transaction: nothing is
    written unless every level passes. The grids must all lie in one county; the
    import redraws that county and leaves the others alone. Returns the problems
    found (empty on success).
    """
    staged = list(levels)
    counties = sorted({county_of(f.code) for _, features in staged for f in features})
    if not counties:
        return [Problem("the files hold no grids")]
    if len(counties) != 1:
        return [
            Problem("an import redraws one county; these files hold grids of {counties}", counties=", ".join(counties))
        ]
    county = counties[0]
    imported: dict[GridLevel, dict[str, shapely.Geometry]] = {}
    problems: list[Problem] = []
    for level, features in staged:
        parent_level = level.parent
        if parent_level is None:
            parents: dict[str, shapely.Geometry] = {}
        elif parent_level in imported:
            parents = imported[parent_level]
        else:
            parents = current_outlines(session, parent_level, county)
        below = list(GridLevel)[level.depth + 1] if level is not GridLevel.GROUP else None
        children = (
            None if below is None or any(lv is below for lv, _ in staged) else current_children(session, level, county)
        )
        problems.extend(validate_level(features, level, parents, children))
        imported[level] = {f.code: f.geometry for f in features}
    if problems or not commit:
        return problems
    generation = new_generation(session, description, county_code=county, effective_from=effective_from)
    for level, features in staged:
        write_level(session, features, level, generation)
    return []
