"""The shared access rules: sign-in, roles, jurisdiction, nets, CSRF, tokens, throttling, audit."""

import re
import time

import itsdangerous.timed
import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from extensions import db
from geo.accounts.sessions import create_token
from geo.core.calendar import COUNTY_TZ
from geo.core.models import AuditEvent
from geo.grid.models import Grid, GridWorker
from tests.conftest import csrf_token_of, sign_in
from web.access import PUBLIC_ENDPOINTS

#: The residents' pages and Open311 (issue #17) are public too.
RESIDENTS = {
    "public.report_form",
    "public.report_places",
    "public.report_outlines",
    "public.submit",
    "public.track",
    "public.grid_lookup",
    "public.grid_board",
    "public.rate",
    "open311.discovery",
    "open311.services",
    "open311.service_definition",
    "open311.list_requests",
    "open311.one_request",
    "open311.token",
    "open311.post_request",
    "open311.unknown",
}
PUBLIC = {
    "static",
    "auth.login",
    "dispatch.my_service_worker",
    "api.health",
    "api-docs.openapi_json",
    "ogcapi.landing",
    "ogcapi.conformance",
    *RESIDENTS,
}
#: Public endpoints that answer an anonymous caller with the sample arguments by refusing: no such code, no key.
PUBLIC_REFUSALS = {
    "public.track": 404,
    "public.rate": 404,
    "public.grid_board": 404,
    "open311.one_request": 404,
    "open311.service_definition": 404,
    "open311.token": 404,
    "open311.unknown": 404,
    "open311.post_request": 403,
}
SAMPLE_ARGS = {
    "code": "533422",
    "filename": "css/gridmap.css",
    "ticket": "DQ-2026-000001",
    "action": "register",
    "attachment_id": 1,
    "plan_id": 1,
    "generation_id": 1,
    "zone_id": 1,
    "task_id": 1,
    "group": "533422102201999",
    "fmt": "xml",
    "token": "no-such-token",
    "anything": "nothing",
    "collection_id": "groups",
    "feature_id": "533422102001001",
    "layer": "groups",
    "pack": "imagery",
    "z": 1,
    "x": 0,
    "y": 0,
    "assessment_id": 1,
    "branch_id": 1,
    "member_id": 1,
    "activity_id": 1,
    "photo_id": 1,
    "project_id": 1,
    "training_id": 1,
    "category": "dispute",
    "member": "F00001",
}
YANGLA_GROUP = "533422206"  # prefix of every group in 羊拉乡
BENZILAN = "533422102"


def cli(app, *args: str, input: str | None = None) -> str:
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def create_account(app, username: str, jurisdiction: str, nets: str, password: str) -> None:
    cli(
        app,
        "users",
        "create",
        username,
        "--role",
        "viewer",
        "--jurisdiction",
        jurisdiction,
        "--nets",
        nets,
        "--password-stdin",
        input=password + "\n",
    )


def first_code(app, prefix: str, level: str = "group") -> str:
    with app.app_context():
        return db.session.scalars(
            select(Grid.code).where(Grid.level == level, Grid.code.startswith(prefix)).order_by(Grid.code).limit(1)
        ).one()


def count_codes(app, prefix: str, level: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(func.count()).select_from(Grid).where(Grid.level == level, Grid.code.startswith(prefix))
        ).one()


