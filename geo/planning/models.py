"""Plans: proposed redrawings of one parent grid's children, reviewed and activated as a new generation."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.labels import Labelled, label
from geo.core.models import Base
from geo.grid.models import county_code_from


class PlanStatus(Labelled):
    """Where a plan is in its review: drafts are edited, submissions reviewed, approvals activated."""

    DRAFT = "draft", label("plan status", "草稿")
    SUBMITTED = "submitted", label("plan status", "待审批")
    SCHEDULED = "scheduled", label("plan status", "已批准待生效")  # approved with an effective date still to come
    ACTIVE = "active", label("plan status", "已生效")
    REJECTED = "rejected", label("plan status", "已驳回")


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
    county_code: Mapped[str] = county_code_from("parent_code")
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
    county_code: Mapped[str] = county_code_from("code")
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    #: Workers to appoint on activation: [{"name", "phone", "nets"}].
    new_workers: Mapped[list] = mapped_column(JSONB, default=list)
    #: The party branch a new villager group gets on activation ({"name", "members", "secretary"}),
    #: or why it has none ({"none_reason"}); see geo.planning.drafts.plan_branch.
    branch: Mapped[dict | None] = mapped_column(JSONB)

    plan: Mapped[Plan] = relationship(back_populates="grids")

    __table_args__ = (Index("ix_plan_grid_plan_code", "plan_id", "code", unique=True),)
