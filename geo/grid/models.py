"""The grid atlas schema.

Design (after MapIt): a ``Grid`` is a lasting identity — code, name, level and
parent — while its outline lives in ``GridBoundary`` rows, each valid from a
first to a last ``Generation`` (``generation_high`` NULL = still valid). A new
boundary set is loaded as a new generation; older generations stay queryable,
so a lookup can be asked "as of" any generation and incidents keep the grid
they were routed to.

Geometry is stored in EPSG:4326. ``geom_display`` is the same outline after
coverage simplification of its whole level (neighbours keep shared edges), for
maps only. ``GridLookupPart`` holds group outlines cut by ST_Subdivide into
small pieces, so point lookups test few vertices against a tight index.
"""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    event,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from geo.core.labels import Labelled, label
from geo.core.models import Base


class GridLevel(Labelled):
    """The four levels of the county grid, from the top."""

    COUNTY = "county", label("level", "县")
    TOWNSHIP = "township", label("level", "乡镇")
    VILLAGE = "village", label("level", "村（社区）")
    GROUP = "group", label("level", "村民小组")

    @property
    def depth(self) -> int:
        return list(GridLevel).index(self)

    @property
    def parent(self) -> GridLevel | None:
        return list(GridLevel)[self.depth - 1] if self.depth else None

    @property
    def code_length(self) -> int:
        return (6, 9, 12, 15)[self.depth]

    @classmethod
    def of_code(cls, code: str) -> GridLevel:
        """The level a grid code belongs to, told by its length."""
        return next(level for level in cls if level.code_length == len(code))


#: The level of a prefecture's grid row (迪庆州 533400). It stands above the counties but outside the county grid's
#: four levels: it has no outlines, workers or cases of its own, only accounts (leaders, admins) bound to it.
PREFECTURE_LEVEL = "prefecture"


#: What a county's own ticket prefix may be (``Grid.ticket_prefix``, geo.grid.tickets): 2 to 8 capital Latin letters.
TICKET_PREFIX_LETTERS = "[A-Z]{2,8}"


def is_prefecture(code: str) -> bool:
    """True for a prefecture's code: GB/T 2260 gives it its counties' first four digits and then 00.

    No county's code ends in 00 (a county is 01 to 99 inside its prefecture), so the code tells the level.
    """
    return len(code) == 6 and code.isdigit() and code.endswith("00") and not code.endswith("0000")


def code_prefix(code: str) -> str:
    """What every code inside ``code`` begins with: a prefecture's four digits, otherwise the code itself.

    The one place where the prefecture's rule lives: ``codes_under`` and ``Principal.covers`` ask it.
    """
    return code[:4] if is_prefecture(code) else code


