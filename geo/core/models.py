"""The declarative base every table derives from, the audit trail's table and the scheduled jobs' runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    FetchedValue,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table; the Flask app binds it, geo/ never imports Flask."""


class AuditEvent(Base):
    """One change, appended and never altered: a trigger refuses UPDATE, DELETE and TRUNCATE.

    Deliberately without foreign keys, so no cascade can reach it and it outlives what it describes.

    ``county_code`` is the county of what it describes, so each county's admin reads their county's events
    whoever made them (the scheduler, residents, the prefecture). A trigger sets it on insert from the subject's
    own row unless the writer gave one (``audit_subject_county``, migration b46e0e7b0014): the prefecture's
    code for a prefecture's account, NULL for what every county shares or a subject not found.
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
    county_code: Mapped[str | None] = mapped_column(String(6), server_default=FetchedValue(), index=True)


class JobRun(Base):
    """One run of a scheduled job (escalation, plan activation): when, by which process, and what it did."""

    __tablename__ = "job_run"
    # A job's latest run is one index probe however long the history (the escalation runs every 5 minutes:
    # 105,000 runs a year, which an index on the job alone had the health check sort at every call).
    __table_args__ = (Index("ix_job_run_job_started_at", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str] = mapped_column(String(100))  # host:pid of the scheduler that ran it