def test_every_route_refuses_anonymous_callers_except_the_public_ones(app, anonymous):
    seen_public = set()
    for rule in app.url_map.iter_rules():
        url = rule.build({arg: SAMPLE_ARGS[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = anonymous.open(url, method=method)
            response.close()
            if rule.endpoint in PUBLIC:
                seen_public.add(rule.endpoint)
                expected = (200, 400, PUBLIC_REFUSALS.get(rule.endpoint))
                assert response.status_code in expected, (method, url, response.status_code)
                continue
            if url.startswith("/api/"):
                assert response.status_code in (400, 401), (method, url, response.status_code)
            else:
                assert response.status_code in (302, 400, 401), (method, url, response.status_code)
                if response.status_code == 302:
                    assert response.headers["Location"].startswith("/login"), url
    assert seen_public == PUBLIC


def test_public_endpoints_are_exactly_the_expected_ones(app):
    public = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "is_public", False)}
    assert public | PUBLIC_ENDPOINTS == PUBLIC


@pytest.mark.parametrize(
    ("username", "townships", "groups_prefix"),
    [
        ("dispatcher", 8, "533422"),
        ("viewer", 8, "533422"),
        ("planner", 8, "533422"),
        ("benzilan", 1, BENZILAN),
        ("patrol", 1, YANGLA_GROUP),
        ("worker", 0, "533422102001001"),
    ],
)
def test_grid_layers_hold_only_the_jurisdiction(app, client_as, username, townships, groups_prefix):
    client = client_as(username)
    assert len(client.get("/api/grids?level=township").get_json(force=True)["features"]) == townships
    groups = client.get("/api/grids?level=group").get_json(force=True)["features"]
    assert len(groups) == count_codes(app, groups_prefix, "group")
    assert all(f["properties"]["code"].startswith(groups_prefix) for f in groups)


@pytest.mark.parametrize(
    ("username", "target", "visible"),
    [
        ("dispatcher", YANGLA_GROUP, True),
        ("patrol", YANGLA_GROUP, True),
        ("benzilan", YANGLA_GROUP, False),
        ("benzilan", BENZILAN, True),
        ("worker", BENZILAN + "201", False),
        ("worker", "533422102001001", True),
    ],
)
def test_grid_details_and_phones_only_inside_the_jurisdiction(app, client_as, username, target, visible):
    code = first_code(app, target) if len(target) < 15 else target
    response = client_as(username).get(f"/api/grids/{code}")
    if visible:
        assert response.status_code == 200
        workers = response.get_json()["workers"]
        assert all(re.fullmatch(r"1700\d{7}", w["phone"]) for w in workers)
    else:
        # Same answer as for a grid that does not exist: its existence is not revealed.
        assert response.status_code == 404
        assert response.get_json() == client_as(username).get("/api/grids/533422999999999").get_json() | {
            "error": response.get_json()["error"]
        }


def test_unknown_and_foreign_grids_answer_alike(client_as):
    client = client_as("benzilan")
    foreign = client.get("/api/grids/533422206").get_json()
    unknown = client.get("/api/grids/533422999").get_json()
    assert foreign["error"].replace("533422206", "X") == unknown["error"].replace("533422999", "X")


@pytest.mark.parametrize(("username", "allowed"), [("dispatcher", True), ("benzilan", False), ("planner", False)])
def test_religious_layer_needs_the_religious_net(client_as, username, allowed):
    client = client_as(username)
    response = client.get("/api/grids?level=group&net=religious")
    assert response.status_code == (200 if allowed else 403)
    page = client.get("/").get_data(as_text=True)
    assert ("net=religious" in page) is allowed
    summary = client.get("/api/summary").get_json()
    assert ("religious" in summary["workers_per_net"]) is allowed


def test_workers_of_nets_the_caller_lacks_are_hidden(app, client_as):
    with app.app_context():
        religious_only = db.session.scalar(select(GridWorker.code).where(GridWorker.nets == ["religious"]))
    everyone = {w["code"] for w in client_as("dispatcher").get("/api/grids/533422").get_json()["workers"]}
    without = {w["code"] for w in client_as("planner").get("/api/grids/533422").get_json()["workers"]}
    assert religious_only in everyone and religious_only not in without


def test_lookup_outside_the_jurisdiction_is_not_found(client_as):
    client = client_as("benzilan")
    assert client.get("/api/lookup?lon=99.2991&lat=28.2446").status_code == 200
    response = client.get("/api/lookup?lon=99.05&lat=29.0")  # 羊拉乡
    assert response.status_code == 404


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("dispatcher", 403), ("viewer", 403)])
def test_admin_pages_are_for_admins(client_as, username, status):
    for path in ("/admin/users", "/admin/audit"):
        assert client_as(username).get(path).status_code == status


