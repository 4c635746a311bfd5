"""The party organisation's tables: village organisations, members, linked households, activities and their
photos, 书记领航 projects.

A standing branch is ``geo.grid.models.PartyBranch`` (one per villager group), under its village's
``VillageBranch`` (党总支/党委, one per village or community); a harvest hill's
temporary branch is ``geo.patrol.models.TemporaryBranch``. Every row here carries ``area_code``,
the grid it belongs to (the branch's group, or the zone's smallest grid), so jurisdiction is one
indexed prefix range (``Principal.scope``) without joining up to the branch.
"""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.labels import Labelled, label
from geo.core.models import Base
from geo.grid.models import county_code_from
from geo.grid.tickets import TICKET_LENGTH


class ActivityKind(Labelled):
    """What a branch's activity was."""

    THEME_DAY = "theme_day", label("activity kind", "主题党日")
    SIX_ONES = "six_ones", label("activity kind", "“六个一”活动")
    MEETING = "meeting", label("activity kind", "“三会一课”")
    VOLUNTEER = "volunteer", label("activity kind", "志愿服务")
    FRONT_LINE = "front_line", label("activity kind", "党员下沉一线")
    OTHER = "other", label("activity kind", "其他活动")


class ProjectStatus(Labelled):
    """Where a 书记领航 project stands."""

    PLANNED = "planned", label("project status", "未开始")
    UNDER_WAY = "under_way", label("project status", "推进中")
    STALLED = "stalled", label("project status", "受阻")
    DONE = "done", label("project status", "已完成")


class VillageOrganisation(Labelled):
    """What a village's (community's) party organisation is, over its villager groups' branches.

    The party's rule: a village with 50 or more members forms a general branch (党总支) over its
    group branches, with 100 or more it may form a committee (党委).
    """

    GENERAL_BRANCH = "general_branch", label("village organisation", "党总支")
    COMMITTEE = "committee", label("village organisation", "党委")


class VillageBranch(Base):
    """A village's or community's party organisation (党总支 or 党委) and its secretary.

    It holds no members of its own here: its members, activities and indicators are those of the group
    branches of its village, rolled up through the grid codes (the village's code is their prefix).
    """

    __tablename__ = "party_village_branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    secretary: Mapped[str] = mapped_column(String(50), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (CheckConstraint("kind IN ('general_branch', 'committee')", name="ck_party_village_branch_kind"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


class PartyMember(Base):
    """A member of a standing branch: post, party duty, contact (protected), the households they keep in touch with."""

    __tablename__ = "party_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("party_branch.id", ondelete="CASCADE"), index=True)
    #: The branch's villager group: who may see the member, and where their households live.
    area_code: Mapped[str] = mapped_column(String(15), index=True)
    county_code: Mapped[str] = county_code_from("area_code")
    name: Mapped[str] = mapped_column(String(50))
    post: Mapped[str] = mapped_column(String(50), default="")  # 职务 in the village: 村民小组长, 护林员 …
    duty: Mapped[str] = mapped_column(String(50), default="")  # 党内职务: 书记, 组织委员, 党员 …
    phone: Mapped[str] = mapped_column(String(20), default="")
    #: 党员联系户: how many households the member keeps in touch with (the listed ones may be fewer).
    household_count: Mapped[int] = mapped_column(Integer, default=0)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    households: Mapped[list[LinkedHousehold]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="LinkedHousehold.id"
    )

    __table_args__ = (CheckConstraint("household_count >= 0", name="ck_party_member_household_count"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


class LinkedHousehold(Base):
    """A household of the member's villager group that the member keeps in touch with (where the county keeps them)."""

    __tablename__ = "party_linked_household"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_member.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))  # the head of the household
    address: Mapped[str] = mapped_column(String(200), default="")

    member: Mapped[PartyMember] = relationship(back_populates="households")


class PartyActivity(Base):
    """An activity of a standing branch, a temporary branch or a village organisation (a 党总支's meeting, the
    whole village's 主题党日): when (a county day), where, what, who came."""

    __tablename__ = "party_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("party_branch.id", ondelete="CASCADE"), index=True)
    temporary_branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("temporary_branch.id", ondelete="CASCADE"), index=True
    )
    village_branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_village_branch.id", ondelete="CASCADE"), index=True
    )
    #: The branch's grid: its group, its zone's smallest grid, or the village of a village organisation.
    area_code: Mapped[str] = mapped_column(String(15))
    county_code: Mapped[str] = county_code_from("area_code")
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)
    place = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    place_name: Mapped[str] = mapped_column(String(100), default="")
    topic: Mapped[str] = mapped_column(String(200))
    attendance: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The phone's key for this record, so that sending it again after a lost answer records it once.
    client_key: Mapped[str | None] = mapped_column(String(100))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    photos: Mapped[list[ActivityPhoto]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="ActivityPhoto.id"
    )

    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(branch_id, temporary_branch_id, village_branch_id) = 1", name="ck_party_activity_one_branch"
        ),
        CheckConstraint("attendance >= 0", name="ck_party_activity_attendance"),
        Index("ix_party_activity_area_held", "area_code", "held_on"),
        Index("ix_party_activity_client_key", "created_by", "client_key", unique=True),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


class ActivityPhoto(Base):
    """A photo of an activity (JPEG, PNG or WebP, told from its bytes)."""

    __tablename__ = "party_activity_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("party_activity.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    activity: Mapped[PartyActivity] = relationship(back_populates="photos")


class LeadProject(Base):
    """A 书记领航 project: the branch secretary leads it over some grids, milestone by milestone.

    ``milestones`` is a list of ``{"title", "due", "done", "done_on"}`` (days as ISO text);
    ``incident_tickets`` the cases it takes up.
    """

    __tablename__ = "party_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("party_branch.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(15), index=True)
    county_code: Mapped[str] = county_code_from("area_code")
    title: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text, default="")
    grid_codes: Mapped[list[str]] = mapped_column(ARRAY(String(15)), default=list)
    milestones: Mapped[list] = mapped_column(JSONB, default=list)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    incident_tickets: Mapped[list[str]] = mapped_column(ARRAY(String(TICKET_LENGTH)), default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="ck_party_project_progress"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)
