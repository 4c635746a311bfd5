"""Sessions end when they should, tokens are revoked when access changes, CSRF and login throttling hold."""

import pytest
from sqlalchemy import select

from extensions import db
from geo.core.models import AuditEvent
from tests.conftest import csrf_token_of, sign_in
from tests.routes.test_access import cli, create_account

PASSWORD = "long-enough-pw"


def signed_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    assert sign_in(client, username, password).status_code == 302
    return client


def token_for(app, username: str) -> dict[str, str]:
    token = cli(app, "users", "token", username, "--name", "test script").strip()
    return {"Authorization": f"Bearer {token}"}


def log_out(client) -> None:
    assert client.post("/logout", headers={"X-CSRFToken": csrf_token_of(client, "/")}).status_code == 302


def last_event(app, action: str, actor: str | None = None) -> AuditEvent | None:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    if actor:
        query = query.where(AuditEvent.actor == actor)
    with app.app_context():
        return db.session.scalars(query).first()


def test_a_session_cookie_replayed_after_logout_is_refused(app):
    create_account(app, "tmp.logout", "533422", "social", PASSWORD)
    laptop, phone = signed_in(app, "tmp.logout"), signed_in(app, "tmp.logout")
    copied = laptop.get_cookie("session").value
    log_out(laptop)
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/api/summary").status_code == 401
    page = replay.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert phone.get("/api/summary").status_code == 200  # signing out ends this browser's session only
    assert last_event(app, "logout", "tmp.logout") is not None


@pytest.mark.parametrize(
    ("username", "change"),
    [
        ("tmp.tok-reset", ("reset-password", "tmp.tok-reset", "--password-stdin")),
        ("tmp.tok-disable", ("disable", "tmp.tok-disable")),
        ("tmp.tok-role", ("set", "tmp.tok-role", "--role", "dispatcher")),
        ("tmp.tok-scope", ("set", "tmp.tok-scope", "--jurisdiction", "533422102")),
        ("tmp.tok-nets", ("set", "tmp.tok-nets", "--nets", "social,rural")),
    ],
)
def test_access_changes_revoke_tokens_for_good(app, anonymous, username, change):
    create_account(app, username, "533422", "social", PASSWORD)
    headers = token_for(app, username)
    browser = signed_in(app, username)
    assert anonymous.get("/api/summary", headers=headers).status_code == 200
    cli(app, "users", *change, input="another-password\n")
    assert anonymous.get("/api/summary", headers=headers).status_code == 401
    assert browser.get("/api/summary").status_code == 401
    event = last_event(app, "token.revoke")
    assert event is not None
    assert event.after == {"revoked": 1} and event.actor.startswith("cli:")
    if change[0] == "disable":
        cli(app, "users", "enable", username)
    assert anonymous.get("/api/summary", headers=headers).status_code == 401


def test_revoke_tokens_command(app, anonymous):
    create_account(app, "tmp.revoke", "533422", "social", PASSWORD)
    phone, script = token_for(app, "tmp.revoke"), token_for(app, "tmp.revoke")
    browser = signed_in(app, "tmp.revoke")
    result = app.test_cli_runner().invoke(args=["users", "revoke-tokens", "tmp.revoke"])
    assert result.exit_code == 0 and "revoked 2 token(s) of tmp.revoke" in result.output
    assert anonymous.get("/api/summary", headers=phone).status_code == 401
    assert anonymous.get("/api/summary", headers=script).status_code == 401
    assert browser.get("/api/summary").status_code == 200
    event = last_event(app, "token.revoke")
    assert event is not None
    assert event.after == {"revoked": 2} and event.actor.startswith("cli:")
    unknown = app.test_cli_runner().invoke(args=["users", "revoke-tokens", "nobody-here"])
    assert unknown.exit_code != 0 and "no user 'nobody-here'" in unknown.output


def test_a_bad_bearer_token_beside_a_session_cookie_does_not_skip_csrf(app, anonymous):
    browser = signed_in(app, "viewer", "viewer-demo-2026")
    junk = {"Authorization": "Bearer junk"}
    refused = browser.post("/api/incidents", json={}, headers=junk)
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    assert browser.post("/logout", headers=junk).status_code == 400
    assert browser.get("/api/summary").status_code == 200  # still signed in
    assert anonymous.post("/api/incidents", json={}, headers=junk).status_code == 401
    assert anonymous.post("/logout", headers=junk).status_code == 302  # to the login page, as without any token


def post_login(client, username: str, password: str, address: str):
    token = csrf_token_of(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_failed_logins_are_limited_per_account_across_addresses(app):
    create_account(app, "tmp.guessed", "533422", "social", PASSWORD)
    create_account(app, "tmp.neighbour", "533422", "social", PASSWORD)
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per 15 minutes"
    try:
        client = app.test_client()
        guesses = [post_login(client, "tmp.guessed", f"guess-{n}-password", f"198.51.100.{n}") for n in range(3)]
        assert [response.status_code for response in guesses] == [401, 401, 401]
        assert post_login(client, "tmp.guessed", PASSWORD, "198.51.100.99").status_code == 429
        # Another account from the same addresses is not held back, and success does not count.
        for n in range(4):
            assert post_login(app.test_client(), "tmp.neighbour", PASSWORD, f"198.51.100.{n}").status_code == 302
    finally:
        app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "1000 per minute"
