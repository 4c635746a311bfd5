"""Hand-made cases for the indicator tests: many at once, with exactly the stage times a test names.

They fall in 2031, after every demo case, so a period of 2031 holds only what a test made.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import func, insert, select

from geo.dispatch.models import Incident, IncidentCategory
from geo.grid.models import Generation, Grid, GridWorker

#: A villager group of 奔子栏镇 and the hour every hand-made case is reported at unless told.
GROUP = "533422102001001"
JAN = datetime(2031, 1, 10, 2, 0, tzinfo=UTC)
_tickets = count(1)


def make_cases(session, n: int, *, group: str = GROUP, net: str = "social", category: str = "dispute", **fields):
    """Insert ``n`` cases of ``group`` with ``fields`` (stage times, status, channel...); return their ids."""
    grid_id = session.scalar(select(Grid.id).where(Grid.code == group))
    generation = session.scalar(select(func.max(Generation.id)))
    category_id = session.scalar(select(IncidentCategory.id).where(IncidentCategory.code == category))
    worker_id = fields.pop("assignee_id", None) or session.scalar(
        select(GridWorker.id)
        .where(GridWorker.grid_id == grid_id, GridWorker.nets.contains([net]))
        .order_by(GridWorker.id)
    )
    reported = fields.pop("reported_at", JAN)
    rows = [
        {
            "ticket": f"TE-{next(_tickets):08d}",
            "net": net,
            "category_id": category_id,
            "title": "测试",
            "location": "SRID=4326;POINT(99.2991 28.2446)",
            "channel": "phone",
            "priority": "normal",
            "status": "reported",
            "group_id": grid_id,
            "group_code": group,
            "generation": generation,
            "assignee_id": worker_id,
            "created_by": "test",
            "reported_at": reported,
            "updated_at": reported,
            "change_seq": 0,
            "version": 1,
            **fields,
        }
        for _ in range(n)
    ]
    return list(session.scalars(insert(Incident).returning(Incident.id), rows))


def closed_on(due: datetime, closed: datetime) -> dict:
    """The stage times of a case dispatched a day before ``due``, resolved and closed at ``closed``."""
    return {
        "status": "closed",
        "registered_at": due - timedelta(days=2),
        "dispatched_at": due - timedelta(days=1),
        "resolved_at": closed,
        "closed_at": closed,
        "due_at": due,
    }
