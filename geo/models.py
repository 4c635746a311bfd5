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
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every table; the Flask app binds it, geo/ never imports Flask."""


class GridLevel(StrEnum):
    """The four levels of the county grid, from the top."""

    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GROUP = "group"

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


def chain_codes(code: str) -> list[str]:
    """The codes of ``code`` and every grid above it, county first (codes nest by prefix)."""
    return [code[: level.code_length] for level in GridLevel if level.code_length <= len(code)]


class Net(StrEnum):
    """The three nets fused on the grid (三网融合)."""

    SOCIAL = "social"
    RELIGIOUS = "religious"
    RURAL = "rural"

    def label(self, lang: str = "zh") -> str:
        return _NET_LABELS[self][lang == "en"]


_NET_LABELS = {
    Net.SOCIAL: ("社会治理网", "Social governance"),
    Net.RELIGIOUS: ("宗教事务网", "Religious affairs"),
    Net.RURAL: ("乡村振兴网", "Rural revitalisation"),
}


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


class Grid(Base):
    """A grid cell of the four-level hierarchy."""

    __tablename__ = "grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    level: Mapped[str] = mapped_column(String(10), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Grid | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Grid]] = relationship(back_populates="parent")
    boundaries: Mapped[list[GridBoundary]] = relationship(back_populates="grid")
    workers: Mapped[list[GridWorker]] = relationship(back_populates="grid", order_by="GridWorker.code")


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
    generation_low: Mapped[int] = mapped_column(Integer)
    generation_high: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)


class AdminArea(Base):
    """A real administrative outline: the county itself and its neighbours."""

    __tablename__ = "admin_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(50))
    is_home_county: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class GridWorker(Base):
    """A grid worker (网格员) responsible for one grid, serving one or more nets."""

    __tablename__ = "grid_worker"

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


class PartyBranch(Base):
    """A standing party branch of a villager group; its secretary is the group leader (一肩挑)."""

    __tablename__ = "party_branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), unique=True)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"))
    members: Mapped[int] = mapped_column(Integer)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    secretary: Mapped[GridWorker | None] = relationship()


class Role(StrEnum):
    """What a user may do; where they may do it is their jurisdiction."""

    ADMIN = "admin"  # 县级管理员: users, plan approval
    DISPATCHER = "dispatcher"  # 调度员
    PLANNER = "planner"  # 规划员
    PATROL_LEADER = "patrol_leader"  # 巡逻队长
    GRID_WORKER = "grid_worker"  # 网格员
    VIEWER = "viewer"  # 领导查看: read-only

    def label(self, lang: str = "zh") -> str:
        return _ROLE_LABELS[self][lang == "en"]


_ROLE_LABELS = {
    Role.ADMIN: ("县级管理员", "Administrator"),
    Role.DISPATCHER: ("调度员", "Dispatcher"),
    Role.PLANNER: ("规划员", "Planner"),
    Role.PATROL_LEADER: ("巡逻队长", "Patrol leader"),
    Role.GRID_WORKER: ("网格员", "Grid worker"),
    Role.VIEWER: ("领导查看", "Viewer"),
}


class User(Base):
    """An account, bound to one grid (its jurisdiction) and holding one or more nets."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    nets: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password reset, disabling or a change of scope: sessions begun under an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    jurisdiction: Mapped[Grid] = relationship()
    worker: Mapped[GridWorker | None] = relationship()


class ApiToken(Base):
    """A per-user token for scripts and phone apps; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """One signed-in browser. Its cookie carries a random key; only the key's SHA-256 is stored.

    Signing out deletes the row, so a copied cookie stops working at once. The
    row remembers the user's session version at sign-in, so bumping that version
    ends every session of the user without touching the rows.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One change, appended and never altered: a trigger refuses UPDATE, DELETE and TRUNCATE.

    Deliberately without foreign keys, so no cascade can reach it and it outlives what it describes.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    actor: Mapped[str] = mapped_column(String(50), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(50))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    address: Mapped[str | None] = mapped_column(String(64))


class IncidentCategory(Base):
    """A kind of incident within one net, with its deadline; admins edit the catalogue."""

    __tablename__ = "incident_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    net: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    sla_hours: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


