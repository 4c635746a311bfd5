"""The 综合评价 record: a case's call-back (回访) or residents' rating, never altered.

A correction is a new row naming the one it replaces (``replaces_id``), so the
trail of what was said, by whom and when stays whole. A case's current
evaluation is its latest row that no other row replaces. The scoring and
assessment tables live in ``geo.evaluation.models``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from geo.core.labels import Labelled, label
from geo.core.models import Base


class Satisfaction(Labelled):
    SATISFIED = "satisfied", label("satisfaction", "满意")
    BASICALLY_SATISFIED = "basically_satisfied", label("satisfaction", "基本满意")
    DISSATISFIED = "dissatisfied", label("satisfaction", "不满意")


#: The results counted as satisfied by 满意率.
CONTENT = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


class EvaluationSource(Labelled):
    CALLBACK = "callback", label("evaluation_source", "电话回访")
    RESIDENT = "resident", label("evaluation_source", "群众评价")


class IncidentEvaluation(Base):
    """One evaluation of a closed case: its result, who gave it, and whether it sent the case back (返工)."""

    __tablename__ = "incident_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("incident_evaluation.id"))
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # A case's evaluations, newest first: the current one and the once-per-closure check.
        Index("ix_incident_evaluation_incident", "incident_id", "at"),
        # The 满意率 of a period reads the evaluations given in it.
        Index("ix_incident_evaluation_at", "at"),
        # A record is corrected at most once: the correction of a correction names the newer one.
        Index("ix_incident_evaluation_replaces", "replaces_id", unique=True),
    )
