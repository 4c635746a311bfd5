"""The collections of the OGC API – Features service: what each holds, for whom, and one page of it.

A collection is a scoped SQL query of its features (``Source``): a feature id, its public
properties and its geometry. Paging (``limit``/``offset``), ``bbox``, ``datetime`` and the simple
property filters are applied to that query here, once for every collection, so the jurisdiction
and net rules written into each source cannot be bypassed by a filter.

What each collection answers for ``datetime``:

- townships, villages, groups: the outlines in force on that day (the generation effective then;
  "as of", so an instant, not an interval);
- incidents: those reported within the instant's day or the interval;
- seasonal zones: those in season on that day (their windows recur every year);
- the others (workers, branches, sites) stand as they are now and refuse ``datetime``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Float, Numeric, Select, Text, func, literal, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.atlas.outlines import jurisdiction_bounds
from geo.core.calendar import COUNTY_TZ, county_day, day_start
from geo.core.errors import InvalidInput, NotFound
from geo.core.labels import Label, label
from geo.dispatch.models import Incident, IncidentCategory
from geo.dispatch.scope import visible
from geo.grid.boundaries import current_generation, generation_as_of, generation_in_force, valid_in
from geo.grid.models import Generation, Grid, GridBoundary, GridLevel, GridWorker, PartyBranch
from geo.patrol.models import SeasonalZone, ZoneSite
from geo.patrol.seasons import active_range
from geo.patrol.zones import visible_zones

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
#: The coordinate systems offered; both are WGS-84 coordinates here (CGCS2000 agrees to well under a
#: metre), but EPSG:4490 lists latitude first, as its definition orders the axes (OGC API – Features Part 2).
SUPPORTED_CRS = (CRS84, CGCS2000)
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
#: Coordinates to 7 decimals: about a centimetre, finer than any outline here was drawn.
COORDINATE_DECIMALS = 7
#: The parameters every items request may carry besides a collection's property filters.
ITEMS_PARAMETERS = frozenset({"f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime"})


@dataclass(frozen=True)
class Interval:
    """A ``datetime`` parameter: an instant (``start == end``) or an interval, either end open (None)."""

    start: datetime | None
    end: datetime | None

    @property
    def is_instant(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True)
class ItemsRequest:
    """The parameters of one items request, checked."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    when: Interval | None = None
    crs: str = CRS84
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """A collection's scoped query: columns ``fid``, ``geom`` and the properties, in order."""

    query: Select
    #: Shapes the properties of a row (named by the query's columns, less ``fid`` and ``geom``) for the answer.
    finish: Callable[[dict], dict] = dict
    #: A test no SQL can make (a zone's recurring windows): rows failing it are left out before paging.
    keep: Callable[[dict], bool] | None = None


@dataclass(frozen=True)
class Collection:
    """One collection of the service."""

    id: str
    title: Label
    description: Label
    geometry_type: str
    #: The properties that may be filtered on (``?status=closed``), exact matches.
    filters: tuple[str, ...]
    source: Callable[[Session, Principal, Interval | None], Source]
    #: What ``datetime`` means here; None when the collection refuses it.
    temporal: str | None = None


@dataclass(frozen=True)
class FeaturePage:
    """One page of a collection: its features as GeoJSON dicts and how many match in all."""

    features: list[dict]
    number_matched: int

    @property
    def number_returned(self) -> int:
        return len(self.features)


# -- parameters ---------------------------------------------------------------------------------


def parse_crs(value: str | None, name: str = "crs") -> str:
    """The coordinate system named by ``value`` (a URI of ``SUPPORTED_CRS``); CRS84 when absent."""
    if value is None or value.strip() == "":
        return CRS84
    uri = value.strip().strip("[]")
    if uri not in SUPPORTED_CRS:
        raise InvalidInput(
            "{field} must be one of {choices}, got {value!r}", field=name, choices=list(SUPPORTED_CRS), value=uri[:100]
        )
    return uri


