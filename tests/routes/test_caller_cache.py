"""A request's caller is remembered briefly (geo/accounts/callers.py) and forgotten as soon as it changes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import delete, event

from extensions import db, db_session
from geo.accounts.models import ApiToken
from geo.accounts.sessions import create_token
from tests.conftest import _test_database_url
from tests.routes.test_access import cli, create_account

NAME = "caller cache test"
#: Other connections must see the test's token and account, so they are committed and removed here.
pytestmark = pytest.mark.outside_transaction


@pytest.fixture
def token(app):
    with app.app_context():
        made = create_token(db_session(), "viewer", NAME, actor="test")
        db.session.commit()
    yield made
    with app.app_context():
        db.session.execute(delete(ApiToken).where(ApiToken.name == NAME))
        db.session.commit()


@pytest.fixture
def token_lookups(app):
    """How many statements read api_token, from now on."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "api_token" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_a_token_is_looked_up_once_while_nothing_changes(anonymous, token, token_lookups):
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert anonymous.get("/api/summary", headers=headers).status_code == 200
    assert len(token_lookups) == 1


def test_an_unknown_token_is_asked_every_time(anonymous, token_lookups):
    headers = {"Authorization": "Bearer gm_not-a-token-anyone-has"}
    for _ in range(2):
        assert anonymous.get("/api/summary", headers=headers).status_code == 401
    assert len(token_lookups) == 2


def _elsewhere(statement: str) -> None:
    """Run ``statement`` as another worker (or psql) would: its own connection, committed, no ORM."""
    url = _test_database_url().replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def _status_once_the_notice_is_in(client, path: str, headers, changed_status: int) -> int:
    # The notice travels from the committing backend to this process's listener: allow it a moment.
    for _ in range(100):
        status = client.get(path, headers=headers).status_code
        if status == changed_status:
            break
        time.sleep(0.02)
    return status


def test_a_token_revoked_by_another_process_stops_working(anonymous, token):
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/summary", headers=headers).status_code == 200  # now remembered
    _elsewhere(f"UPDATE api_token SET revoked_at = now() WHERE name = '{NAME}'")
    assert _status_once_the_notice_is_in(anonymous, "/api/summary", headers, 401) == 401


@pytest.fixture
def dispatcher_token(app) -> Iterator[str]:
    """An API token of a new county dispatcher, who is removed afterwards."""
    create_account(app, "tmp.cache-role", "533422", "social", "long-enough-pw")
    cli(app, "users", "set", "tmp.cache-role", "--role", "dispatcher")
    yield cli(app, "users", "token", "tmp.cache-role", "--name", NAME).strip()
    _elsewhere("DELETE FROM app_user WHERE username = 'tmp.cache-role'")


def test_a_role_changed_by_another_process_takes_effect(anonymous, dispatcher_token):
    headers = {"Authorization": f"Bearer {dispatcher_token}"}
    schemes = "/api/evaluation/schemes"  # the dashboard's: dispatchers may read it, planners may not
    assert anonymous.get(schemes, headers=headers).status_code == 200  # now remembered
    _elsewhere("UPDATE app_user SET role = 'planner' WHERE username = 'tmp.cache-role'")
    assert _status_once_the_notice_is_in(anonymous, schemes, headers, 403) == 403