def test_wrong_password_and_unknown_user_look_the_same(anonymous):
    wrong = sign_in(anonymous, "dispatcher", "not-the-password")
    unknown = sign_in(anonymous, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


def test_disabled_account_cannot_sign_in_and_its_session_ends(app):
    create_account(app, "tmp.disabled", "533422", "social", "long-enough-pw")
    client = app.test_client()
    assert sign_in(client, "tmp.disabled", "long-enough-pw").status_code == 302
    assert client.get("/api/summary").status_code == 200
    cli(app, "users", "disable", "tmp.disabled")
    assert client.get("/api/summary").status_code == 401
    response = sign_in(app.test_client(), "tmp.disabled", "long-enough-pw")
    assert response.status_code == 403 and "停用" in response.get_data(as_text=True)


def test_password_reset_ends_old_sessions(app):
    create_account(app, "tmp.reset", "533422102", "social,rural", "first-password")
    client = app.test_client()
    sign_in(client, "tmp.reset", "first-password")
    assert client.get("/api/summary").status_code == 200
    cli(app, "users", "reset-password", "tmp.reset", "--password-stdin", input="second-password\n")
    assert client.get("/api/summary").status_code == 401
    assert sign_in(app.test_client(), "tmp.reset", "second-password").status_code == 302


def test_forged_session_cookie_is_refused(app):
    client = app.test_client()
    client.set_cookie("session", "eyJfdXNlcl9pZCI6IjE6MSJ9.forged.signature")
    assert client.get("/api/summary").status_code == 401
    assert client.get("/").status_code == 302


def test_cli_rejects_bad_account_data(app):
    runner = app.test_cli_runner()
    bad = [
        ["users", "create", "x", "--role", "viewer", "--jurisdiction", "533422", "--nets", "social"],
        ["users", "create", "tmp.bad", "--role", "viewer", "--jurisdiction", "999", "--nets", "social"],
        ["users", "create", "tmp.bad", "--role", "viewer", "--jurisdiction", "533422", "--nets", "party"],
        ["users", "create", "tmp.bad", "--role", "grid_worker", "--jurisdiction", "533422", "--nets", "social"],
    ]
    for args in bad:
        result = runner.invoke(args=[*args, "--password-stdin"], input="long-enough-pw\n")
        assert result.exit_code != 0 and "Error:" in result.output, args
    short = runner.invoke(
        args=[
            "users",
            "create",
            "tmp.short",
            "--role",
            "viewer",
            "--jurisdiction",
            "533422",
            "--nets",
            "social",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert "at least 10 characters" in short.output


def signed_in(app, username: str):
    """A client with a session of its own (the cached ones would end when a test signs out)."""
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_state_changes_need_the_csrf_token(app):
    client = signed_in(app, "viewer")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", headers={"X-CSRFToken": "forged"}).status_code == 400
    token = csrf_token_of(client, "/")
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302


def test_a_page_open_all_day_can_still_change_things(app, monkeypatch):
    # A dispatcher keeps the console open through a shift: its CSRF token lasts as long as the session.
    client = signed_in(app, "viewer")
    token = csrf_token_of(client, "/")
    later = int(time.time()) + 8 * 3600
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302


def test_login_form_needs_the_csrf_token(anonymous):
    response = anonymous.post("/login", data={"username": "admin", "password": "admin-demo-2026"})
    assert response.status_code == 400


def test_api_tokens_authenticate_scripts_without_csrf(app, anonymous):
    token = cli(app, "users", "token", "benzilan", "--name", "test script").strip()
    assert token.startswith("gm_")
    headers = {"Authorization": f"Bearer {token}"}
    summary = anonymous.get("/api/summary", headers=headers)
    assert summary.status_code == 200 and summary.get_json()["jurisdiction"] == BENZILAN
    assert anonymous.get("/api/summary", headers={"Authorization": "Bearer gm_wrong"}).status_code == 401
    assert anonymous.post("/logout", headers=headers).status_code == 302  # no cookie, so no CSRF needed
    with app.app_context():
        stored = db.session.execute(text("SELECT token_hash FROM api_token")).scalars().all()
    assert token not in stored and all(len(digest) == 64 for digest in stored)


def test_a_token_client_that_keeps_cookies_stays_signed_in_by_its_token(app, anonymous):
    """QGIS and browsers keep cookies: a page answered to a token must not leave a session that unseats it."""
    token = cli(app, "users", "token", "benzilan", "--name", "cookie jar").strip()
    headers = {"Authorization": f"Bearer {token}"}
    page = anonymous.get("/ogcapi/collections?f=html", headers=headers)  # an HTML page: it makes a CSRF token
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert anonymous.get("/ogcapi/collections?f=html", headers=headers).status_code == 200
    assert anonymous.get("/api/summary", headers=headers).status_code == 200


def test_a_session_cookie_still_outranks_a_token_and_every_answer_varies_by_cookie(app, client_as, anonymous):
    """Without a cookie the token is read at once (extensions.LoginManagerForCookielessCalls); with one,
    Flask-Login's own order holds: the session's user first."""
    token = cli(app, "users", "token", "benzilan", "--name", "outranked").strip()
    headers = {"Authorization": f"Bearer {token}"}
    by_token = anonymous.get("/api/summary", headers=headers)
    assert by_token.get_json()["jurisdiction"] == BENZILAN and "Cookie" in by_token.headers["Vary"]
    by_session = client_as("dispatcher").get("/api/summary", headers=headers)
    assert by_session.get_json()["jurisdiction"] == "533422" and "Cookie" in by_session.headers["Vary"]


def test_login_is_throttled(app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        client = app.test_client()
        answers = [sign_in(client, "admin", "wrong-password-x") for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert "尝试次数过多" in answers[-1].get_data(as_text=True)


@pytest.mark.parametrize("payload", ["' OR '1'='1", "1; DROP TABLE grid; --", '" OR ""="', "%' --"])
def test_sql_metacharacters_change_nothing(app, client_as, payload):
    admin = client_as("admin")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Grid))
    assert client_as("dispatcher").get("/api/grids", query_string={"level": payload}).status_code == 400
    assert client_as("dispatcher").get("/api/grids", query_string={"level": "group", "net": payload}).status_code == 400
    assert client_as("dispatcher").get(f"/api/grids/{payload}").status_code == 404
    assert client_as("dispatcher").get("/api/lookup", query_string={"lon": payload, "lat": "28"}).status_code == 400
    audit = admin.get("/admin/audit", query_string={"actor": payload, "action": payload, "entity": payload})
    assert audit.status_code == 200 and "共 0 条" in audit.get_data(as_text=True)
    assert sign_in(app.test_client(), payload, payload).status_code in (400, 401)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Grid)) == before


def test_changes_and_logins_are_audited_and_the_trail_is_append_only(app, client_as):
    create_account(app, "tmp.audited", "533422", "rural", "long-enough-pw")
    cli(app, "users", "set", "tmp.audited", "--nets", "rural,social")
    sign_in(app.test_client(), "tmp.audited", "long-enough-pw")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("user.%"))).all()
        update = next(
            e for e in events if e.action == "user.update" and (e.after or {}).get("username") == "tmp.audited"
        )
        assert update.before is not None and update.after is not None
        assert update.before["nets"] == ["rural"] and update.after["nets"] == ["rural", "social"]
        assert update.actor.startswith("cli:")
        actor = update.actor
        login = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.actor == "tmp.audited")
        ).first()
        assert login is not None and login.address == "127.0.0.1"
        for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(DBAPIError) as failure:
                db.session.execute(text(statement))
            assert isinstance(failure.value.orig, psycopg.errors.InsufficientPrivilege)
            db.session.rollback()
    page = client_as("admin").get("/admin/audit?action=user.update&actor=" + actor)
    assert "tmp.audited" in page.get_data(as_text=True)
    assert client_as("admin").get("/admin/audit?since=yesterday").status_code == 400