def parse_limit(value: str | None) -> int:
    """``limit``: a whole number from 1; above ``MAX_LIMIT`` it is taken as the maximum, as the standard asks."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isdigit() or int(value) < 1:
        raise InvalidInput("{field} must be a whole number from 1 to {most}", field="limit", most=MAX_LIMIT)
    return min(int(value), MAX_LIMIT)


def parse_offset(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("{field} must be a whole number from 0", field="offset")
    return int(value)


def parse_bbox(value: str | None, bbox_crs: str) -> tuple[float, float, float, float] | None:
    """``bbox``: four numbers (six with heights, which are ignored) in ``bbox_crs``; returned as lon/lat."""
    if value is None or value.strip() == "":
        return None
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise InvalidInput("{field} must hold four numbers (or six with heights)", field="bbox")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise InvalidInput("{field} must hold four numbers, got {value!r}", field="bbox", value=value[:80]) from None
    if not all(math.isfinite(number) for number in numbers):
        raise InvalidInput("{field} must hold finite numbers", field="bbox")
    first_x, first_y, second_x, second_y = numbers if len(numbers) == 4 else (numbers[0], numbers[1], *numbers[3:5])
    if bbox_crs == CGCS2000:  # latitude first
        first_x, first_y, second_x, second_y = first_y, first_x, second_y, second_x
    west, south, east, north = first_x, first_y, second_x, second_y
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput("{field} must be west,south,east,north in degrees with the lower corner first", field="bbox")
    return west, south, east, north


def _moment(text: str, *, end: bool) -> datetime | None:
    """One end of a ``datetime`` value: RFC 3339 (a date alone means its day in the county), '..' or '' open."""
    if text in ("", ".."):
        return None
    try:
        if "T" not in text.upper():
            day = date.fromisoformat(text)
            return day_start(day + timedelta(days=1)) - timedelta(microseconds=1) if end else day_start(day)
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            "{field} must be an RFC 3339 date or time, or an interval of them (start/end, '..' open), got {value!r}",
            field="datetime",
            value=text[:60],
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput("{field}: give the time zone of {value!r} (Z or +08:00)", field="datetime", value=text[:60])
    return moment


def parse_datetime(value: str | None) -> Interval | None:
    """``datetime``: an instant (a date stands for its whole day) or an interval ``start/end``."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if "/" not in text:
        if text == "..":
            raise InvalidInput("{field}: '..' opens an interval, it is not an instant", field="datetime")
        start = _moment(text, end=False)
        if "T" not in text.upper():
            return Interval(start, _moment(text, end=True))
        return Interval(start, start)
    if text.count("/") != 1:
        raise InvalidInput("{field} must be an instant or one interval start/end", field="datetime")
    first, second = text.split("/")
    interval = Interval(_moment(first, end=False), _moment(second, end=True))
    if interval.start and interval.end and interval.start > interval.end:
        raise InvalidInput("{field}: the interval ends before it starts", field="datetime")
    return interval


def items_request(collection: Collection, args: Mapping[str, str]) -> ItemsRequest:
    """Check an items request's parameters (``args``, the query string) for ``collection``."""
    unknown = sorted(set(args) - ITEMS_PARAMETERS - set(collection.filters))
    if unknown:
        raise InvalidInput(
            "unknown parameter {names}; this collection filters on {filters}",
            field=unknown[0],
            names=unknown[:5],
            filters=list(collection.filters),
        )
    when = parse_datetime(args.get("datetime"))
    if when is not None and collection.temporal is None:
        raise InvalidInput(
            "collection {collection} has no time to filter by", field="datetime", collection=collection.id
        )
    if collection.temporal == AS_OF:
        _as_of_day(when)  # refuses an interval
    return ItemsRequest(
        limit=parse_limit(args.get("limit")),
        offset=parse_offset(args.get("offset")),
        bbox=parse_bbox(args.get("bbox"), parse_crs(args.get("bbox-crs"), "bbox-crs")),
        when=when,
        crs=parse_crs(args.get("crs")),
        properties={name: args[name] for name in collection.filters if args.get(name, "") != ""},
    )


# -- the collections ----------------------------------------------------------------------------


def _as_of_day(when: Interval | None) -> date | None:
    """The day whose outlines an "as of" collection shows: an instant's (in the county), or now (None)."""
    if when is None:
        return None
    if when.start is None or when.end is None or county_day(when.start) != county_day(when.end):
        raise InvalidInput("{field}: grids are shown as of one day, not over an interval", field="datetime")
    return county_day(when.start)


