"""Grid workers' profiles, training records, commendations and sanctions, and the points rules.

Like the scoring schemes, a ``PointsRules`` row is never changed: an admin's new
rules are a new row with the next version, so a ranking names the rules it used.
The forces registry (``ForceMember``) lives in geo.grid beside the grid workers,
co-handlers and the duty list in geo.dispatch: both are read below this package.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.labels import Labelled, label
from geo.core.models import Base
from geo.grid.models import GridWorker


class Employment(Labelled):
    FULL_TIME = "full_time", label("employment", "专职")
    PART_TIME = "part_time", label("employment", "兼职")


class RecognitionKind(Labelled):
    COMMENDATION = "commendation", label("recognition", "表彰")
    SANCTION = "sanction", label("recognition", "问责")


class TrainingTopic(Base):
    """A topic of the training catalogue (法律政策, 信息化应用, 矛盾调解, 民族宗教政策, 应急处置 …)."""

    __tablename__ = "training_topic"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)


class WorkerProfile(Base):
    """What the grid-worker record does not say: 专职/兼职, 本土化 (local), the day they started."""

    __tablename__ = "worker_profile"

    worker_id: Mapped[int] = mapped_column(ForeignKey("grid_worker.id", ondelete="CASCADE"), primary_key=True)
    employment: Mapped[str] = mapped_column(String(10))
    is_local: Mapped[bool] = mapped_column(Boolean)
    started_on: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(50))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    worker: Mapped[GridWorker] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it at class creation)


class TrainingRecord(Base):
    """One course a worker attended; one worker, course and day is one record (imports and retries never double it)."""

    __tablename__ = "training_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("grid_worker.id", ondelete="CASCADE"))
    course: Mapped[str] = mapped_column(String(100))
    topic_code: Mapped[str] = mapped_column(ForeignKey("training_topic.code"))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    certificate: Mapped[str] = mapped_column(String(60), default="")
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    worker: Mapped[GridWorker] = relationship()
    topic: Mapped[TrainingTopic] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it at class creation)
    __table_args__ = (Index("ix_training_record_once", "worker_id", "course", "held_on", unique=True),)


class Recognition(Base):
    """A commendation (表彰) or a sanction (问责) of a worker."""

    __tablename__ = "worker_recognition"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("grid_worker.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(15))
    title: Mapped[str] = mapped_column(String(100))
    awarded_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(String(100), default="")  # who awarded or imposed it
    created_by: Mapped[str] = mapped_column(String(50))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    worker: Mapped[GridWorker] = relationship()


class PointsRules(Base):
    """One version of the points rules (积分); the highest version is in force."""

    __tablename__ = "points_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    #: Points for each month's grade of the issued assessments: {"A": 10, "B": 8, "C": 6, "D": 3, "E": 0}.
    per_grade: Mapped[dict] = mapped_column(JSONB)
    per_training_hour: Mapped[float] = mapped_column(Float)
    per_commendation: Mapped[float] = mapped_column(Float)
    #: Points taken away for each sanction (a positive number).
    per_sanction: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