INCIDENT_CHANGE_SEQ = Sequence("incident_change_seq", metadata=Base.metadata)


class Incident(Base):
    """A case through the digital grid-management cycle (信息采集 → … → 核查结案).

    ``version`` guards against lost updates: a change names the version it saw
    and is refused (409) if another change came first. ``change_seq`` grows with
    every change, so the live map asks only for what changed since its last poll.
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    net: Mapped[str] = mapped_column(String(10), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("incident_category.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    address: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    reporter_name: Mapped[str] = mapped_column(String(50), default="")
    reporter_phone: Mapped[str] = mapped_column(String(30), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    group_code: Mapped[str] = mapped_column(String(15), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"), index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    suspected_duplicate_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(50))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: Digest of the report that came with ``idempotency_key``: the same key with another report is refused.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    category: Mapped[IncidentCategory] = relationship()
    assignee: Mapped[GridWorker | None] = relationship()
    group: Mapped[Grid] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once by SQLAlchemy)  # noqa: RUF012  (SQLAlchemy reads it at class creation)
    __table_args__ = (Index("ix_incident_idempotency", "created_by", "idempotency_key", unique=True),)


class IncidentEvent(Base):
    """One step in an incident's history; like the audit trail, never altered."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict | None] = mapped_column(JSONB)


class IncidentAttachment(Base):
    """A photo attached to an incident (kept in the database: small, few, and backed up with the case)."""

    __tablename__ = "incident_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanStatus(StrEnum):
    """Where a plan is in its review: drafts are edited, submissions reviewed, approvals activated."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"  # approved with an effective date still to come
    ACTIVE = "active"
    REJECTED = "rejected"

    def label(self, lang: str = "zh") -> str:
        return _PLAN_STATUS_LABELS[self][lang == "en"]


_PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: ("草稿", "Draft"),
    PlanStatus.SUBMITTED: ("待审批", "Submitted"),
    PlanStatus.SCHEDULED: ("已批准待生效", "Approved, scheduled"),
    PlanStatus.ACTIVE: ("已生效", "Active"),
    PlanStatus.REJECTED: ("已驳回", "Rejected"),
}


class Plan(Base):
    """A planner's redrawing of the children of one grid, a draft generation until activated.

    The draft starts as a copy of the parent's children in ``base_generation``;
    the base outlines stay in ``GridBoundary``, so diffs and conflicts are
    computed against them without a second copy.
    """

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    parent_code: Mapped[str] = mapped_column(String(15), index=True)
    child_level: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    base_generation: Mapped[int] = mapped_column(ForeignKey("generation.id"))
    reroute_open_incidents: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date | None] = mapped_column(Date)
    generation_id: Mapped[int | None] = mapped_column(ForeignKey("generation.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    grids: Mapped[list[PlanGrid]] = relationship(
        back_populates="plan", order_by="PlanGrid.code", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


class PlanGrid(Base):
    """One grid of a plan's draft: its code, names, outline, and the workers to appoint for it."""

    __tablename__ = "plan_grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(15))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    #: Workers to appoint on activation: [{"name", "phone", "nets"}].
    new_workers: Mapped[list] = mapped_column(JSONB, default=list)

    plan: Mapped[Plan] = relationship(back_populates="grids")

    __table_args__ = (Index("ix_plan_grid_plan_code", "plan_id", "code", unique=True),)


class ZoneKind(StrEnum):
    """What a seasonal zone is for."""

    CATERPILLAR_FUNGUS = "caterpillar_fungus"  # 虫草山
    MATSUTAKE = "matsutake"  # 松茸林
    SCENIC = "scenic"  # 旅游旺季景区
    FIRE = "fire"  # 防火期林区

    def label(self, lang: str = "zh") -> str:
        return _ZONE_KIND_LABELS[self][lang == "en"]


_ZONE_KIND_LABELS = {
    ZoneKind.CATERPILLAR_FUNGUS: ("虫草山", "Caterpillar-fungus hill"),
    ZoneKind.MATSUTAKE: ("松茸林", "Matsutake forest"),
    ZoneKind.SCENIC: ("旅游旺季景区", "Scenic area (peak season)"),
    ZoneKind.FIRE: ("防火期林区", "Fire-risk forest"),
}