def test_client_address_behind_a_trusted_proxy(app):
    proxied = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_HOPS": 1})
    client = proxied.test_client()
    token = csrf_token_of(client)
    client.post(
        "/login",
        data={"username": "viewer", "password": "wrong-password-1", "csrf_token": token},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.action, event.address) == ("login.failed", "203.0.113.9")
    with proxied.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("dispatcher", ["/dispatch", "/patrol"], ["/plan", "/admin/users", "/my"]),
        ("planner", ["/plan", "/patrol"], ["/dispatch", "/admin/users"]),
        ("worker", ["/my", "/patrol/my"], ["/dispatch", "/plan", "/admin/users"]),
        ("viewer", ["/dispatch", "/patrol"], ["/plan", "/admin/users", "/patrol/my"]),
        ("admin", ["/dispatch", "/plan", "/patrol", "/admin/users", "/admin/audit"], ["/my"]),
    ],
)
def test_navigation_offers_what_the_role_may_open(client_as, username, shown, hidden):
    """The links come from the same capabilities as the guards: each shown link opens, each hidden one is refused."""
    page = client_as(username).get("/").get_data(as_text=True)
    nav = page[page.index("<nav>") : page.index("</nav>")]
    for path in shown:
        assert f'href="{path}"' in nav, path
        assert client_as(username).get(path).status_code == 200, path
    for path in hidden:
        assert f'href="{path}"' not in nav, path
        assert client_as(username).get(path).status_code == 403, path


