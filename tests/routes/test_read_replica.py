"""Reads from a hot standby (web/replica.py), on a real primary and a standby streaming from it.

The pair is this module's own: a small cluster in a scratch directory, migrated and loaded with the
demo data, and a standby made from it by ``pg_basebackup -R`` (localdb.py), so neither the test
database nor the development cluster is copied or reconfigured. Each request shows where it read
through a probe view added to the app, which goes through every request hook as any view does.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from flask import jsonify
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

import localdb
from app import create_app
from extensions import db, db_session
from geo.demo.load import clear_atlas, load_demo
from tests.conftest import csrf_token_of, sign_in
from web import replica as replica_module
from web.replica import COOKIE, _signer, replica_of

# Not rolled back: the app runs on a pair of clusters of its own, deleted at the end.
pytestmark = [
    pytest.mark.outside_transaction,
    pytest.mark.skipif(
        not localdb.has_basebackup(),
        reason="pg_basebackup is missing: install Debian's postgresql package (./dev setup does)",
    ),
]

PRIMARY_PORT = 54341
STANDBY_PORT = 54342
INCIDENT = {
    "net": "social",
    "category": "dispute",
    "title": "副本测试：草场边界纠纷",
    "lon": 99.2991,
    "lat": 28.2446,
    "channel": "phone",
    "priority": "high",
}


@dataclass
class Pair:
    primary: Path
    standby: Path
    primary_url: str
    standby_url: str
    primary_engine: Engine
    standby_engine: Engine

    def standby_caught_up(self, timeout_s: float = 30) -> None:
        with self.primary_engine.connect() as connection:
            target = connection.scalar(text("SELECT pg_current_wal_lsn()"))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.standby_engine.connect() as connection:
                if connection.scalar(text("SELECT pg_last_wal_replay_lsn() >= :t"), {"t": target}):
                    return
            time.sleep(0.05)
        raise AssertionError("the standby did not replay the primary's WAL in time")

    def pause_replay(self, paused: bool) -> None:
        with self.standby_engine.connect() as connection:
            connection.execute(text(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()"))


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    base = localdb.scratch_dir("replica-test-")
    primary, standby = base / "primary", base / "standby"
    engines: list[Engine] = []
    try:
        localdb.make_primary(primary, PRIMARY_PORT, ("gridmap",))
        primary_url = localdb.url("gridmap", primary, PRIMARY_PORT)
        loader = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": primary_url})
        with loader.app_context():
            flask_migrate.upgrade(directory=str(Path(loader.root_path) / "migrations"))
            clear_atlas(db_session())
            load_demo(db_session())
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        localdb.make_standby(primary, PRIMARY_PORT, standby, STANDBY_PORT)
        standby_url = localdb.url("gridmap", standby, STANDBY_PORT)
        # No pool: the standby is stopped and started under them.
        engines = [create_engine(primary_url, poolclass=NullPool), create_engine(standby_url, poolclass=NullPool)]
        found = Pair(primary, standby, primary_url, standby_url, *engines)
        found.standby_caught_up()
        yield found
    finally:
        for engine in engines:
            engine.dispose()
        localdb.remove_cluster(standby)
        localdb.remove_cluster(primary)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def app(pair: Pair, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(replica_module, "RETRY_AFTER_S", 0.0)  # a standby back up is used at the next check
    made = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": pair.primary_url,
            "READ_REPLICA_URL": pair.standby_url,
            "READ_REPLICA_STICKY_S": 2.0,
            # The lag rule has a test of its own; here replay is paused while the last replayed commit ages.
            "READ_REPLICA_MAX_LAG_S": 3600.0,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        }
    )

    def database():
        in_recovery, name = (
            db_session().execute(text("SELECT pg_is_in_recovery(), current_setting('application_name')")).one()
        )
        return jsonify({"standby": in_recovery, "application_name": name})

    made.add_url_rule("/test/database", "test_database", database)
    replica = replica_of(made)
    assert replica is not None
    replica.check_every_s = 0.0  # ask the standby on every request: the tests change it between requests
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()
    replica.engine.dispose()


def signed_in(app, username: str):
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    # Signing in is a write: it sends this browser to the primary for a moment. Start from a plain reader.
    client.delete_cookie(COOKIE)
    return client


def reads_from(client) -> dict:
    response = client.get("/test/database")
    assert response.status_code == 200
    return response.get_json()


def test_reads_go_to_the_standby_and_health_reports_it(app):
    viewer = signed_in(app, "dispatcher")
    assert reads_from(viewer) == {"standby": True, "application_name": "gridmap-reads"}
    listed = viewer.get("/api/incidents?status=reported&page=1")
    assert listed.status_code == 200 and listed.get_json()["items"]
    health = app.test_client().get("/api/health").get_json()
    assert health["status"] == "ok" and health["database"] == "ok"
    replica = health["replica"]
    assert replica["reachable"] and replica["in_recovery"] and replica["streaming"]
    assert replica["reads"] == "replica" and replica["problem"] is None
    assert 0 <= replica["lag_s"] < 5


def test_a_writer_reads_their_change_at_once_and_others_read_the_standby(app, pair: Pair):
    writer, other = signed_in(app, "dispatcher"), signed_in(app, "benzilan")
    pair.pause_replay(True)  # the standby stays behind for as long as this test needs
    try:
        created = writer.post("/api/incidents", json=INCIDENT, headers={"X-CSRFToken": csrf_token_of(writer, "/")})
        assert created.status_code == 201, created.get_json()  # a write reached the primary
        ticket = created.get_json()["ticket"]
        # The writer, at once: the case is there, read from the primary.
        assert writer.get(f"/api/incidents/{ticket}").status_code == 200
        assert reads_from(writer)["standby"] is False
        # Anyone else reads the standby, which has not replayed the case yet.
        assert reads_from(other)["standby"] is True
        assert other.get(f"/api/incidents/{ticket}").status_code == 404
        # After the window the writer reads the standby again too.
        time.sleep(app.config["READ_REPLICA_STICKY_S"] + 0.2)
        assert reads_from(writer)["standby"] is True
    finally:
        pair.pause_replay(False)
    pair.standby_caught_up()
    assert other.get(f"/api/incidents/{ticket}").status_code == 200


@pytest.mark.parametrize("written_at", ["forged", "stale", "mangled"])
def test_a_forged_or_stale_cookie_does_not_pin_reads_to_the_primary(app, written_at):
    reader = signed_in(app, "dispatcher")
    with app.test_request_context():
        stale = _signer().sign(f"{time.time() - 60:.3f}").decode()
        mangled = _signer().sign("not a time").decode()
    cookie = {"forged": f"{time.time():.3f}.bm90IHNpZ25lZA", "stale": stale, "mangled": mangled}[written_at]
    reader.set_cookie(COOKIE, cookie)
    assert reads_from(reader)["standby"] is True


def test_reads_fall_back_to_the_primary_while_the_standby_is_down(app, pair: Pair, caplog):
    reader = signed_in(app, "dispatcher")
    assert reads_from(reader)["standby"] is True  # its pool now holds a standby connection
    localdb.stop_cluster(pair.standby)
    try:
        with caplog.at_level(logging.WARNING, logger="gridmap.replica"):
            assert reads_from(reader) == {"standby": False, "application_name": ""}
            assert reader.get("/api/incidents?status=reported&page=1").status_code == 200
            health = app.test_client().get("/api/health")
        assert health.status_code == 200
        replica = health.get_json()["replica"]
        assert replica["reachable"] is False and replica["reads"] == "primary" and replica["problem"]
        assert any("reads go to the primary" in record.getMessage() for record in caplog.records)
    finally:
        localdb.start_cluster(pair.standby, STANDBY_PORT)
    pair.standby_caught_up()
    deadline = time.monotonic() + 30
    while not reads_from(reader)["standby"]:  # streaming resumes a moment after the standby starts
        assert time.monotonic() < deadline, "reads did not return to the standby"
        time.sleep(0.2)


def test_a_standby_lagging_beyond_the_limit_is_left_out(app, pair: Pair):
    reader = signed_in(app, "dispatcher")
    replica = replica_of(app)
    assert replica is not None
    replica.max_lag_s = 0.5
    pair.pause_replay(True)
    try:
        time.sleep(0.6)  # the last commit the standby replayed is older than the limit now
        with pair.primary_engine.begin() as connection:  # and the primary has written since
            connection.execute(text("CREATE TABLE written_while_paused (x int)"))
        deadline = time.monotonic() + 10
        while reads_from(reader)["standby"]:  # until the standby has received that WAL
            assert time.monotonic() < deadline, "the standby's lag was not seen"
            time.sleep(0.05)
        assert "replay lag" in app.test_client().get("/api/health").get_json()["replica"]["problem"]
    finally:
        pair.pause_replay(False)
        with pair.primary_engine.begin() as connection:
            connection.execute(text("DROP TABLE written_while_paused"))
    pair.standby_caught_up()
    assert reads_from(reader)["standby"] is True
