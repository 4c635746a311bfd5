"""The dispatcher's queues: each defined once, as a SQL condition, for its count, its list and its markers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.labels import Labelled, label
from geo.dispatch.cross_net import partnered
from geo.dispatch.models import OPEN_INCIDENT, Incident
from geo.dispatch.scope import visible
from geo.dispatch.statuses import RUNNING, Status


class Queue(Labelled):
    """The dispatcher's work queues, each a condition on open incidents (``queue_condition``)."""

    OPEN = "open", label("queue", "在办")
    NEW = "new", label("queue", "新案件")
    UNASSIGNED = "unassigned", label("queue", "未分派")
    OVERDUE = "overdue", label("queue", "逾期")
    ESCALATED = "escalated", label("queue", "已升级")
    SUSPECTED_DUPLICATES = "suspected_duplicates", label("queue", "疑似重复")
    CROSS_NET_DUPLICATES = "cross_net_duplicates", label("queue", "跨网重复")


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return and_(Incident.status.in_([s.value for s in RUNNING]), Incident.due_at < now)


# The one definition of each queue: its counts, the list it opens and its map markers all use it.
_QUEUE_CONDITIONS: dict[Queue, Callable[[datetime, Principal], ColumnElement[bool]]] = {
    Queue.OPEN: lambda now, principal: true(),  # every open case: the console's default list, soonest deadline first
    Queue.NEW: lambda now, principal: Incident.status == Status.REPORTED.value,
    Queue.UNASSIGNED: lambda now, principal: Incident.assignee_id.is_(None),
    Queue.OVERDUE: lambda now, principal: overdue_condition(now),
    Queue.ESCALATED: lambda now, principal: Incident.escalation_level > 0,
    Queue.SUSPECTED_DUPLICATES: lambda now, principal: and_(
        Incident.suspected_duplicate_id.is_not(None), Incident.status == Status.REPORTED.value
    ),
    Queue.CROSS_NET_DUPLICATES: lambda now, principal: partnered(principal),
}


def queue_condition(queue: Queue, now: datetime, principal: Principal) -> ColumnElement[bool]:
    """The SQL condition an incident meets while it is in ``queue`` at ``now`` as ``principal`` sees the cases
    (open incidents only)."""
    return and_(OPEN_INCIDENT, _QUEUE_CONDITIONS[queue](now, principal))


def is_overdue(incident: Incident, now: datetime) -> bool:
    return incident.status in RUNNING and incident.due_at is not None and incident.due_at < now


def queue_counts(session: Session, principal: Principal, now: datetime) -> dict[str, int]:
    """How many visible incidents each of the dispatcher's queues holds, in one statement.

    Every queue holds open cases only (``queue_condition``): said once, in the WHERE clause, the
    count reads the open cases' index alone instead of every case ever reported.
    """
    counts = session.execute(
        select(
            *(func.count().filter(_QUEUE_CONDITIONS[queue](now, principal)).label(queue.value) for queue in Queue)
        ).where(visible(principal), OPEN_INCIDENT)
    ).one()
    return dict(counts._mapping)


def queue_bit(queue: Queue) -> int:
    """The bit that stands for ``queue`` in a ``queue_mask``."""
    return 1 << list(Queue).index(queue)


def queue_mask(now: datetime, principal: Principal) -> ColumnElement[int]:
    """An incident's queues as a sum of ``queue_bit``, so the console can filter map markers by queue."""
    return sum(
        (case((queue_condition(queue, now, principal), queue_bit(queue)), else_=0) for queue in Queue),
        start=literal(0),
    )
