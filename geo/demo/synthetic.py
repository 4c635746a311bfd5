"""Many incidents fast, for benchmarks and query-plan tests: copies of the demo's incidents.

Each copy of a demo incident is moved up to 150 m (kept only if it stays inside its villager
group, otherwise it keeps the original point) and up to five days in time (never past the
latest demo report), with its history copied alongside. Everything is derived from a hash of
(incident, copy), so the same ``copies`` always builds the same rows. The work is a few bulk
``INSERT … SELECT`` statements inside PostgreSQL: a million incidents take minutes.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, text
from sqlalchemy.orm import Session

from geo.dispatch.models import Incident

#: Tickets of the copies are this and twelve digits, no dashes: not a county's ticket (geo.grid.tickets), on
#: purpose. With ``is_demo`` it tells a copy from the demo incident it copies and removes the copies again, and
#: never a real case of a county whose tickets begin SY- (``is_synthetic``).
SYNTHETIC_PREFIX = "SY"
SYNTHETIC_TICKET = f"^{SYNTHETIC_PREFIX}[0-9]{{12}}$"


def is_synthetic() -> ColumnElement[bool]:
    """SQL condition: the incident is a synthetic copy made here."""
    return and_(Incident.is_demo, Incident.ticket.regexp_match(SYNTHETIC_TICKET))


_INCIDENT_COLUMNS = (
    "net, category_id, title, description, address, channel, priority, reporter_name, reporter_phone, status,"
    " group_id, group_code, generation, assignee_id, escalation_level, reopen_count, created_by, is_demo, version"
)
_SHIFTED_TIMES = ("due_at", "reported_at", "registered_at", "dispatched_at", "started_at", "resolved_at", "closed_at")

# Raw SQL: a bulk copy with per-row pseudo-random moves, which reads more plainly as SQL than as ORM calls.
_PLAN_COPIES = text(
    """
    CREATE TEMPORARY TABLE synthetic_copy ON COMMIT DROP AS
    SELECT source.id AS source_id, n AS copy, nextval(pg_get_serial_sequence('incident', 'id')) AS id,
           hashtext(source.id || ':' || n) AS h1, hashtext(n || ':' || source.id) AS h2
    FROM incident AS source
    CROSS JOIN generate_series(:first, :first + :copies - 1) AS n
    WHERE source.is_demo AND source.ticket !~ :synthetic
    """
)
_SHIFT = "make_interval(secs => (abs(c.h2) % 864000) - 432000)"  # ±5 days, in seconds
_COPY_INCIDENTS = text(
    f"""
    WITH moved AS (
        SELECT c.*, s.location AS original,
               ST_Translate(
                   s.location,
                   (abs(c.h1) % 150) * cos(radians(abs(c.h2) % 360)) / (111320 * cos(radians(ST_Y(s.location)))),
                   (abs(c.h1) % 150) * sin(radians(abs(c.h2) % 360)) / 110540
               ) AS moved,
               CASE WHEN s.reported_at + {_SHIFT} > :latest THEN -{_SHIFT} ELSE {_SHIFT} END AS shift
        FROM synthetic_copy AS c JOIN incident AS s ON s.id = c.source_id
    )
    INSERT INTO incident (id, ticket, location, duplicate_of_id, suspected_duplicate_id, updated_at, change_seq,
                          {", ".join(_SHIFTED_TIMES)}, {_INCIDENT_COLUMNS})
    SELECT m.id, :prefix || lpad(m.id::text, 12, '0'),
           CASE WHEN EXISTS (
               SELECT 1 FROM grid_lookup_part AS part
               WHERE part.grid_id = s.group_id AND part.generation_high IS NULL AND ST_Covers(part.geom, m.moved)
           ) THEN m.moved ELSE m.original END,
           duplicate.id, suspected.id, s.updated_at + m.shift, nextval('incident_change_seq'),
           {", ".join(f"s.{name} + m.shift" for name in _SHIFTED_TIMES)},
           {", ".join(f"s.{name.strip()}" for name in _INCIDENT_COLUMNS.split(","))}
    FROM moved AS m
    JOIN incident AS s ON s.id = m.source_id
    LEFT JOIN synthetic_copy AS duplicate ON duplicate.source_id = s.duplicate_of_id AND duplicate.copy = m.copy
    LEFT JOIN synthetic_copy AS suspected ON suspected.source_id = s.suspected_duplicate_id AND suspected.copy = m.copy
    """
)
_COPY_HISTORY = text(
    f"""
    INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note, data)
    SELECT c.id, e.at + CASE WHEN s.reported_at + {_SHIFT} > :latest THEN -{_SHIFT} ELSE {_SHIFT} END,
           e.actor, e.action, e.from_status, e.to_status, e.note, e.data
    FROM synthetic_copy AS c
    JOIN incident AS s ON s.id = c.source_id
    JOIN incident_event AS e ON e.incident_id = c.source_id
    """
)


def add_synthetic_incidents(session: Session, copies: int, *, first: int = 1, history: bool = True) -> int:
    """Add copies ``first`` to ``first + copies - 1`` of every demo incident (with their history unless
    ``history`` is false); a large set is built in batches of copies, each in its own transaction.

    Returns the number of incidents added. Run it in a transaction of its own: it uses a
    temporary table dropped at commit. Call ``ANALYZE incident`` afterwards so the planner
    sees the new size.
    """
    if not isinstance(copies, int) or copies < 1:
        raise ValueError("copies must be a positive whole number", copies)
    latest = session.execute(text("SELECT max(reported_at) FROM incident WHERE is_demo")).scalar()
    if latest is None:
        raise ValueError("no demo incidents to copy: load the demo first (flask demo load)")
    session.execute(_PLAN_COPIES, {"copies": copies, "first": first, "synthetic": SYNTHETIC_TICKET})
    added = session.execute(text("SELECT count(*) FROM synthetic_copy")).scalar_one()
    session.execute(_COPY_INCIDENTS, {"prefix": SYNTHETIC_PREFIX, "latest": latest})
    if history:
        session.execute(_COPY_HISTORY, {"latest": latest})
    session.execute(text("DROP TABLE synthetic_copy"))
    return added


# Raw SQL for the same reason: one INSERT … SELECT over generate_series, nothing computed per row.
_STACK_COPIES = text(
    f"""
    INSERT INTO incident (ticket, location, updated_at, change_seq, {", ".join(_SHIFTED_TIMES)}, {_INCIDENT_COLUMNS})
    SELECT :prefix || lpad(nextval(pg_get_serial_sequence('incident', 'id'))::text, 12, '0'), location, updated_at,
           nextval('incident_change_seq'), {", ".join(_SHIFTED_TIMES)}, {_INCIDENT_COLUMNS}
    FROM incident CROSS JOIN generate_series(1, :copies)
    WHERE is_demo AND ticket !~ :synthetic
    """
)


def add_stacked_incidents(session: Session, copies: int) -> int:
    """Add ``copies`` copies of every demo incident at its own place and times, without history or duplicates.

    For a test that needs the size and not the spread (the console at 100,000 cases): no moves, no
    point-in-group checks, so ten copies of the demo take seconds where ``add_synthetic_incidents``
    takes a minute. Returns the number added; remove them by ``is_synthetic`` like the others.
    """
    if not isinstance(copies, int) or copies < 1:
        raise ValueError("copies must be a positive whole number", copies)
    result = session.execute(
        _STACK_COPIES, {"copies": copies, "prefix": SYNTHETIC_PREFIX, "synthetic": SYNTHETIC_TICKET}
    )
    return result.rowcount  # type: ignore[attr-defined]  # a CursorResult for an INSERT
