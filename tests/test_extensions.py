"""How a request's database transaction ends (``extensions.end_read_only_transactions``), or is never begun."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, event, exc, func, literal, select, text

from app import create_app
from extensions import KEPT_READING, WriteOutsideTransaction, db, db_session, reads_outside_transaction
from geo.accounts.models import ApiToken
from geo.accounts.sessions import create_token
from geo.atlas import lookup
from geo.core.sql import CompiledQuery
from tests.conftest import _test_database_url


@pytest.fixture
def one_connection_app(app):
    """The app on a pool of exactly one connection, so every request shares its server session."""
    single = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _test_database_url(),
            # A short wait for it: a request that cannot have it fails at once, not after 30 s.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 2},
        }
    )
    yield single
    with single.app_context():
        db.engine.dispose()


def test_prepared_statements_survive_read_only_requests(one_connection_app):
    with one_connection_app.app_context():
        token = create_token(db_session(), "dispatcher", "prepared statements test", actor="test")
        db.session.commit()
    client = one_connection_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(8):  # psycopg prepares a statement on its sixth run
        assert client.get("/api/lookup?lon=98.92&lat=28.47", headers=headers).status_code == 200
    sessions = one_connection_app.extensions[KEPT_READING]
    kept = sessions.take()  # where the lookups ran
    prepared = kept[0].scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    sessions.give_back(kept, failed=False)
    assert any("grid_lookup_part" in statement for statement in prepared)
    with one_connection_app.app_context():
        db.session.execute(delete(ApiToken).where(ApiToken.name == "prepared statements test"))
        db.session.commit()


def test_a_transaction_that_wrote_is_not_committed_by_the_request_end(one_connection_app):
    with one_connection_app.test_request_context():
        db.session.execute(text("CREATE TEMP TABLE written_but_not_committed (x int)"))
        one_connection_app.do_teardown_request(None)
        assert db.session().in_transaction()  # left for the session's rollback
        db.session.remove()
    with one_connection_app.app_context():
        assert db.session.scalar(text("SELECT to_regclass('pg_temp.written_but_not_committed')")) is None


def test_a_read_only_transaction_ends_with_commit(one_connection_app):
    with one_connection_app.test_request_context():
        db.session.execute(text("SELECT 1"))
        one_connection_app.do_teardown_request(None)
        assert not db.session().in_transaction()


def test_the_typed_session_is_the_one_the_scoped_proxy_commits(app):
    # Views pass db_session() to the domain and commit through db.session: both must be one Session.
    with app.app_context():
        session = db_session()
        assert session is db_session() and db.session.registry() is session
    with app.app_context():
        assert db_session() is not session  # each app context (each request) has its own


def test_a_write_is_told_by_its_command_tag_even_when_it_changed_no_row(one_connection_app):
    # No transaction id is assigned by an UPDATE of no rows, but it is a write: never commit it blindly.
    with one_connection_app.test_request_context():
        db.session.execute(text("UPDATE app_user SET display_name = display_name WHERE false"))
        one_connection_app.do_teardown_request(None)
        assert db.session().in_transaction()  # left for the session's rollback
        db.session.remove()


def test_reads_after_a_commit_end_with_commit_again(one_connection_app):
    with one_connection_app.test_request_context():
        db.session.execute(text("CREATE TEMP TABLE committed_then_read (x int)"))
        db.session.commit()
        db.session.execute(text("SELECT count(*) FROM committed_then_read"))  # a new transaction, read-only
        one_connection_app.do_teardown_request(None)
        assert not db.session().in_transaction()
        db.session.remove()


def _autocommit_of_each_statement(application) -> list[tuple[str, bool]]:
    """Record, for each statement the app's engines run from now on (its kept reading sessions' too), whether its
    connection was in autocommit."""
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, cursor.connection.autocommit))

    with application.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    event.listen(application.extensions[KEPT_READING].engine, "before_cursor_execute", record)
    return seen


def test_a_lookup_runs_outside_any_transaction_and_the_connection_returns_to_transactions(
    one_connection_app, monkeypatch
):
    chain_at_point = lookup._CHAIN_AT_POINT
    autocommit: list[bool] = []

    def rows(connection, **values):
        autocommit.append(connection.connection.driver_connection.autocommit)
        return CompiledQuery.rows(chain_at_point, connection, **values)

    monkeypatch.setattr(chain_at_point, "rows", rows)
    with one_connection_app.app_context():
        token = create_token(db_session(), "dispatcher", "autocommit lookup test", actor="test")
        db.session.commit()
    client = one_connection_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/lookup?lon=98.92&lat=28.47", headers=headers).status_code == 200  # caller remembered
    seen = _autocommit_of_each_statement(one_connection_app)
    answer = client.get("/api/lookup?lon=98.92&lat=28.47", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["inside_county"] is True
    assert autocommit == [False, True]  # the first request looked its caller up, in a transaction; not the second
    assert seen == []  # nothing else ran (the lookup's statement goes through the driver, which no hook sees)
    with one_connection_app.app_context():
        driver = db.session.connection().connection.driver_connection
        assert driver is not None and driver.autocommit is False  # the pooled connection, reset
        db.session.execute(delete(ApiToken).where(ApiToken.name == "autocommit lookup test"))
        db.session.commit()


def test_a_view_that_reads_outside_a_transaction_cannot_write(one_connection_app):
    @reads_outside_transaction
    def writes():
        db.session.execute(text("CREATE TABLE written_outside_a_transaction (x int)"))

    seen = _autocommit_of_each_statement(one_connection_app)
    with one_connection_app.test_request_context(), pytest.raises(WriteOutsideTransaction):
        writes()
    writes_in_a_cte = reads_outside_transaction(
        lambda: db.session.execute(text("WITH gone AS (DELETE FROM api_token WHERE false RETURNING id) SELECT 1"))
    )
    with one_connection_app.test_request_context(), pytest.raises(WriteOutsideTransaction):
        writes_in_a_cte()
    assert seen == []  # refused before it reached the server
    with one_connection_app.app_context():
        assert db.session.scalar(text("SELECT to_regclass('written_outside_a_transaction')")) is None

    @reads_outside_transaction
    def reads():
        return db.session.scalar(text("SELECT 41 + 1"))

    with one_connection_app.test_request_context():
        assert reads() == 42
    assert seen[-1] == ("SELECT 41 + 1", True)


def test_rows_from_the_driver_raise_as_sqlalchemy_and_only_for_selects(one_connection_app):
    with one_connection_app.app_context():
        connection = db.session.connection()
        assert CompiledQuery(lambda: select(literal(7).label("seven"))).rows(connection)[0].seven == 7
        with pytest.raises(exc.DataError):  # the 400/503 handlers know SQLAlchemy's errors, not psycopg's
            CompiledQuery(lambda: select(func.sqrt(-1))).rows(connection)
        db.session.rollback()
        with pytest.raises(TypeError):
            CompiledQuery(lambda: delete(ApiToken).where(ApiToken.id == -1)).rows(connection)


def _kept_backend(application) -> int:
    sessions = application.extensions[KEPT_READING]
    kept = sessions.take()
    backend = kept[0].scalar(text("SELECT pg_backend_pid()"))
    sessions.give_back(kept, failed=False)
    return backend


@pytest.fixture
def lookups(one_connection_app):
    """Send lookups as a program with a token, on the app whose pool holds one connection."""
    with one_connection_app.app_context():
        token = create_token(db_session(), "dispatcher", "kept sessions test", actor="test")
        db.session.commit()
    client = one_connection_app.test_client()

    def send(count: int = 1) -> None:
        for _ in range(count):
            answer = client.get("/api/lookup?lon=98.92&lat=28.47", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and answer.get_json()["inside_county"] is True

    yield send
    with one_connection_app.app_context():
        db.session.execute(delete(ApiToken).where(ApiToken.name == "kept sessions test"))
        db.session.commit()


def test_lookups_share_one_kept_session_whose_connection_is_not_the_pools(one_connection_app, lookups):
    lookups(3)
    backend = _kept_backend(one_connection_app)
    lookups(3)
    assert _kept_backend(one_connection_app) == backend
    with one_connection_app.app_context():  # the pool's one connection is free (it would wait 2 s and fail)
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != backend


def test_a_kept_connection_the_server_closed_is_replaced_before_a_lookup_uses_it(one_connection_app, lookups):
    lookups()
    backend = _kept_backend(one_connection_app)
    with one_connection_app.app_context():
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        db.session.commit()
    time.sleep(0.2)  # the server's FATAL message reaches the socket
    lookups()  # answered, not 503
    assert _kept_backend(one_connection_app) != backend


def test_a_session_whose_view_raised_is_not_kept(one_connection_app, lookups):
    lookups()
    backend = _kept_backend(one_connection_app)

    @reads_outside_transaction
    def fails():
        db.session.execute(text("SELECT 1"))
        raise RuntimeError("a bug")

    with one_connection_app.test_request_context(), pytest.raises(RuntimeError):
        fails()
    lookups()
    assert _kept_backend(one_connection_app) != backend