def _grid_source(level: GridLevel) -> Callable[[Session, Principal, Interval | None], Source]:
    def source(session: Session, principal: Principal, when: Interval | None) -> Source:
        day = _as_of_day(when)
        generation = generation_as_of(session, day) if day else current_generation(session)
        parent = Grid.__table__.alias("parent")
        query = (
            select(
                Grid.code.label("fid"),
                GridBoundary.geom.label("geom"),
                Grid.code.label("code"),
                Grid.name_zh.label("name_zh"),
                Grid.name_en.label("name_en"),
                parent.c.code.label("parent_code"),
                func.cast(func.round(func.cast(GridBoundary.area_km2, Numeric), 3), Float).label("area_km2"),
                literal(generation).label("generation"),
                Grid.is_demo.label("demo"),
            )
            .join(GridBoundary, GridBoundary.grid_id == Grid.id)
            .outerjoin(parent, parent.c.id == Grid.parent_id)
            .where(GridBoundary.level == level.value, principal.scope(Grid.code))
        )
        # Before the first generation took effect there were no outlines.
        query = query.where(*valid_in(GridBoundary, generation)) if generation else query.where(literal(False))
        return Source(query)

    return source


def _group_point():
    """A point inside each grid's outline now in force (workers and branches have no place of their own)."""
    return (
        select(GridBoundary.grid_id, func.ST_PointOnSurface(GridBoundary.geom).label("geom"))
        .where(*valid_in(GridBoundary, generation_in_force().scalar_subquery()))
        .subquery("grid_point")
    )


def _workers(session: Session, principal: Principal, when: Interval | None) -> Source:
    point = _group_point()
    query = (
        select(
            GridWorker.code.label("fid"),
            point.c.geom.label("geom"),
            GridWorker.code.label("code"),
            GridWorker.name.label("name"),
            GridWorker.post.label("post"),
            GridWorker.nets.label("nets"),
            Grid.code.label("grid_code"),
            Grid.level.label("grid_level"),
            GridWorker.is_demo.label("demo"),
        )
        .join(Grid, Grid.id == GridWorker.grid_id)
        .join(point, point.c.grid_id == Grid.id)
        .where(principal.scope(Grid.code), GridWorker.nets.overlap(sorted(principal.nets)))
    )

    def finish(row: dict) -> dict:
        # Only the nets the caller holds: serving the religious net is itself a religious-net fact.
        row["nets"] = ",".join(principal.shown_nets(row["nets"]))
        return row

    return Source(query, finish=finish)


def _branches(session: Session, principal: Principal, when: Interval | None) -> Source:
    point = _group_point()
    query = (
        select(
            PartyBranch.code.label("fid"),
            point.c.geom.label("geom"),
            PartyBranch.code.label("code"),
            PartyBranch.name.label("name"),
            PartyBranch.members.label("members"),
            Grid.code.label("group_code"),
            PartyBranch.is_demo.label("demo"),
        )
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .join(point, point.c.grid_id == Grid.id)
        .where(principal.scope(Grid.code))
    )
    return Source(query)


def _zones(session: Session, principal: Principal, when: Interval | None) -> Source:
    query = select(
        SeasonalZone.id.label("fid"),
        SeasonalZone.geom.label("geom"),
        SeasonalZone.name_zh.label("name_zh"),
        SeasonalZone.name_en.label("name_en"),
        SeasonalZone.kind.label("kind"),
        SeasonalZone.altitude_min_m.label("altitude_min_m"),
        SeasonalZone.altitude_max_m.label("altitude_max_m"),
        SeasonalZone.windows.label("windows"),
        SeasonalZone.overrides.label("overrides"),
        SeasonalZone.area_code.label("area_code"),
        SeasonalZone.is_border.label("is_border"),
        SeasonalZone.is_demo.label("demo"),
    ).where(visible_zones(principal))
    day = county_day(when.start) if when is not None and when.start is not None else None
    shown_day = day or county_day(datetime.now(COUNTY_TZ))

    def finish(row: dict) -> dict:
        window = active_range(row["windows"], row["overrides"] or {}, shown_day)
        # Flat text, so that clients without nested attributes (Shapefile, GDAL) keep them.
        row["windows"] = json.dumps(row["windows"], ensure_ascii=False)
        row["overrides"] = json.dumps(row["overrides"] or {}, ensure_ascii=False)
        row["season_on"] = shown_day.isoformat()
        row["season_start"] = window[0].isoformat() if window else None
        row["season_end"] = window[1].isoformat() if window else None
        return row

    def in_season(row: dict) -> bool:
        assert when is not None
        days = _days_of(when)
        # '../..' asks for no time at all: every zone.
        return not days or any(active_range(row["windows"], row["overrides"] or {}, day) for day in days)

    return Source(query, finish=finish, keep=in_season if when is not None else None)


