"""The lookup's query behind the least a WSGI app can be: the baseline ``bench lookup`` compares /api/lookup with.

No Flask, no SQLAlchemy at run time, no sign-in: parse ``lon`` and ``lat``, run the
statement /api/lookup runs (geo/atlas/lookup.py, compiled once) on one psycopg connection per
process (autocommit, prepared after a few runs as psycopg does), answer the rows as JSON.
Served by gunicorn as ``bench.minimal_lookup:app``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import psycopg
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from app import create_app
from extensions import db
from geo.atlas.lookup import _chain_statement


def _conninfo() -> str:
    flask_app = create_app()
    with flask_app.app_context():
        url = db.engine.url
        db.engine.dispose()
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


_COMPILED = _chain_statement().compile(dialect=psycopg_dialect.dialect())
_SQL, _DEFAULTS = str(_COMPILED), dict(_COMPILED.params)  # as geo.core.sql.CompiledQuery runs it
_CONNINFO = _conninfo()
_connection: psycopg.Connection | None = None


def app(environ, start_response):
    global _connection
    if _connection is None:  # after gunicorn's fork: one connection per worker
        _connection = psycopg.connect(_CONNINFO, autocommit=True, options="-c jit=off")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        lon, lat = float(query["lon"][0]), float(query["lat"][0])
    except (KeyError, ValueError):
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"lon and lat, please"]
    rows = _connection.execute(_SQL, {**_DEFAULTS, "lon": lon, "lat": lat, "generation": None}).fetchall()
    body = json.dumps([list(row) for row in rows], default=str, ensure_ascii=False).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
