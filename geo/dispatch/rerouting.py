"""Re-routing open incidents when the grid under them changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, true
from sqlalchemy.orm import Session

from geo.core.calendar import county_day
from geo.dispatch.models import OPEN_INCIDENT, Incident
from geo.dispatch.routing import route_worker
from geo.grid.boundaries import (
    valid_in,
)
from geo.grid.models import GridLookupPart, codes_under


def reroute_open_incidents(
    session: Session, parent_code: str, generation: int, *, actor: str, note: str, now: datetime
) -> int:
    """Move open incidents under ``parent_code`` to the group covering them in ``generation``; return how many."""
    hit = (
        select(GridLookupPart.code, GridLookupPart.grid_id)
        .where(func.ST_Covers(GridLookupPart.geom, Incident.location), *valid_in(GridLookupPart, generation))
        .order_by(GridLookupPart.code)
        .limit(1)
        .lateral("hit")
    )
    moves = session.execute(
        select(Incident.id, Incident.net, Incident.group_code, Incident.assignee_id, hit.c.code, hit.c.grid_id)
        .join(hit, true())
        .where(
            codes_under(Incident.group_code, parent_code),
            OPEN_INCIDENT,
            hit.c.code != Incident.group_code,
        )
    ).all()
    if not moves:
        return 0
    today = county_day(now)
    assignee: dict[tuple[str, str], int | None] = {}
    for move in moves:
        key = (move.net, move.code)
        if key not in assignee:
            worker = route_worker(session, move.net, move.code, today)
            assignee[key] = worker.id if worker else None
    columns = {
        "ids": [m.id for m in moves],
        "old_codes": [m.group_code for m in moves],
        "codes": [m.code for m in moves],
        "grid_ids": [m.grid_id for m in moves],
        "old_assignees": [m.assignee_id for m in moves],
        "assignees": [assignee[(m.net, m.code)] for m in moves],
    }
    # One statement each for thousands of incidents, fed by arrays: the ORM would
    # issue one versioned UPDATE (and one INSERT) per incident.
    moved = (
        "unnest(CAST(:ids AS integer[]), CAST(:old_codes AS text[]), CAST(:codes AS text[]), "
        "CAST(:grid_ids AS integer[]), CAST(:old_assignees AS integer[]), CAST(:assignees AS integer[])) "
        "AS m(id, old_code, code, grid_id, old_assignee, assignee)"
    )
    session.execute(
        text(
            "INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note, data) "
            "SELECT m.id, :now, :actor, 'reroute', i.status, i.status, :note, "
            "json_build_object('from_group', m.old_code, 'to_group', m.code, 'generation', :generation) "
            f"FROM {moved} JOIN incident i ON i.id = m.id"
        ),
        {**columns, "now": now, "actor": actor, "note": note, "generation": generation},
    )
    session.execute(
        text(
            "UPDATE incident SET group_code = m.code, group_id = m.grid_id, assignee_id = m.assignee, "
            "generation = :generation, version = version + 1, change_seq = nextval('incident_change_seq'), "
            f"updated_at = :now FROM {moved} WHERE incident.id = m.id"
        ),
        {**columns, "now": now, "generation": generation},
    )
    session.expire_all()
    return len(moves)
