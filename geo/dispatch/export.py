"""Incident exports: every matching case as spreadsheet rows, or a clear refusal."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Numeric, case, cast, func
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
    session: Session, principal: Principal, filters: IncidentFilter, now: datetime
) -> Iterator[Sequence[object]]:
    """The ``CSV_COLUMNS`` of every visible case matching ``filters``, newest first.

    Refuses (413, before any row is sent) when more than ``EXPORT_LIMIT`` match: an export is
    never cut short silently.
    """
    query = filtered(principal, filters, now)
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
            _iso_time(Incident.due_at),
            case((overdue_condition(now), True), else_=False),
            _iso_time(Incident.reported_at),
        )
        .join(IncidentCategory, IncidentCategory.id == Incident.category_id)
        .outerjoin(GridWorker, GridWorker.id == Incident.assignee_id)
    )
    # Read whole (at most EXPORT_LIMIT rows, tens of MB), not through a server-side cursor: a cursor's
    # plan is made to start fast, and walking the date index for a township's year took ten times longer.
    # One row past the limit tells, before any is sent, that the export would be cut.
    rows = session.connection().execute(statement.limit(EXPORT_LIMIT + 1))
    if rows.rowcount > EXPORT_LIMIT:
        rows.close()
        raise ExportTooLarge(
            "more than {limit} incidents match; narrow the export (dates since/until, a grid, a net or a status)",
            limit=EXPORT_LIMIT,
        )
    return iter(rows)


def _iso_time(column) -> ColumnElement[str]:
    """A UTC time as ISO 8601 text, made by PostgreSQL (as fast as the rows are read)."""
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