class SeasonalZone(Base):
    """An area that needs attention in recurring windows of the year (a harvest hill, a fire-risk forest).

    ``windows`` recur every year as month-day pairs ([{"start": "04-25", "end": "07-05"}];
    a window may cross the new year); ``overrides`` replace them for one year
    ({"2026": {"start": "2026-05-10", "end": "2026-07-05"}} or {"2026": null} = closed).
    ``area_code`` is the smallest grid holding the zone: it decides who sees it.
    """

    __tablename__ = "seasonal_zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(30))
    altitude_min_m: Mapped[int | None] = mapped_column(Integer)
    altitude_max_m: Mapped[int | None] = mapped_column(Integer)
    windows: Mapped[list] = mapped_column(JSONB, default=list)
    overrides: Mapped[dict] = mapped_column(JSONB, default=dict)
    area_code: Mapped[str] = mapped_column(String(15), index=True)
    is_border: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Neighbouring counties the zone touches or crosses into (交界地区), by name.
    border_with: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    crosses_county_line: Mapped[bool] = mapped_column(Boolean, default=False)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    branches: Mapped[list[TemporaryBranch]] = relationship(back_populates="zone", cascade="all, delete-orphan")
    teams: Mapped[list[PatrolTeam]] = relationship(back_populates="zone", cascade="all, delete-orphan")
    sites: Mapped[list[ZoneSite]] = relationship(back_populates="zone", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


class TemporaryBranch(Base):
    """A temporary party branch (临时党支部) set up on a zone for its season."""

    __tablename__ = "temporary_branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("seasonal_zone.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secretary: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    members: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    starts: Mapped[date | None] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)

    zone: Mapped[SeasonalZone] = relationship(back_populates="branches")


class PatrolTeam(Base):
    """A patrol team (巡逻队) working a zone."""

    __tablename__ = "patrol_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("seasonal_zone.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    leader: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    members: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)

    zone: Mapped[SeasonalZone] = relationship(back_populates="teams")


class SiteKind(StrEnum):
    CHECKPOINT = "checkpoint"  # 卡点
    STATION = "station"  # 暖心驿站

    def label(self, lang: str = "zh") -> str:
        return {"checkpoint": ("卡点", "Checkpoint"), "station": ("暖心驿站", "Warm-heart station")}[self][lang == "en"]


class ZoneSite(Base):
    """A checkpoint (卡点) or a warm-heart station (暖心驿站) of a zone."""

    __tablename__ = "zone_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("seasonal_zone.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    geom = mapped_column(Geometry("POINT", srid=4326), nullable=False)

    zone: Mapped[SeasonalZone] = relationship(back_populates="sites")


class PatrolTask(Base):
    """A visit a patrol leader assigns: a team goes to a hotspot or a zone within a time window."""

    __tablename__ = "patrol_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("patrol_team.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("seasonal_zone.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    #: Where to go: the zone's outline, or a hotspot's cells.
    target = mapped_column(Geometry("MULTIPOLYGON", srid=4326), nullable=False)
    area_code: Mapped[str] = mapped_column(String(15), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    team: Mapped[PatrolTeam] = relationship()
    checkins: Mapped[list[CheckIn]] = relationship(back_populates="task", order_by="CheckIn.at")


class CheckIn(Base):
    """A team's report from the ground: where they were, when, what they saw."""

    __tablename__ = "patrol_checkin"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("patrol_task.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(50))
    location = mapped_column(Geometry("POINT", srid=4326), nullable=False)
    note: Mapped[str] = mapped_column(Text, default="")
    distance_m: Mapped[float] = mapped_column(Float)
    #: Far from the target: accepted, but shown as such.
    is_far: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the server got it: later than ``at`` when a phone without signal kept it and sent it afterwards.
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The phone's key for this check-in, so that sending it again after a lost answer records it once.
    client_key: Mapped[str | None] = mapped_column(String(100))
    #: Digest of the check-in that came with ``client_key``: the same key with another check-in is refused.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    task: Mapped[PatrolTask] = relationship(back_populates="checkins")

    __table_args__ = (Index("ix_patrol_checkin_client_key", "by", "client_key", unique=True),)
