"""Incident exports: every matching case as spreadsheet rows, read in batches, or a clear refusal."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Float, Numeric, case, cast, func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.errors import GridError
from geo.dispatch.models import Incident, IncidentCategory
from geo.dispatch.queues import overdue_condition
from geo.dispatch.views import IncidentFilter, filtered
from geo.grid.models import GridWorker

#: The most cases one export holds: a township's year at a million cases (about 180,000) fits.
EXPORT_LIMIT = 200_000

CSV_COLUMNS = (
    "ticket",
    "net",
    "category",
    "title",
    "status",
    "priority",
    "lon",
    "lat",
    "group_code",
    "assignee",
    "escalation_level",
    "due_at",
    "overdue",
    "reported_at",
)


class ExportTooLarge(GridError):
    """More cases match than one export holds: the caller narrows the filter rather than get a cut list."""

    status = 413


def _degrees(value):
    return cast(func.round(cast(value, Numeric), 6), Float)


def export_rows(
    session: Session, principal: Principal, filters: IncidentFilter, now: datetime, batch: int = 5000
) -> Iterator[Sequence[object]]:
    """The ``CSV_COLUMNS`` of every visible case matching ``filters``, newest first, read ``batch`` rows at a time.

    Refuses (413, before any row is read) when more than ``EXPORT_LIMIT`` match: an export is
    never cut short silently.
    """
    query = filtered(principal, filters, now)
    matching = session.scalar(
        select(func.count()).select_from(query.with_only_columns(Incident.id).limit(EXPORT_LIMIT + 1).subquery())
    )
    if matching and matching > EXPORT_LIMIT:
        raise ExportTooLarge(
            "more than {limit} incidents match; narrow the export (dates since/until, a grid, a net or a status)",
            limit=EXPORT_LIMIT,
        )
    statement = (
        query.with_only_columns(
            Incident.ticket,
            Incident.net,
            IncidentCategory.code,
            Incident.title,
            Incident.status,
            Incident.priority,
            _degrees(func.ST_X(Incident.location)),
            _degrees(func.ST_Y(Incident.location)),
            Incident.group_code,
            GridWorker.code,
            Incident.escalation_level,
            Incident.due_at,
            case((overdue_condition(now), True), else_=False),
            Incident.reported_at,
        )
        .join(IncidentCategory, IncidentCategory.id == Incident.category_id)
        .outerjoin(GridWorker, GridWorker.id == Incident.assignee_id)
        .execution_options(yield_per=batch)
    )
    return _rows(session, statement)


def _rows(session: Session, statement) -> Iterator[Sequence[object]]:
    for *head, due_at, overdue, reported_at in session.execute(statement):
        yield (*head, due_at.isoformat() if due_at else None, overdue, reported_at.isoformat())
