"""The harvest season's zones, their temporary branches, teams and sites, patrol tasks and check-ins."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.labels import Labelled, label
from geo.core.models import Base
from geo.grid.models import county_code_from


class ZoneKind(Labelled):
    """What a seasonal zone is for."""

    CATERPILLAR_FUNGUS = "caterpillar_fungus", label("zone kind", "虫草山")
    MATSUTAKE = "matsutake", label("zone kind", "松茸林")
    SCENIC = "scenic", label("zone kind", "旅游旺季景区")
    FIRE = "fire", label("zone kind", "防火期林区")


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
    county_code: Mapped[str] = county_code_from("area_code")
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


class SiteKind(Labelled):
    CHECKPOINT = "checkpoint", label("site kind", "卡点")
    STATION = "station", label("site kind", "暖心驿站")


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
    county_code: Mapped[str] = county_code_from("area_code")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: What the team is to do there, as the leader wrote it.
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")
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