#: Days of an interval tested against a zone's windows: every window recurs within a year, overrides name years.
MAX_SEASON_DAYS = 3 * 366


def _days_of(when: Interval) -> list[date]:
    """The days of ``when`` to test for a season: an open end reaches a year past the other, at most three years."""
    if when.start is None and when.end is None:
        return []
    first = county_day(when.start) if when.start else county_day(when.end) - timedelta(days=366)  # type: ignore[arg-type]
    last = county_day(when.end) if when.end else first + timedelta(days=366)
    span = min((last - first).days, MAX_SEASON_DAYS)
    return [first + timedelta(days=offset) for offset in range(span + 1)]


def _sites(session: Session, principal: Principal, when: Interval | None) -> Source:
    query = (
        select(
            ZoneSite.id.label("fid"),
            ZoneSite.geom.label("geom"),
            ZoneSite.kind.label("kind"),
            ZoneSite.name.label("name"),
            SeasonalZone.id.label("zone_id"),
            SeasonalZone.name_zh.label("zone_name_zh"),
        )
        .join(SeasonalZone, SeasonalZone.id == ZoneSite.zone_id)
        .where(visible_zones(principal))
    )
    return Source(query)


def _incidents(session: Session, principal: Principal, when: Interval | None) -> Source:
    # Public fields only: no title, description, address or reporter (they may name people).
    query = (
        select(
            Incident.ticket.label("fid"),
            Incident.location.label("geom"),
            Incident.ticket.label("ticket"),
            Incident.net.label("net"),
            IncidentCategory.code.label("category"),
            IncidentCategory.name_zh.label("category_zh"),
            IncidentCategory.name_en.label("category_en"),
            Incident.status.label("status"),
            Incident.priority.label("priority"),
            Incident.group_code.label("group_code"),
            Incident.reported_at.label("reported_at"),
            Incident.closed_at.label("closed_at"),
            Incident.is_demo.label("demo"),
        )
        .join(IncidentCategory, IncidentCategory.id == Incident.category_id)
        .where(visible(principal))
    )
    if when is not None and when.start is not None:
        query = query.where(Incident.reported_at >= when.start)
    if when is not None and when.end is not None:
        query = query.where(Incident.reported_at <= when.end)

    def finish(row: dict) -> dict:
        for name in ("reported_at", "closed_at"):
            row[name] = row[name].isoformat() if row[name] else None
        return row

    return Source(query, finish=finish)


AS_OF = "the outlines in force on that day"
COLLECTIONS: dict[str, Collection] = {
    collection.id: collection
    for collection in (
        Collection(
            "townships",
            label("ogc collection", "乡镇"),
            label("ogc collection", "乡镇网格的边界，可按日期查询当时的边界"),
            "MultiPolygon",
            ("code", "name_zh"),
            _grid_source(GridLevel.TOWNSHIP),
            AS_OF,
        ),
        Collection(
            "villages",
            label("ogc collection", "村（社区）"),
            label("ogc collection", "村（社区）网格的边界，可按日期查询当时的边界"),
            "MultiPolygon",
            ("code", "name_zh", "parent_code"),
            _grid_source(GridLevel.VILLAGE),
            AS_OF,
        ),
        Collection(
            "groups",
            label("ogc collection", "村民小组"),
            label("ogc collection", "村民小组网格的边界，可按日期查询当时的边界"),
            "MultiPolygon",
            ("code", "name_zh", "parent_code"),
            _grid_source(GridLevel.GROUP),
            AS_OF,
        ),
        Collection(
            "workers",
            label("ogc collection", "网格员"),
            label("ogc collection", "网格员的公开信息（姓名、岗位、所属网格），位置取所属网格内一点"),
            "Point",
            ("post", "grid_code", "grid_level"),
            _workers,
        ),
        Collection(
            "party-branches",
            label("ogc collection", "党支部"),
            label("ogc collection", "村民小组党支部，位置取小组网格内一点"),
            "Point",
            ("group_code",),
            _branches,
        ),
        Collection(
            "zones",
            label("ogc collection", "季节性重点区域"),
            label("ogc collection", "虫草山、松茸林等季节性区域及其时段；按日期查询当天处于时段内的区域"),
            "MultiPolygon",
            ("kind",),
            _zones,
            "zones in season on that day",
        ),
        Collection(
            "sites",
            label("ogc collection", "卡点和暖心驿站"),
            label("ogc collection", "季节性区域的卡点和暖心驿站"),
            "Point",
            ("kind", "zone_id"),
            _sites,
        ),
        Collection(
            "incidents",
            label("ogc collection", "事件"),
            label("ogc collection", "事件的公开字段（不含描述、地址和报告人）；按上报时间查询"),
            "Point",
            ("net", "status", "category", "priority", "group_code"),
            _incidents,
            "reported within the instant's day or the interval",
        ),
    )
}


