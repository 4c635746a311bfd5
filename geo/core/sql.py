"""Hot-path queries: written in SQLAlchemy Core, compiled once, executed through the driver.

SQLAlchemy rebuilds a statement's cache key on every execution, which costs more
than the query itself for the per-request lookups (measured: 0.2-0.7 ms of
Python against 0.06 ms in PostgreSQL). Compiling once and handing the SQL
text to the driver keeps the query readable here and lets psycopg prepare it
server-side after a few runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import ClauseElement, exc
from sqlalchemy.engine import Connection, CursorResult

_READING = ("SELECT", "SHOW", "WITH")
#: A statement that begins WITH may hide a write in a CTE: any of these words counts it as one (failing safe).
_WRITING_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def is_reading(statement: str) -> bool:
    """True when SQL text can only read: a SELECT or SHOW, or a WITH whose parts name no write."""
    head = statement.lstrip()[:6].upper()
    if not head.startswith(_READING):
        return False
    return not head.startswith("WITH") or _WRITING_WORD.search(statement) is None


class CompiledQuery:
    """A statement built and compiled on first use, then run with plain parameters."""

    def __init__(self, build: Callable[[], ClauseElement]):
        self._build = build
        self._compiled: tuple[str, dict[str, Any]] | None = None
        self._reads = False

    def _sql(self, connection: Connection) -> tuple[str, dict[str, Any]]:
        if self._compiled is None:
            compiled = self._build().compile(dialect=connection.dialect)
            self._compiled = (str(compiled), dict(compiled.params))
            self._reads = is_reading(self._compiled[0])
        return self._compiled

    def execute(self, connection: Connection, **values: Any) -> CursorResult:
        """Run the query; ``values`` fill its named bind parameters."""
        sql, defaults = self._sql(connection)
        return connection.exec_driver_sql(sql, {**defaults, **values})

    def rows(self, connection: Connection, **values: Any) -> list[Any]:
        """Run a SELECT on the driver's own connection and fetch its rows (named tuples).

        For the hottest reads (the point lookup): SQLAlchemy's execution context and
        result object cost about as much Python as the rest of the request's database
        work (issue #13); psycopg's cursor gives the same rows without them. Only a
        reading statement (``is_reading``) may run this way, since the engine's hooks
        (which tell a transaction that wrote, extensions.py) do not see it. The driver's errors come out as
        SQLAlchemy's, as ``execute`` raises them, and a dropped connection is
        invalidated, so the caller's answer (503) and the pool's recovery are the same.
        """
        sql, defaults = self._sql(connection)
        if not self._reads:
            raise TypeError("CompiledQuery.rows runs only reading statements; use execute")
        driver = connection.connection.driver_connection
        parameters = {**defaults, **values}
        try:
            with driver.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
                return cursor.execute(sql, parameters).fetchall()
        except psycopg.Error as error:
            if connection.dialect.is_disconnect(error, driver, None):  # type: ignore[arg-type]  # psycopg's Error is the DBAPI's
                connection.invalidate(error)
            raise exc.DBAPIError.instance(sql, parameters, error, psycopg.Error) from error


def copy_rows(connection: Connection, table, rows: list[dict[str, Any]]) -> None:
    """Insert many ``rows`` into ``table`` with PostgreSQL's COPY: several times faster than INSERTs.

    Used where one action writes tens of thousands of rows (an issued assessment's
    figures); the rows go through the driver's own adapters (lists become arrays).
    """
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f'"{table.c[name].name}"' for name in columns)
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[name] for name in columns])


#: Bind argument of a read that must see every commit at once (``session.connection(bind_arguments=FRESH)``,
#: ``session.get_bind(**FRESH)``). A Session that sends reads to a hot standby, which replays the primary's
#: commits a moment later (the app's, extensions.RoutingSession), sends these to the primary; any other
#: Session ignores it.
FRESH: dict[str, Any] = {"fresh": True}
