"""The evaluation schema: scoring schemes (every version kept) and issued assessments (frozen, traceable).

A ``ScoringScheme`` row is never changed: an admin's new weights or thresholds
are a new row with the next version, so every score can name the scheme it used
and an old assessment still reads the weights it was issued under.

An ``Assessment`` is one issue of a period's figures. Its ``AssessmentFigure``
rows are copies, not views: each holds the numerator, the denominator and the
ids of the incidents behind both as they were when it was issued, so later
changes to cases leave it as it was. Re-issuing a period adds a new version.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.models import Base
from geo.grid.models import county_code_from


class ScoringScheme(Base):
    """One version of the weights and grade thresholds; the highest version is in force."""

    __tablename__ = "scoring_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    #: [{"indicator": "closure_rate", "weight": 30, "inverted": false}, ...]; weights add up to 100.
    grid_components: Mapped[list] = mapped_column(JSONB)
    worker_components: Mapped[list] = mapped_column(JSONB)
    #: {"A": 90, "B": 75, "C": 60, "D": 40}: the lowest score of each grade; below the last is E.
    grade_thresholds: Mapped[dict] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Assessment(Base):
    """One issue of a period's assessment (月度/季度考核), frozen when issued."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Each county issues its own assessment of a period, versioned on its own.
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    period: Mapped[str] = mapped_column(String(10))  # "2026-11", "2026-Q4"
    version: Mapped[int] = mapped_column(Integer)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id"))
    jurisdiction_code: Mapped[str] = mapped_column(String(15))
    issued_by: Mapped[str] = mapped_column(String(50))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    #: What changed against the previous version of this period (None for the first): see ``assessments.diff``.
    changes: Mapped[list | None] = mapped_column(JSONB)

    scheme: Mapped[ScoringScheme] = relationship()
    figures: Mapped[list[AssessmentFigure]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentFigure.id"
    )

    __table_args__ = (UniqueConstraint("county_code", "period", "version", name="uq_assessment_county_period_version"),)


class AssessmentFigure(Base):
    """One frozen figure: a grid's or a worker's indicator, or their score, with the cases behind it."""

    __tablename__ = "assessment_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    #: The nets the figure counts, sorted and comma-joined ("religious,rural,social"): a reader sees the
    #: figures of exactly their own nets, as the live indicators would show them.
    nets: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(10))  # "grid" or "worker"
    subject_code: Mapped[str] = mapped_column(String(20))  # a grid code or a grid worker's code
    grid_code: Mapped[str] = mapped_column(String(15))  # the grid, or the worker's grid
    county_code: Mapped[str] = county_code_from("grid_code")
    indicator: Mapped[str] = mapped_column(String(40))  # an indicator id, or "score"
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    numerator_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    denominator_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)

    assessment: Mapped[Assessment] = relationship(back_populates="figures")

    __table_args__ = (
        Index(
            "ix_assessment_figure_lookup", "assessment_id", "nets", "subject", "subject_code", "indicator", unique=True
        ),
    )