def test_the_audit_trail_shows_china_standard_time(app, client_as):
    admin = client_as("admin")
    with app.app_context():
        latest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert latest.at.astimezone(COUNTY_TZ).strftime("%Y-%m-%d %H:%M") in page


def test_refusals_at_the_door_speak_the_pages_language(anonymous, client_as):
    """No token, an expired form: said in Chinese by default, in English when asked."""
    assert "请先登录" in anonymous.get("/api/summary").get_json()["error"]
    assert anonymous.get("/api/summary?lang=en").get_json()["error"].startswith("sign in or send an API token")
    dispatcher = client_as("dispatcher")
    refused = dispatcher.post("/api/incidents", json={})
    assert refused.status_code == 400 and "表单已过期" in refused.get_json()["error"]
    # A browser's own language does not change the page's: its user chooses on the page.
    browser = dispatcher.post("/api/incidents", json={}, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "表单已过期" in browser.get_json()["error"]
    english = dispatcher.post("/api/incidents?lang=en", json={})
    assert "reload the page" in english.get_json()["error"]


def test_a_program_with_a_token_is_answered_in_its_accept_language(app, anonymous):
    with app.app_context():
        token = create_token(db.session(), "dispatcher", "language test", actor="tests")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for language, said in [("en-GB,en;q=0.8", "lon"), ("zh-CN,zh;q=0.9", "经度"), ("fr", "经度")]:
        refused = anonymous.get("/api/lookup?lon=x&lat=28.4", headers={**headers, "Accept-Language": language})
        assert refused.status_code == 400 and said in refused.get_json()["error"], (language, refused.get_json())
    english = anonymous.get("/api/lookup?lon=x&lat=28.4&lang=zh", headers={**headers, "Accept-Language": "en"})
    assert "经度" in english.get_json()["error"]  # what the caller chose wins