def is_under(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or a grid below it: ``codes_under`` in Python."""
    return code.startswith(code_prefix(ancestor))


def county_of(code: str) -> str:
    """The county a grid code lies in: its first six digits (codes nest by prefix)."""
    return code[:6]


def codes_under(code_column, code: str):
    """SQL condition: ``code_column`` is ``code`` or a grid below it (its code starts with ``code``).

    For a prefecture, "below it" is its counties and their grids (``code_prefix``).

    Written as a byte-wise range, ``code <= column < successor``, rather than ``LIKE 'code%'``:
    under the database's collation (C.UTF-8 is not "C" to the planner) no index serves a LIKE,
    while this range is served by the index on ``incident.group_code`` (byte-wise), with or without
    the code known at planning time. Codes are digits, so the successor raises the last one.
    """
    code = code_prefix(code)
    if not code:
        return true()
    column = code_column.collate("C")
    return and_(column >= code, column < code[:-1] + chr(ord(code[-1]) + 1))


def chain_codes(code: str) -> list[str]:
    """The codes of ``code`` and every grid above it, county first (codes nest by prefix)."""
    return [code[: level.code_length] for level in GridLevel if level.code_length <= len(code)]


def county_code_from(code_column: str) -> Mapped[str]:
    """A ``county_code`` column filled by the database from the row's own grid code (its first six digits).

    A generated column: no insert path (ORM, COPY, INSERT … SELECT) can leave it empty or let it disagree with
    the code. ``county_of`` is the same rule in Python.
    """
    return mapped_column(String(6), Computed(f"left({code_column}, 6)", persisted=True), index=True)


class CountyBound:
    """A row that holds one county's data through the grid it hangs from (``__county_grid__``: the relationship
    and its foreign key), with no grid code of its own: ``county_code`` is set from that grid whenever the row is
    written (``_fill_county_codes``)."""

    __county_grid__: tuple[str | None, str]
    county_code: Mapped[str] = mapped_column(String(6), index=True)


class Net(Labelled):
    """The three nets fused on the grid (三网融合)."""

    SOCIAL = "social", label("net", "社会治理网")
    RELIGIOUS = "religious", label("net", "宗教事务网")
    RURAL = "rural", label("net", "乡村振兴网")


class Generation(Base):
    """One boundary set; the highest activated generation is the one in force."""

    __tablename__ = "generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The day from which it is in force; "as of" lookups pick the highest generation effective by then.
    effective_from: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    activated_by: Mapped[str] = mapped_column(String(50), server_default="system")
    #: The county whose outlines it redraws: an import or a plan changes one county, never another.
    county_code: Mapped[str] = mapped_column(String(6), index=True)


class Grid(Base):
    """A grid cell of the four-level hierarchy (or a prefecture above it: ``PREFECTURE_LEVEL``)."""

    __tablename__ = "grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    county_code: Mapped[str] = county_code_from("code")
    level: Mapped[str] = mapped_column(String(10), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: What the county's tickets begin with (DQ for 德钦), on county-level grids only; NULL: its code
    #: (geo.grid.tickets). Unique, so that a ticket names its county.
    ticket_prefix: Mapped[str | None] = mapped_column(String(8), unique=True)

    parent: Mapped[Grid | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Grid]] = relationship(back_populates="parent")
    boundaries: Mapped[list[GridBoundary]] = relationship(back_populates="grid")
    workers: Mapped[list[GridWorker]] = relationship(back_populates="grid", order_by="GridWorker.code")

    __table_args__ = (
        CheckConstraint(
            f"ticket_prefix IS NULL OR (level = 'county' AND ticket_prefix ~ '^{TICKET_PREFIX_LETTERS}$')",
            name="ck_grid_ticket_prefix",
        ),
    )


class GridBoundary(Base):
    """The outline of a grid over a range of generations."""

    __tablename__ = "grid_boundary"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    generation_low: Mapped[int] = mapped_column(ForeignKey("generation.id"))
    generation_high: Mapped[int | None] = mapped_column(ForeignKey("generation.id"))
    area_km2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    geom_display = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)

    grid: Mapped[Grid] = relationship(back_populates="boundaries")

    __table_args__ = (Index("ix_grid_boundary_level_generation", "level", "generation_low", "generation_high"),)


class GridLookupPart(Base):
    """A subdivided piece of a villager-group outline, for fast point-in-polygon lookups."""

    __tablename__ = "grid_lookup_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    boundary_id: Mapped[int] = mapped_column(ForeignKey("grid_boundary.id", ondelete="CASCADE"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    code: Mapped[str] = mapped_column(String(15))
    county_code: Mapped[str] = county_code_from("code")
    generation_low: Mapped[int] = mapped_column(Integer)
    generation_high: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)


class AdminArea(Base):
    """A real administrative outline: the county itself and its neighbours."""

    __tablename__ = "admin_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    county_code: Mapped[str] = county_code_from("code")
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(50))
    is_home_county: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class GridWorker(CountyBound, Base):
    """A grid worker (网格员) responsible for one grid, serving one or more nets."""

    __tablename__ = "grid_worker"
    __county_grid__ = ("grid", "grid_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    post: Mapped[str] = mapped_column(String(50))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    nets: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Leave or busy: routing passes the worker over between these dates (inclusive).
    unavailable_from: Mapped[date | None] = mapped_column(Date)
    unavailable_until: Mapped[date | None] = mapped_column(Date)

    grid: Mapped[Grid] = relationship(back_populates="workers")

    def available_on(self, day: date) -> bool:
        return on_duty(self.unavailable_from, self.unavailable_until, day)


def on_duty(unavailable_from: date | None, unavailable_until: date | None, day: date) -> bool:
    """If a worker away from ``unavailable_from`` to ``unavailable_until`` (inclusive; open-ended) works on ``day``."""
    if unavailable_from is None:
        return True
    return not (unavailable_from <= day <= (unavailable_until or date.max))


class PartyBranch(CountyBound, Base):
    """A standing party branch of a villager group; its secretary is the group leader (一肩挑)."""

    __tablename__ = "party_branch"
    __county_grid__ = (None, "grid_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), unique=True)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"))
    members: Mapped[int] = mapped_column(Integer)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    secretary: Mapped[GridWorker | None] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


class ForceKind(Labelled):
    """The forces beside the grid workers (多元治理合力), registered per grid."""

    POLICE_STATION = "police_station", label("force", "派出所")
    POLICE_POST = "police_post", label("force", "警务室")
    POLICE_OFFICER = "police_officer", label("force", "民警")
    FOREST_RANGER = "forest_ranger", label("force", "护林员")
    RURAL_OFFICER = "rural_officer", label("force", "乡村振兴综合治理员")
    MEDIATOR = "mediator", label("force", "人民调解员")
    VOLUNTEER = "volunteer", label("force", "志愿者")
    PARTY_VOLUNTEERS = "party_volunteers", label("force", "党员志愿服务队")


class ForceMember(CountyBound, Base):
    """A member of another force (a police post, a forest ranger, a mediator, a volunteer team) in one grid.

    Kept beside the grid workers because incidents are co-handled (协办) by them and accounts link to
    them, both of which lie below the capability that registers them (geo.workforce). The phone is
    protected: shown only inside the caller's jurisdiction.
    """

    __tablename__ = "force_member"
    __county_grid__ = ("grid", "grid_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    grid: Mapped[Grid] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it at class creation)


@event.listens_for(Session, "before_flush")
def _fill_county_codes(session: Session, _context, _instances) -> None:
    """Set ``county_code`` of every new or changed ``CountyBound`` row from the grid it hangs from."""
    with session.no_autoflush:
        for row in [*session.new, *session.dirty]:
            if not isinstance(row, CountyBound):
                continue
            relationship_name, key = row.__county_grid__
            grid = getattr(row, relationship_name) if relationship_name else None
            if grid is None and getattr(row, key) is not None:
                grid = session.get(Grid, getattr(row, key))
            if grid is not None:
                row.county_code = county_of(grid.code)
