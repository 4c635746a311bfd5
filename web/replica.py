"""Reads from a PostgreSQL hot standby (issue #20): ``GRIDMAP_READ_REPLICA_URL``.

Which database a request uses is decided here, once, before its first query;
``extensions.RoutingSession`` acts on it, so no route or domain function chooses:

- A safe request (GET, HEAD, OPTIONS: lists, feeds, tiles, dashboards, OGC API,
  exports) reads from the standby.
- Every unsafe request (POST, PUT, PATCH, DELETE) goes to the primary, and its
  answer carries a signed cookie (``gm_primary``) that sends the same browser's
  requests to the primary for ``GRIDMAP_READ_REPLICA_STICKY_S`` seconds (5), so
  nobody misses their own change while the standby replays it. A cookie rather
  than a per-user time in the database or in memory: it needs no lookup before
  the choice is made (the caller is not known yet), holds across workers and
  servers, and covers residents who are not signed in (a report, then its
  tracking page). API clients that keep no cookies may read a change of theirs a
  replay lag late; they can send the cookie back like a browser.
- Who the caller is is always read from the primary (``geo.core.sql.FRESH``): a
  sign-out, a disabled account or a revoked token end access at once.
- Views marked ``@reads_primary`` (``/api/health``) read the primary.
- The standby is used only while it answers, is still in recovery (a promoted
  standby is no replica any more), streams from the primary and has replayed to
  within the sticky window (``GRIDMAP_READ_REPLICA_MAX_LAG_S``, the window by
  default); it is asked at most every ``CHECK_EVERY_S`` seconds per process.
  Each request checks a connection out of its pool first (a poll of the socket,
  no round trip; ``extensions.reconnect_if_dropped``), so a standby that went
  down is found before the view runs. Otherwise, and for a while after any
  connection error, reads go to the primary; each change is logged once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, request
from itsdangerous import BadSignature, Signer
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from extensions import READ_FROM, REPLICA_EXTENSION, db_session

log = logging.getLogger("gridmap.replica")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE = "gm_primary"
#: How often a process asks the standby whether it is fit to read from (seconds).
CHECK_EVERY_S = 2.0
#: After a connection error, the standby is left alone this long before it is asked again (seconds).
RETRY_AFTER_S = 10.0
#: Connecting to a standby that does not answer gives up after this (seconds); reads then go to the primary.
CONNECT_TIMEOUT_S = 2

# Replay lag as PostgreSQL's documentation measures it on a standby: none when all received WAL is replayed
# (an idle primary sends nothing, and the last replayed commit only looks old), else the age of that commit.
# The WAL receiver's status is shown only to roles with pg_read_all_stats (pg_monitor); to others a running
# receiver shows its pid alone, and counts as streaming.
_STATE = text(
    """
    SELECT pg_is_in_recovery(),
           EXISTS (SELECT FROM pg_stat_wal_receiver WHERE coalesce(status, 'streaming') = 'streaming'),
           CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0
                -- nothing replayed yet since the standby started (fresh from pg_basebackup): no lag
                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, 0.0) END
    """
)


@dataclass
class ReplicaState:
    """What the standby said when last asked (``/api/health`` shows it)."""

    reachable: bool = False
    in_recovery: bool | None = None
    streaming: bool | None = None
    lag_s: float | None = None
    problem: str | None = None
    checked_at: float = field(default=-math.inf)  # time.monotonic()

    @property
    def usable(self) -> bool:
        return self.problem is None


class Replica:
    """One process's view of the hot standby: its engine, and whether reads may go to it now."""

    def __init__(self, engine: Engine, *, max_lag_s: float, check_every_s: float = CHECK_EVERY_S):
        self.engine = engine
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self.state = ReplicaState(problem="not asked yet")
        self._lock = threading.Lock()
        self._down_until = -math.inf

    def usable(self) -> bool:
        """Whether this request may read from the standby (asking it again when the last answer is old)."""
        now = time.monotonic()
        if now < self._down_until:
            return False
        if now - self.state.checked_at >= self.check_every_s and self._lock.acquire(blocking=False):
            try:  # one request asks; the others meanwhile go by the last answer
                self.check()
            finally:
                self._lock.release()
        if not self.state.usable:
            return False
        try:  # the pool's checkout finds a dropped connection without a round trip
            with self.engine.connect():
                pass
        except Exception as error:  # any failure to connect: read from the primary, never fail the request
            self.mark_down(_first_line(error))
            return False
        return True

    def check(self) -> ReplicaState:
        """Ask the standby for its recovery, streaming and replay lag; remember and return the answer."""
        try:
            with self.engine.connect() as connection:
                in_recovery, streaming, lag = connection.execute(_STATE).one()
                connection.rollback()
        except Exception as error:  # unreachable: reads go to the primary
            self.mark_down(_first_line(error))
            return self.state
        problem = None
        if not in_recovery:
            problem = "not in recovery (promoted?): not a replica of the primary"
        elif not streaming:
            problem = "not streaming from the primary"
        elif lag > self.max_lag_s:
            problem = f"replay lag {lag:.1f} s exceeds {self.max_lag_s:g} s"
        self._set(ReplicaState(True, in_recovery, streaming, round(lag, 3), problem, time.monotonic()))
        return self.state

    def mark_down(self, problem: str) -> None:
        """The standby failed: read from the primary for ``RETRY_AFTER_S`` before asking it again."""
        self._down_until = time.monotonic() + RETRY_AFTER_S
        self._set(ReplicaState(False, problem=problem, checked_at=time.monotonic()))

    def _set(self, state: ReplicaState) -> None:
        before = self.state
        self.state = state
        if state.usable and not before.usable:
            log.warning("reads go to the read replica (replay lag %s s)", state.lag_s)
        elif not state.usable and (before.usable or before.problem == "not asked yet"):
            log.warning("read replica not used, reads go to the primary: %s", state.problem)

    def health(self) -> dict[str, Any]:
        """The standby as ``/api/health`` reports it (asked afresh)."""
        state = self.check()
        return {
            "reachable": state.reachable,
            "in_recovery": state.in_recovery,
            "streaming": state.streaming,
            "lag_s": state.lag_s,
            "reads": "replica" if state.usable else "primary",
            "problem": state.problem,
        }


