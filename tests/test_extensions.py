"""How a request's database transaction ends (``extensions.end_read_only_transactions``)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text

from app import create_app
from extensions import db, db_session
from geo.accounts.models import ApiToken
from geo.accounts.sessions import create_token
from tests.conftest import _test_database_url


@pytest.fixture
def one_connection_app(app):
    """The app on a pool of exactly one connection, so every request shares its server session."""
    single = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _test_database_url(),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
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
    with one_connection_app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
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