def get_collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(
            "no collection {collection!r}; there are {choices}",
            collection=collection_id[:40],
            choices=list(COLLECTIONS),
        )
    return collection


# -- reading ------------------------------------------------------------------------------------


def _geometry_json(geom: ColumnElement, crs: str) -> ColumnElement[str]:
    shown = func.ST_FlipCoordinates(geom) if crs == CGCS2000 else geom
    return func.ST_AsGeoJSON(shown, COORDINATE_DECIMALS)


def _filtered(source: Source, request: ItemsRequest) -> tuple[Select, Sequence[str]]:
    """The source's rows with ``request``'s bbox and property filters, geometry as GeoJSON text."""
    rows = source.query.subquery("features")
    names = [column.name for column in rows.c if column.name not in ("fid", "geom")]
    query = select(rows.c.fid, *(rows.c[name] for name in names), _geometry_json(rows.c.geom, request.crs))
    if request.bbox is not None:
        query = query.where(func.ST_Intersects(rows.c.geom, func.ST_MakeEnvelope(*request.bbox, 4326)))
    for name, value in request.properties.items():
        column = rows.c[name]
        query = query.where(func.cast(column, Text) == value)
    return query.order_by(rows.c.fid), names


def _feature(row, names: Sequence[str], finish: Callable[[dict], dict]) -> dict:
    return {
        "type": "Feature",
        "id": row[0],
        "properties": finish(dict(zip(names, row[1:-1], strict=True))),
        "geometry": json.loads(row[-1]),
    }


def items(session: Session, principal: Principal, collection: Collection, request: ItemsRequest) -> FeaturePage:
    """One page of ``collection`` as ``principal`` may see it, filtered and paged by ``request``."""
    source = collection.source(session, principal, request.when)
    query, names = _filtered(source, request)
    if source.keep is not None:
        every = [row for row in session.execute(query) if source.keep(dict(zip(names, row[1:-1], strict=True)))]
        chosen = every[request.offset : request.offset + request.limit]
        return FeaturePage([_feature(row, names, source.finish) for row in chosen], len(every))
    matched = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(request.limit).offset(request.offset))
    return FeaturePage([_feature(row, names, source.finish) for row in rows], matched or 0)


def item(session: Session, principal: Principal, collection: Collection, feature_id: str, crs: str = CRS84) -> dict:
    """One feature of ``collection`` by its id; NotFound as well when it lies outside the caller's view."""
    source = collection.source(session, principal, None)
    query, names = _filtered(source, ItemsRequest(crs=crs))
    fid = query.selected_columns[0]
    found = session.execute(query.where(func.cast(fid, Text) == feature_id[:40])).first()
    if found is None:
        raise NotFound(
            "no feature {feature!r} in collection {collection} that you may see",
            feature=feature_id[:40],
            collection=collection.id,
        )
    return _feature(found, names, source.finish)


def spatial_extent(session: Session, principal: Principal) -> tuple[float, float, float, float] | None:
    """The bounding box every collection shares: the caller's jurisdiction."""
    return jurisdiction_bounds(session, principal)


def temporal_extent(session: Session, collection: Collection) -> tuple[str | None, str | None] | None:
    """The first day an "as of" collection can be asked for (the first generation's), open at the end."""
    if collection.temporal != AS_OF:
        return None
    first = session.scalar(select(func.min(Generation.effective_from)).where(Generation.activated_at.is_not(None)))
    return (day_start(first).isoformat() if first else None, None)
