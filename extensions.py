"""Flask extension singletons, bound to the app in ``create_app``."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_login.signals import user_accessed
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import NullPool

from geo.core.sql import is_reading
from geo.tables import Base

#: ``Session.info`` key: the engine of the hot standby this request reads from (set by web/replica.py).
READ_FROM = "gridmap.read_from"
#: ``app.extensions`` key of the read replica (web/replica.py), when GRIDMAP_READ_REPLICA_URL is set.
REPLICA_EXTENSION = "gridmap.replica"
_CONNECTIONS = "gridmap.connections"


class RoutingSession(FlaskSession):
    """The app's Session: reads go to the hot standby the request was given, everything else to the primary.

    Which requests read from the standby is decided once per request, before any
    query, in web/replica.py (``READ_FROM`` in ``info``); this is the one place that
    acts on it, so no route or domain function chooses a database. A read that
    must see every commit (who the caller is: a sign-out must end a session at
    once) asks for the primary with the bind argument ``fresh``
    (``geo.core.sql.FRESH``). A Session may hold a connection to each in one
    request; both end together.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        standby = self.info.get(READ_FROM)
        if standby is not None and bind is None and not kwargs.get("fresh"):
            return standby
        return super().get_bind(mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(RoutingSession, "after_begin")
def _note_connection(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    held = session.info.setdefault(_CONNECTIONS, [])
    if connection not in held:
        held.append(connection)


@event.listens_for(RoutingSession, "after_transaction_end")
def _forget_connections(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTIONS, None)


# Objects stay readable after commit: a view that commits and then answers needs no reload round trips.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False, "class_": RoutingSession})


def engines(app: Flask) -> list[Engine]:
    """The app's engines: the primary's, and the read replica's when one is configured."""
    with app.app_context():
        found = [db.engine]
    replica = app.extensions.get(REPLICA_EXTENSION)
    if replica is not None:
        found.append(replica.engine)
    return found


migrate = Migrate()


def db_session() -> Session:
    """The app context's own Session, to hand to the domain.

    ``db.session`` is a ``scoped_session``: a proxy that forwards only some of a
    Session's methods, so it is not the ``Session`` every ``geo/`` function takes
    and a type checker rightly refuses it there. Calling the proxy returns the
    Session it forwards to (the same object, for this app context), so the views
    and commands pass the domain exactly what its signatures promise.
    """
    return db.session()


class LoginManagerForCookielessCalls(LoginManager):
    """Flask-Login, going straight to the request loader (the API token) when a request sends no cookie.

    Without a cookie there is no session and no remember cookie, so Flask-Login's own order (session
    protection, the session's user, the remember cookie, then the request loader) can only end at the
    request loader. Flask-Login still hashes the caller's address and browser (sha512) for the session
    protection of that empty session first: about 7 µs of a 0.8 ms point lookup, which programs make without
    cookies (issue #13). A request with any cookie takes Flask-Login's whole way.
    """

    def _load_user(self) -> None:
        if "HTTP_COOKIE" in request.environ:
            return super()._load_user()
        user_accessed.send(current_app._get_current_object())  # type: ignore[attr-defined]  # a LocalProxy
        session.get("_user_id")  # read as Flask-Login reads it, so the answer still varies by cookie
        return self._update_request_context_with_user(self._load_user_from_request(request))

    def _update_remember_cookie(self, response):
        # An empty session holds neither a remember instruction nor a user, so Flask-Login would
        # find nothing to do; asking it costs about 20,000 instructions a response.
        if not session:
            return response
        return super()._update_remember_cookie(response)


babel = Babel()
# Deqin's connections are slow: grid layers shrink about 4x compressed.
compress = Compress()
login_manager = LoginManagerForCookielessCalls()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


class ErrorBody(Schema):
    """The body of every 4xx answer of the API (routes/__init__.py), as the document shows it."""

    error = fields.String(required=True, metadata={"description": "what is wrong, in the page's language"})
    field = fields.String(metadata={"description": "the parameter or body field at fault"})
    details = fields.Raw(metadata={"description": "every problem, per field, where there are several"})


class DocumentedApi(Api):
    ERROR_SCHEMA = ErrorBody


# OpenAPI document of the JSON API, at /api/openapi.json.
openapi = DocumentedApi()

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Chinese unless the user chose English (``?lang=en`` or the cookie it sets), or a program asked for it.

    A program (an API token in ``Authorization``, an Open311 client) has no page to choose a language on: its
    ``Accept-Language`` is honoured. A browser's is not: a page is Chinese until its user chooses, and the
    messages its script fetches speak the page's language, whatever the browser's own settings.
    """
    choices = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE, "")
    if not wanted and _is_program(request):
        wanted = request.accept_languages.best_match(choices) or ""
    return wanted if wanted in choices else current_app.config["BABEL_DEFAULT_LOCALE"]


def _is_program(asked) -> bool:
    return "Authorization" in asked.headers or asked.blueprint == "open311"


#: Command tags of statements that change no rows: a transaction of only these is safe to commit.
READ_ONLY_TAGS = frozenset(
    {"SELECT", "SHOW", "SET", "FETCH", "MOVE", "DECLARE", "CLOSE", "EXPLAIN", "SAVEPOINT", "RELEASE"}
)
_WROTE = "wrote"


def _note_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    """Engine ``after_cursor_execute`` hook: remember on the connection that its transaction wrote.

    PostgreSQL names each statement's effect in its command tag ("SELECT 1",
    "INSERT 0 1", "UPDATE 3"), which psycopg already holds: no round trip. A
    statement with no tag, or any tag but a reading one, counts as a write.
    """
    tag = (cursor.statusmessage or "").partition(" ")[0]
    if tag not in READ_ONLY_TAGS:
        conn.info[_WROTE] = True


def _forget_writes(conn) -> None:
    conn.info.pop(_WROTE, None)


def end_read_only_transactions(app: Flask) -> None:
    """End a request's transaction with COMMIT when it wrote nothing, so prepared statements survive.

    psycopg forgets every prepared statement on ROLLBACK (and sends DEALLOCATE ALL),
    and the session's end rolls back whatever transaction a request left open: every
    read, and every write that reads again after its commit. Without this, no
    statement stays prepared past one request, so PostgreSQL plans each hot query
    afresh every time (measured: 0.3-0.45 ms of planning for the lookup and the
    caller's token, per request). A transaction that wrote, or that failed, still
    rolls back. Which wrote is told by the statements' command tags (``_note_writes``),
    not by asking the server (``txid_current_if_assigned()`` cost a round trip on
    every read; issue #13). A SELECT of a function that writes would be committed;
    none of ours do (sequences' ``nextval`` is not undone by a rollback anyway).

    With a read replica the request's Session may hold a connection to each database;
    it is committed only when neither wrote nor failed.
    """
    for engine in engines(app):
        event.listen(engine, "after_cursor_execute", _note_writes)
        event.listen(engine, "before_cursor_execute", _count_writes)
        for ended in ("begin", "commit", "rollback"):
            event.listen(engine, ended, _forget_writes)

    @app.teardown_request
    def _commit_if_read_only(error: BaseException | None) -> None:
        if not db.session.registry.has():
            return  # the request made no Session (a point lookup on a kept one): nothing to end
        session = db.session()  # the request's own Session (scoped_session proxies only some methods)
        if error is not None or not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        begun = False
        for connection in session.info.get(_CONNECTIONS, ()):
            if connection.closed or connection.info.get(_WROTE):
                return
            driver = connection.connection.driver_connection
            state = None if driver is None else driver.info.transaction_status
            if state == TransactionStatus.INTRANS:
                begun = True
            elif state != TransactionStatus.IDLE:
                return  # detached or failed (must roll back)
        if begun:
            session.commit()


#: Execution option of a connection a view runs on outside a transaction: how many writing statements it may
#: run (0: ``reads_outside_transaction``, 1: ``one_statement_outside_transaction``); ``_count_writes`` reads it.
_WRITES_ALLOWED = "gridmap_writes_allowed"
_WRITES_RUN = "gridmap_writes_run"


class WriteOutsideTransaction(RuntimeError):
    """A view outside a transaction ran more writing statements than it may (a bug, never the caller's fault)."""


#: ``app.extensions`` key of the app's ``KeptReadingSessions``.
KEPT_READING = "gridmap.kept_reading_sessions"
_Kept = tuple[Session, Connection, float]


class KeptReadingSessions:
    """Sessions on connections kept open, in autocommit, between requests: for views that only read.

    A request's own Session, for the one statement of a point lookup, costs its begin, a pool
    checkout and return and its close: 0.13 ms of the 0.97 ms a lookup took in process, the largest
    part of what /api/lookup spent beyond a minimal WSGI app running the same query (issue #13).
    A kept session has done all of that already. Nothing of one request stays on it for the next:
    its connection refuses every write (``_count_writes``) and its identity map is emptied.

    The connections are the kept sessions' own (an engine without a pool, on the app's database and
    connection settings), so they never hold a place of the app's pool: a pool of one still serves
    its requests. A connection the server closed is found as the pool's checkout finds it
    (``_server_closed``), a session whose view raised is not kept, and each connection is closed
    after ``KEEP_S`` (as the pool recycles its own). At most ``KEEP`` stay idle per process (a sync
    worker needs one); all close with the app's engine.
    """

    KEEP = 4
    KEEP_S = 300.0

    def __init__(self, app_engine: Engine, connect_args: dict[str, Any]):
        self._engine = create_engine(app_engine.url, poolclass=NullPool, connect_args=connect_args)
        event.listen(self._engine, "before_cursor_execute", _count_writes)
        event.listen(app_engine, "engine_disposed", lambda disposed: self.close())
        self._idle: list[_Kept] = []

    @property
    def engine(self) -> Engine:
        return self._engine

    def take(self) -> _Kept:
        while True:
            try:
                kept = self._idle.pop()
            except IndexError:
                break
            if time.monotonic() - kept[2] < self.KEEP_S and not _server_closed(kept[1]):
                return kept
            self._end(kept)
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT", **{_WRITES_ALLOWED: 0})
        return Session(bind=connection), connection, time.monotonic()

    def give_back(self, kept: _Kept, *, failed: bool) -> None:
        session, connection, _ = kept
        if failed or connection.invalidated or len(self._idle) >= self.KEEP:
            self._end(kept)
            return
        session.expunge_all()
        self._idle.append(kept)

    def close(self) -> None:
        while self._idle:
            self._end(self._idle.pop())

    @staticmethod
    def _end(kept: _Kept) -> None:
        session, connection, _ = kept
        session.close()
        connection.close()


def keep_reading_sessions(app: Flask) -> None:
    """Give the app its kept sessions for views that only read (``reads_outside_transaction``)."""
    connect_args = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
    with app.app_context():
        app.extensions[KEPT_READING] = KeptReadingSessions(db.engine, connect_args)


def _on_kept_session(view: Callable, args: tuple, kwargs: dict) -> Any:
    """Run ``view`` with a kept reading session as the request's session (``db_session()``), then keep it."""
    sessions: KeptReadingSessions = current_app.extensions[KEPT_READING]
    kept = sessions.take()
    registry = db.session.registry
    own = registry() if registry.has() else None
    registry.set(kept[0])  # type: ignore[arg-type]  # a plain Session: Flask-SQLAlchemy's answers the engine, not its bind
    failed = True
    try:
        answer = view(*args, **kwargs)
        failed = False
        return answer
    finally:
        if own is None:
            registry.clear()
        else:
            registry.set(own)
        sessions.give_back(kept, failed=failed)


def _outside_transaction(writes: int) -> Callable[[Callable], Callable]:
    options = {"isolation_level": "AUTOCOMMIT", _WRITES_ALLOWED: writes}

    def mark(view: Callable) -> Callable:
        @wraps(view)
        def outside_transaction(*args: Any, **kwargs: Any):
            kept = writes == 0 and KEPT_READING in current_app.extensions
            # Nothing made the request's Session yet (a program's lookup, its caller remembered): it holds no
            # transaction and chose no standby, and making one only to ask costs 12 µs (issue #13).
            if kept and not db.session.registry.has():
                return _on_kept_session(view, args, kwargs)
            session = db.session()
            # A bind that is a Connection already holds a transaction (the tests' rolled-back one).
            if session.in_transaction() or not isinstance(session.get_bind(), Engine):
                return view(*args, **kwargs)
            # A request reading from the hot standby (web/replica.py) keeps to its own session.
            if kept and READ_FROM not in session.info:
                return _on_kept_session(view, args, kwargs)
            session.connection(execution_options=options).info[_WRITES_RUN] = 0
            return view(*args, **kwargs)

        return outside_transaction

    return mark


#: Run a view that only reads without BEGIN and COMMIT: its statements go to the server in autocommit.
#:
#: A read-only request wrapped in a transaction costs two round trips beside its one
#: statement (BEGIN before it, COMMIT at the end, ``end_read_only_transactions``);
#: PostgreSQL gives each statement its own snapshot under READ COMMITTED anyway, so for
#: a view whose work is one reading statement (the point lookup) the transaction adds
#: nothing but latency (issue #13: /api/lookup at 0.3-0.5x of a minimal WSGI app).
#: Prepared statements survive as before: nothing is rolled back. Where the request
#: has already begun a transaction (its caller was not yet remembered and was looked
#: up), or its Session is bound to a connection rather than an engine, the view runs
#: inside that transaction as any other. A writing statement on such a connection is
#: refused before it reaches the server (``_count_writes``).
reads_outside_transaction = _outside_transaction(writes=0)

#: Run a view whose only write is one statement (reads before it, none after) in autocommit.
#:
#: One statement is atomic on its own: the report's single INSERT of incident, history
#: and audit (geo/dispatch/intake.py) commits as it ends, with the same WAL flush
#: (synchronous_commit stays on: a report acknowledged is kept), and the transaction
#: around it added BEGIN and COMMIT, two of a report's five round trips. Its reads
#: (routing) saw their own snapshots inside the transaction too (READ COMMITTED). A
#: second writing statement is refused before it reaches the server, so nothing can
#: be half-written; as above, a transaction already begun is kept.
one_statement_outside_transaction = _outside_transaction(writes=1)


def _count_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    """Engine ``before_cursor_execute`` hook: refuse a write beyond what a view outside a transaction may run."""
    allowed = conn.get_execution_options().get(_WRITES_ALLOWED)
    if allowed is None or is_reading(statement):
        return
    run = conn.info.get(_WRITES_RUN, 0) + 1
    if run > allowed:
        raise WriteOutsideTransaction(f"a view outside a transaction may run {allowed} writes; not {statement[:60]!r}")
    conn.info[_WRITES_RUN] = run


def reconnect_if_dropped(dbapi_connection, connection_record, connection_proxy) -> None:
    """Pool ``checkout`` hook: refuse a connection the server has closed, so the pool makes a new one.

    After a database restart (or ``pg_terminate_backend``) every pooled connection
    is dead, and without this the first request on each worker fails. A server
    that ends a session writes its FATAL message and closes the socket, so an idle
    connection whose socket is readable has been dropped (we LISTEN for nothing;
    a rare asynchronous notice only costs a needless reconnect). Raising
    ``InvalidatePoolError`` discards every connection pooled before it too, and
    the pool hands out a new one. ``pool_pre_ping`` would find the same with a
    round trip on every checkout: measured on /api/health in-process
    (``python -m bench checkout``), this poll costs about nothing, the ping about
    one round trip (figures in docs/operations.md). A server that vanishes without
    closing (a cut network) is still found by the first statement, which answers
    503 and invalidates the pool for the next request.
    """
    if _socket_readable(dbapi_connection):
        raise exc.InvalidatePoolError("the server closed this pooled connection")


def _socket_readable(dbapi_connection) -> bool:
    readable = select.poll()
    readable.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(readable.poll(0))


def _server_closed(connection: Connection) -> bool:
    """Whether the server has closed a connection held between requests (``reconnect_if_dropped``'s test)."""
    driver = connection.connection.driver_connection
    return driver is None or driver.closed or _socket_readable(driver)


def discard_dead_connections(app: Flask) -> None:
    """Check each pooled connection as the app's engines hand it out (see ``reconnect_if_dropped``)."""
    for engine in engines(app):
        event.listen(engine, "checkout", reconnect_if_dropped)
