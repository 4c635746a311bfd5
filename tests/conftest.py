"""Shared fixtures: one real PostGIS test database, migrated and loaded once per run."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

import localdb
from app import create_app
from extensions import db
from geo.demo import clear_atlas, load_demo

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return localdb.url("gridmap_test")


@pytest.fixture(scope="session")
def app():
    """The app bound to the test database, with the schema migrated and the demo atlas loaded."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _test_database_url()})
    with app.app_context():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        db.session.commit()
        flask_migrate.upgrade(directory=str(Path(app.root_path) / "migrations"))
        clear_atlas(db.session)
        load_demo(db.session)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        # Close pooled connections before exit; psycopg warns about any left open.
        db.engine.dispose()


@pytest.fixture
def client(app):
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
