"""Shared fixtures: one real PostGIS test database, migrated and loaded once per run."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import flask_migrate
import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

import localdb
from app import create_app
from extensions import KEPT_READING, db, db_session
from geo.accounts.callers import forget_all
from geo.demo.load import clear_atlas, load_demo
from geo.dispatch.statuses import FINISHED
from geo.planning.models import Plan
from geo.tables import Base

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


#: Every fixture that reaches the test database goes through this one.
DATABASE_FIXTURE = "app"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reverse-order",
        action="store_true",
        help="run the tests last to first: one that needs what an earlier one left behind then fails",
    )


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by the markers added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the database ``db``, and refuse a ``db`` mark on one that does not."""
    if config.getoption("reverse_order"):
        items.reverse()
    misplaced = []
    for item in items:
        uses_database = DATABASE_FIXTURE in getattr(item, "fixturenames", ())
        if uses_database:
            item.add_marker(pytest.mark.db)
        elif item.get_closest_marker("db") is not None:
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(
            f"marked db but using no database fixture (the mark is added by itself): {', '.join(misplaced)}"
        )


def _test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return localdb.url("gridmap_test")


@pytest.fixture(scope="session")
def app():
    """The app bound to the test database, with the schema migrated and the demo atlas loaded."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _test_database_url(),
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        db.session.commit()
        flask_migrate.upgrade(directory=str(Path(app.root_path) / "migrations"))
        clear_atlas(db_session())
        load_demo(db_session())
        db.session.commit()
        loaded = _row_counts()
        db.session.remove()
    yield app
    with app.app_context():
        at_end = _row_counts()
        db.session.remove()
        # Close pooled connections before exit; psycopg warns about any left open.
        db.engine.dispose()
    changed = {table: (loaded[table], at_end[table]) for table in loaded if loaded[table] != at_end[table]}
    assert not changed, f"tests left the demo data changed (table: rows after load, rows at the end): {changed}"


#: Tables that rightly grow over a run: the append-only audit trail, and the sign-ins cached for every test.
GROWING_TABLES = frozenset({"audit_event", "login_session"})


def _row_counts() -> dict[str, int]:
    """Rows per table (less ``GROWING_TABLES``): the end of the run must find what the load left."""
    return {
        name: db.session.scalars(select(func.count()).select_from(table)).one()
        for name, table in sorted(Base.metadata.tables.items())
        if name not in GROWING_TABLES
    }


def csrf_token_of(client, path: str = "/login") -> str:
    """The CSRF token a page hands out (from its meta tag or login form)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, f"{path} hands out no CSRF token"
    return found.group(1)


