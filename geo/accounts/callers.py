"""Who presented a token or session key, remembered briefly so most requests skip that query.

Each authenticated request looked its caller up in the database: one round trip of
the five a request made (issue #13). A process remembers the answers here for
``ttl`` seconds at most, and forgets all of them as soon as any account, token,
session or the grid codes behind them change, in any process:

- A trigger (migration d46e0e7a4004) sends ``NOTIFY gridmap_callers`` from every
  statement that updates, deletes or truncates ``app_user``, ``api_token``,
  ``login_session`` or the codes of ``grid`` and ``grid_worker``; PostgreSQL delivers
  it when that transaction commits, and never if it rolls back. Each process keeps
  one connection listening and, before answering from memory, looks whether a
  notice has arrived: a poll of its socket, no round trip. Until the listening
  connection is up (or after it failed) nothing is answered from memory.
- A notice takes a moment to arrive, so the process that made the change also
  forgets at once, when its session commits (any ORM change to those rows, and
  ``forget_on_commit`` for bulk statements): a request right after a sign-out or a
  role change in the same worker never sees the old answer.

Only found callers are kept (an unknown key is asked again every time), and a
session's answer never outlives the session's own expiry.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.pq import ConnStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo.accounts.models import ApiToken, LoginSession, User
from geo.grid.models import Grid, GridWorker

CHANNEL = "gridmap_callers"
#: How long an answer is kept at most; the notices make it stale-free before that.
DEFAULT_TTL_S = 60.0
#: Answers one process keeps; on overflow all are forgotten (sign-ins are few, requests many).
MAX_ENTRIES = 4096
_FORGET = "forget_callers"


@dataclass
class _Entry:
    value: Any
    until: float  # time.monotonic()
    expires_at: datetime | None  # the session's own end, if any


def _session_alive(expires_at: datetime | None) -> bool:
    return expires_at is None or expires_at > datetime.now(UTC)


class CallerCache:
    """Answers of one engine's database, kept while no notice says they may have changed."""

    def __init__(self, engine: Engine, ttl: float = DEFAULT_TTL_S):
        self.engine = engine
        self.ttl = ttl
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()
        self._listener: Any = None  # psycopg connection LISTENing on CHANNEL
        self._listener_pid = 0
        self._poll: select.poll | None = None

    def get(self, kind: str, digest: str, load: Callable[[], tuple[Any, datetime | None] | None]) -> Any:
        """The kept answer for ``(kind, digest)`` if still good, else ``load()``'s (value, expiry), kept if found."""
        with self._lock:
            listening = self._fresh()
            entry = self._entries.get((kind, digest)) if listening else None
            if entry is not None and entry.until > time.monotonic() and _session_alive(entry.expires_at):
                return entry.value
        loaded = load()
        if loaded is None:
            return None
        value, expires_at = loaded
        if listening:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[(kind, digest)] = _Entry(value, time.monotonic() + self.ttl, expires_at)
        return value

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        """Stop listening and forget everything (the engine is being disposed)."""
        with self._lock:
            self._entries.clear()
            if self._listener is not None and self._listener_pid == os.getpid():
                self._listener.close()
            self._listener = self._poll = None

    def _fresh(self) -> bool:
        """Drain arrived notices (forgetting all on any); False when not listening (then keep nothing)."""
        if self._listener is None or self._listener_pid != os.getpid():
            # A forked worker must not use (nor close) its parent's socket.
            self._listener = self._poll = None
            self._entries.clear()
            return self._listen()
        assert self._poll is not None
        if not self._poll.poll(0):
            return True
        pgconn = self._listener.pgconn
        try:
            pgconn.consume_input()
            alive = pgconn.status == ConnStatus.OK
        except psycopg.Error:
            alive = False
        if not alive:  # the server closed it: listen afresh, forgetting what may have been missed
            self._listener = self._poll = None
            self._entries.clear()
            return self._listen()
        notified = False
        while pgconn.notifies() is not None:
            notified = True
        if notified:
            self._entries.clear()
        return True

    def _listen(self) -> bool:
        connection: Any = None
        try:
            raw = self.engine.raw_connection()
            connection = raw.driver_connection
            raw.detach()  # its own connection for good, outside the pool
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
        except Exception:  # the database is down: answer without keeping anything, try again next request
            if connection is not None:
                connection.close()
            return False
        self._listener, self._listener_pid = connection, os.getpid()
        self._poll = select.poll()
        self._poll.register(connection.fileno(), select.POLLIN)
        return True


_caches: dict[int, CallerCache] = {}
_caches_lock = threading.Lock()


def cache_for(engine: Engine) -> CallerCache:
    """The cache of ``engine``'s database (made on first use, closed with the engine)."""
    with _caches_lock:
        cache = _caches.get(id(engine))
        if cache is None or cache.engine is not engine:
            cache = _caches[id(engine)] = CallerCache(engine)
            event.listen(engine, "engine_disposed", lambda disposed: _close(disposed))
        return cache


def _close(engine: Engine) -> None:
    with _caches_lock:
        cache = _caches.pop(id(engine), None)
    if cache is not None:
        cache.close()


def forget_all() -> None:
    """Forget every kept answer of this process (a test that rolled back account changes)."""
    with _caches_lock:
        caches = list(_caches.values())
    for cache in caches:
        cache.forget()


def forget_on_commit(session: Session) -> None:
    """Forget this process's answers when ``session`` commits: it changed an account, token or session."""
    session.info[_FORGET] = True


#: What a caller's answer is read from (sessions.py ``_caller_query``): a change to one outdates answers.
_READ_FROM = (User, ApiToken, LoginSession, Grid, GridWorker)


@event.listens_for(Session, "before_flush")
def _forget_if_read_from_changed(session: Session, flush_context: Any, instances: Any) -> None:
    if any(isinstance(changed, _READ_FROM) for changed in (*session.dirty, *session.deleted)):
        forget_on_commit(session)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(_FORGET, False):
        forget_all()


@event.listens_for(Session, "after_rollback")
def _keep_after_rollback(session: Session) -> None:
    session.info.pop(_FORGET, None)