def _first_line(error: BaseException) -> str:
    return (str(getattr(error, "orig", None) or error).splitlines() or [type(error).__name__])[0]


def reads_primary(view: Callable) -> Callable:
    """Mark a safe view that must read the primary (the health check, which reports the primary)."""
    view.reads_primary = True  # type: ignore[attr-defined]
    return view


def replica_of(app: Flask) -> Replica | None:
    return app.extensions.get(REPLICA_EXTENSION)


def _signer() -> Signer:
    return Signer(current_app.secret_key or "", salt="gridmap.read-your-writes")


def _wrote_recently(window_s: float) -> bool:
    """Whether this browser's last write (the signed time in its cookie) is less than ``window_s`` old."""
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 100:
        return False
    try:
        wrote_at = float(_signer().unsign(value))
    except (BadSignature, ValueError):  # forged or mangled: read like anyone else
        return False
    return 0 <= time.time() - wrote_at < window_s


def _choose_database() -> None:
    session = db_session()
    session.info.pop(READ_FROM, None)
    replica = replica_of(current_app)
    if replica is None or request.method not in SAFE_METHODS or request.endpoint in (None, "static"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "reads_primary", False) or _wrote_recently(current_app.config["READ_REPLICA_STICKY_S"]):
        return
    if replica.usable():
        session.info[READ_FROM] = replica.engine


def _stick_to_primary(response: Response) -> Response:
    if request.method not in SAFE_METHODS:
        window = current_app.config["READ_REPLICA_STICKY_S"]
        response.set_cookie(
            COOKIE,
            _signer().sign(f"{time.time():.3f}").decode(),
            max_age=math.ceil(window),
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def _read_the_primary_after(error: BaseException | None) -> None:
    db_session().info.pop(READ_FROM, None)


def _mark_down_on_disconnect(replica: Replica) -> Callable:
    def handle_error(context) -> None:
        if context.is_disconnect:
            replica.mark_down(_first_line(context.original_exception))

    return handle_error


def init_app(app: Flask) -> None:
    """Set up the read replica when ``READ_REPLICA_URL`` is set; call before any other request hook."""
    url = app.config.get("READ_REPLICA_URL")
    if not url:
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    connect_args.setdefault("application_name", "gridmap-reads")
    options["connect_args"] = connect_args
    engine = create_engine(url, **options)
    max_lag = app.config.get("READ_REPLICA_MAX_LAG_S") or app.config["READ_REPLICA_STICKY_S"]
    replica = Replica(engine, max_lag_s=float(max_lag))
    event.listen(engine, "handle_error", _mark_down_on_disconnect(replica))
    app.extensions[REPLICA_EXTENSION] = replica
    app.before_request(_choose_database)
    app.after_request(_stick_to_primary)
    # Teardown functions run last registered first: this one after the request's transaction has ended.
    app.teardown_request(_read_the_primary_after)