def post_multipart(client, path: str, data: dict):
    """POST a multipart form with the CSRF token, closing the spooled body (large ones go to a temp file)."""
    builder = EnvironBuilder(
        path=path,
        method="POST",
        data=data,
        content_type="multipart/form-data",
        headers=[("X-CSRFToken", csrf_token_of(client, "/"))],
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def sign_in(client, username: str, password: str | None = None):
    """Sign ``client`` in through the real login form; return the response."""
    token = csrf_token_of(client)
    return client.post(
        "/login",
        data={"username": username, "password": password or f"{username}-demo-2026", "csrf_token": token},
    )


@pytest.fixture(scope="session")
def session_cookies(app) -> dict[str, str]:
    """One signed-in session cookie per demo user, made once (login is rate limited)."""
    return {}


@pytest.fixture
def client_as(app, session_cookies):
    """Return a factory of test clients signed in as a given demo user."""

    def make(username: str):
        client = app.test_client()
        if username not in session_cookies:
            with outside_the_test_transaction():  # the cookie serves later tests too
                response = sign_in(client, username)
            assert response.status_code == 302, response.get_data(as_text=True)
            session_cookies[username] = client.get_cookie("session").value
        client.set_cookie("session", session_cookies[username])
        return client

    return make


@pytest.fixture
def client(client_as):
    """A county-wide dispatcher holding every net."""
    return client_as("dispatcher")


@pytest.fixture
def anonymous(app):
    return app.test_client()


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session whose changes are rolled back after the test, commits included."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
            connection.close()
            forget_all()  # callers kept from rows the rollback removed


#: True while a test inside ``rolled_back`` does work that must outlive it (see ``outside_the_test_transaction``).
_outside = ContextVar("outside_the_test_transaction", default=False)


@contextmanager
def outside_the_test_transaction() -> Iterator[None]:
    """Let the app's sessions use the engine again for a moment, committing for good (e.g. a cached sign-in)."""
    token = _outside.set(True)
    try:
        yield
    finally:
        _outside.reset(token)


@pytest.fixture
def rolled_back(app, monkeypatch) -> Iterator[None]:
    """Run the test in one transaction, rolled back at its end, whatever the app committed meanwhile.

    Every Flask-SQLAlchemy session (each request's, each ``app.app_context()``'s, the CLI's) is bound to
    one connection whose outer transaction never commits; ``join_transaction_mode="create_savepoint"``
    gives each session a SAVEPOINT of its own, so the views' commits and rollbacks behave as in
    production. Flask-SQLAlchemy's ``get_bind`` always answers the app's engine, so it is what the
    test replaces. Work on other connections (``Session(db.engine)``, threads, other processes)
    does not see the test's rows: such tests are marked ``outside_transaction``.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    engine_bind = FlaskSession.get_bind

    def bind(session: FlaskSession, *args, **kwargs):
        return engine_bind(session, *args, **kwargs) if _outside.get() else connection

    monkeypatch.setattr(FlaskSession, "get_bind", bind)
    # The kept reading sessions have connections of their own, which cannot see the test's transaction.
    monkeypatch.delitem(app.extensions, KEPT_READING)
    monkeypatch.setitem(db.session.session_factory.kw, "join_transaction_mode", "create_savepoint")
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        outer.rollback()
        connection.close()
        forget_all()  # callers kept from rows the rollback removed


@pytest.fixture
def atlas_restored_afterwards(app):
    """Undo plan activations at the end: other tests count the demo atlas as loaded."""
    finished = tuple(s.value for s in FINISHED)
    with app.app_context():
        session = db.session
        marks = {
            table: session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
            for table in ("generation", "grid", "grid_worker", "party_branch", "incident_event", "plan")
        }
        incidents = session.execute(
            text("SELECT id, group_code, group_id, assignee_id, generation FROM incident WHERE status <> ALL(:done)"),
            {"done": list(finished)},
        ).all()
        names = session.execute(text("SELECT id, name_zh, name_en FROM grid")).all()
        session.remove()
    yield
    with app.app_context():
        session = db.session
        g = marks["generation"]
        for statement in (
            "DELETE FROM grid_lookup_part WHERE generation_low > :g",
            "UPDATE grid_lookup_part SET generation_high = NULL WHERE generation_high >= :g",
            "DELETE FROM grid_boundary WHERE generation_low > :g",
            "UPDATE grid_boundary SET generation_high = NULL WHERE generation_high >= :g",
        ):
            session.execute(text(statement), {"g": g})
        for row in incidents:
            session.execute(
                text(
                    "UPDATE incident SET group_code = :group_code, group_id = :group_id, "
                    "assignee_id = :assignee_id, generation = :generation WHERE id = :id"
                ),
                row._asdict(),
            )
        session.execute(
            text("UPDATE grid SET name_zh = :name_zh, name_en = :name_en WHERE id = :id"),
            [row._asdict() for row in names],
        )
        session.execute(text("DELETE FROM incident_event WHERE id > :m"), {"m": marks["incident_event"]})
        session.execute(text("DELETE FROM plan WHERE id > :m"), {"m": marks["plan"]})
        session.execute(text("DELETE FROM generation WHERE id > :m"), {"m": g})
        session.execute(text("DELETE FROM party_branch WHERE id > :m"), {"m": marks["party_branch"]})
        session.execute(text("DELETE FROM grid_worker WHERE id > :m"), {"m": marks["grid_worker"]})
        session.execute(text("DELETE FROM grid WHERE id > :m"), {"m": marks["grid"]})
        session.commit()
        session.remove()


#: What the pages' users add (children before parents): reports with their events and photos, patrols.
PAGE_WRITTEN_TABLES = (
    "party_activity_photo",
    "party_activity",
    "party_linked_household",
    "party_member",
    "party_project",
    "patrol_checkin",
    "patrol_task",
    "public_report",
    "incident_attachment",
    "incident_event",
    "incident",
)


@pytest.fixture
def page_rows_deleted_afterwards(app) -> Iterator[None]:
    """Delete the rows a browser test added: the live server commits on its own threads, beyond any rollback."""
    with app.app_context():
        marks = {
            table: db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) for table in PAGE_WRITTEN_TABLES
        }
        db.session.remove()
    yield
    with app.app_context():
        for table, mark in marks.items():
            db.session.execute(text(f"DELETE FROM {table} WHERE id > :mark"), {"mark": mark})
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served over HTTP on a free loopback port, for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


#: A village whose children only the page tests plan (a draft they remove again).
PAGES_PLAN_VILLAGE = "533422203203"


@pytest.fixture
def every_page(app, client_as) -> Iterator[list[tuple[str | None, str]]]:
    """Every HTML page with a demo user who may open it (None: signed out), with a draft plan to edit."""
    planner = client_as("planner")
    created = planner.post(
        "/api/plans",
        json={"parent_code": PAGES_PLAN_VILLAGE, "title": "页面测试", "reason": "测试"},
        headers={"X-CSRFToken": csrf_token_of(planner, "/")},
    )
    assert created.status_code == 201, created.get_json()
    plan_id = created.get_json()["plan"]["id"]
    zone_id = client_as("patrol").get("/api/patrol/zones?on=2026-06-15").get_json()["features"][0]["id"]
    yield [
        (None, "/login"),
        ("dispatcher", "/"),
        ("dispatcher", "/dispatch"),
        ("worker", "/my"),
        ("planner", "/plan"),
        ("planner", f"/plan/{plan_id}"),
        ("patrol", "/patrol"),
        ("patrol", "/patrol/my"),
        ("patrol", f"/patrol/briefing?zone={zone_id}"),
        ("admin", "/admin/audit"),
        ("admin", "/admin/users"),
        ("viewer", "/party"),
        ("viewer", "/party/branches/1"),
        ("admin", "/party/record"),
    ]
    with app.app_context():
        db.session.execute(delete(Plan).where(Plan.id == plan_id))
        db.session.commit()
        db.session.remove()
