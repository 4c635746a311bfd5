"""The database stopped or restarted: 503 with Retry-After while it is down, no error once it is back."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import make_url
from sqlalchemy.pool import QueuePool

from app import create_app
from extensions import db

# Not rolled back: it ends the server sessions of other connections, or has no database at all.
pytestmark = pytest.mark.outside_transaction

# A socket directory that does not exist: connecting fails at once, as with a stopped server.
DOWN_URL = "postgresql+psycopg://gridmap@/gridmap?host=/nonexistent/gridmap-socket&port=1"
UNAVAILABLE = {
    "zh": "数据库暂时无法连接，请 30 秒后重试",
    "en": "the database is not answering; please try again in 30 seconds",
}


@pytest.fixture
def down_app(app):
    """An app like the test one (same secret key, so its session cookies hold) whose database is down."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": DOWN_URL, "SECRET_KEY": app.config["SECRET_KEY"]})


@pytest.fixture
def signed_in_down(down_app, client_as):
    """A dispatcher's session, sent to the app whose database is down (loading the user fails)."""
    client = down_app.test_client()
    client.set_cookie("session", client_as("dispatcher").get_cookie("session").value)
    return client


@pytest.mark.parametrize(("lang", "message"), UNAVAILABLE.items())
def test_health_answers_503_unavailable(down_app, lang, message):
    response = down_app.test_client().get(f"/api/health?lang={lang}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json() == {"status": "unavailable", "error": message}


@pytest.mark.parametrize(("lang", "message"), UNAVAILABLE.items())
def test_api_call_answers_503_json(signed_in_down, lang, message):
    response = signed_in_down.get(f"/api/grids?level=township&lang={lang}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json() == {"error": message}


@pytest.mark.parametrize(("lang", "html_lang"), [("zh", "zh-CN"), ("en", "en")])
def test_page_answers_503_in_the_base_layout(signed_in_down, lang, html_lang):
    message = UNAVAILABLE[lang]
    response = signed_in_down.get(f"/dispatch?lang={lang}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert f'<html lang="{html_lang}">' in html
    assert 'class="topbar"' in html  # the base layout, rendered without the database
    assert message in html
    assert "Traceback" not in html and "psycopg" not in html


def test_json_client_of_a_page_gets_json(signed_in_down):
    response = signed_in_down.get("/dispatch", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert set(response.get_json()) == {"error"}


def _terminate_other_connections(url: str) -> int:
    """End every other session on ``url``'s database from a second connection; return how many."""
    parts = make_url(url)
    query = {key: value for key, value in parts.query.items() if isinstance(value, str)}
    with psycopg.connect(
        host=query.get("host") or parts.host, port=query.get("port") or parts.port,
        user=parts.username, dbname=parts.database, autocommit=True,
    ) as admin:  # fmt: skip
        # The 5 s timeout waits until each backend has gone, so its socket already says so.
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        )


def test_request_after_the_connections_were_killed_succeeds(app, client):
    assert client.get("/api/grids?level=township").status_code == 200
    with app.app_context():
        pool = db.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() >= 1  # the connection the request used waits in the pool
    assert _terminate_other_connections(app.config["SQLALCHEMY_DATABASE_URI"]) >= 1

    response = client.get("/api/grids?level=township")
    assert response.status_code == 200
    assert len(response.get_json()["features"]) == 8
    assert client.get("/api/health").status_code == 200
