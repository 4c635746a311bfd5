"""A second county beside Deqin: 维西县 set up by ``flask atlas init-county`` with a grid cut from its real
outline. Neither county sees, routes into or pairs duplicates with the other; 迪庆州 sees both."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import event, select

from extensions import db, db_session
from geo.accounts.principal import Principal
from geo.accounts.users import create_user
from geo.core.clock import now_utc
from geo.core.models import AuditEvent
from geo.dispatch.workflow import escalate_overdue
from geo.evaluation import assessments
from geo.evaluation.models import AssessmentFigure
from geo.grid.models import Grid, GridBoundary, GridLevel
from geo.grid.tickets import ticket_prefix
from geo.public.open311 import create_key
from geo.workforce.duplicates import cross_net_pairs
from tests.conftest import csrf_token_of, sign_in
from tests.routes.test_public_reports import report as residents_report
from tests.routes.test_public_reports import ticket_of
from tests.weixi import WEIXI, group_interior_point, write_weixi_grids

pytestmark = pytest.mark.db

WEIXI_GROUP = "533423101001001"
#: Accounts made for these tests (rolled back with them): role, jurisdiction.
ACCOUNTS = {
    "wx-dispatcher": ("dispatcher", WEIXI),
    "wx-admin": ("admin", WEIXI),
    "dq-admin": ("admin", "533400"),
    "dq-viewer": ("viewer", "533400"),
}
ALL_NETS = ["social", "religious", "rural"]
REPORT = {"net": "social", "category": "dispute", "title": "草场边界纠纷", "channel": "phone", "priority": "high"}


@pytest.fixture
def weixi(app, tmp_path):
    """维西县 loaded through the command line, and accounts of Weixi and of the prefecture; a client factory."""
    result = app.test_cli_runner().invoke(
        args=["atlas", "init-county", WEIXI, "--grids", str(write_weixi_grids(tmp_path)), "--commit"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        for username, (role, jurisdiction) in ACCOUNTS.items():
            create_user(
                db_session(),
                username=username,
                password=f"{username}-test-2026",
                role=role,
                jurisdiction=jurisdiction,
                nets=ALL_NETS,
                actor="test",
            )
        db.session.commit()

    def signed_in(username: str):
        client = app.test_client()
        assert sign_in(client, username, f"{username}-test-2026").status_code == 302
        return client

    return signed_in


def report(client, lon: float, lat: float, **changes):
    body = {**REPORT, "lon": lon, "lat": lat, **changes}
    return client.post("/api/incidents", json=body, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def test_init_county_refuses_a_county_whose_outline_is_not_vendored(app):
    result = app.test_cli_runner().invoke(args=["atlas", "init-county", "533425"])
    assert result.exit_code != 0
    assert "533425" in result.output and "not in the vendored outlines" in result.output
    assert "533401, 533422, 533423" in result.output


def test_init_county_loads_weixi_and_leaves_deqin_standing(app, weixi):
    with app.app_context():
        current = db_session().execute(
            select(Grid.county_code, GridBoundary.level)
            .join(GridBoundary)
            .where(GridBoundary.generation_high.is_(None))
        )
        counts: dict[tuple[str, str], int] = {}
        for county, level in current:
            counts[county, level] = counts.get((county, level), 0) + 1
        assert counts[WEIXI, "group"] == 8 and counts[WEIXI, "county"] == 1
        assert counts["533422", "group"] == 480 and counts["533422", "township"] == 8
        prefecture = db_session().scalar(select(Grid).where(Grid.code == "533400"))
        assert prefecture is not None and prefecture.level == "prefecture"


def test_a_point_in_weixi_routes_to_weixi_and_a_deqin_dispatcher_cannot_route_there(weixi, client_as):
    lon, lat = group_interior_point(WEIXI_GROUP)
    weixi_desk = weixi("wx-dispatcher")
    preview = weixi_desk.get(f"/api/incidents/routing?lon={lon}&lat={lat}&net=social&category=dispute")
    assert preview.status_code == 200 and preview.get_json()["group"]["code"] == WEIXI_GROUP
    created = report(weixi_desk, lon, lat)
    assert created.status_code == 201, created.get_data(as_text=True)
    ticket = created.get_json()["ticket"]

    deqin_desk = client_as("dispatcher")
    refused = deqin_desk.get(f"/api/incidents/routing?lon={lon}&lat={lat}&net=social&category=dispute&lang=en")
    assert refused.status_code == 400 and "outside your jurisdiction" in refused.get_json()["error"]
    assert report(deqin_desk, lon, lat).status_code == 400
    assert deqin_desk.get(f"/api/incidents/{ticket}").status_code == 404
    listed = deqin_desk.get("/api/incidents?per_page=500&q=" + ticket).get_json()["items"]
    assert ticket not in {item["ticket"] for item in listed}


def _across_the_border(app) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two points about 300 m apart: one inside a Deqin group, one inside a Weixi group."""
    with app.app_context():
        rows = db_session().execute(
            select(Grid.code, GridBoundary.geom)
            .join(GridBoundary)
            .where(GridBoundary.level == GridLevel.GROUP.value, GridBoundary.generation_high.is_(None))
        )
        groups = {code: to_shape(geom) for code, geom in rows}
    deqin = shapely.union_all([g for c, g in groups.items() if c.startswith("533422")])
    weixi = shapely.union_all([g for c, g in groups.items() if c.startswith(WEIXI)])
    border = shapely.intersection(deqin.buffer(0.0005).boundary, weixi.buffer(0.0005))
    for along in range(0, 100):
        point = border.interpolate(along / 100, normalized=True)
        inside_deqin = [p for p in _ring(point) if deqin.buffer(-0.0005).contains(p)]
        inside_weixi = [p for p in _ring(point) if weixi.buffer(-0.0005).contains(p)]
        if inside_deqin and inside_weixi:
            return (inside_deqin[0].x, inside_deqin[0].y), (inside_weixi[0].x, inside_weixi[0].y)
    raise AssertionError("no stretch of shared border found")


def _ring(point: shapely.Point) -> list[shapely.Point]:
    step = 0.0014  # ≈ 140 m: the two sides end up about 300 m apart, inside the 500 m duplicate radius
    return [shapely.Point(point.x + dx * step, point.y + dy * step) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def test_duplicates_never_pair_across_the_county_border(app, weixi):
    (deqin_lon, deqin_lat), (weixi_lon, weixi_lat) = _across_the_border(app)
    prefecture_desk = weixi("dq-admin")
    first = report(prefecture_desk, deqin_lon, deqin_lat)
    assert first.status_code == 201, first.get_data(as_text=True)
    across = report(prefecture_desk, weixi_lon, weixi_lat)
    assert across.status_code == 201 and across.get_json()["group_code"].startswith(WEIXI)
    same_side = report(prefecture_desk, deqin_lon + 0.0002, deqin_lat)
    detail = prefecture_desk.get(f"/api/incidents/{across.get_json()['ticket']}").get_json()
    assert not detail["suspected_duplicate"]
    same = prefecture_desk.get(f"/api/incidents/{same_side.get_json()['ticket']}").get_json()
    assert same["suspected_duplicate"]  # the check works, only not across the border

    rural = report(prefecture_desk, weixi_lon, weixi_lat, net="rural", category="infrastructure")
    assert rural.status_code == 201, rural.get_data(as_text=True)
    with app.app_context():
        pairs = cross_net_pairs(db_session(), Principal.everything())
    tickets = {first.get_json()["ticket"], rural.get_json()["ticket"]}
    assert not any({pair["first"]["ticket"], pair["second"]["ticket"]} == tickets for pair in pairs)


def test_the_prefecture_sees_both_counties_and_a_county_only_its_own(app, weixi, client_as):
    lon, lat = group_interior_point(WEIXI_GROUP)
    ticket = report(weixi("wx-dispatcher"), lon, lat).get_json()["ticket"]

    exported = weixi("dq-admin").get("/api/incidents?format=csv").get_data(as_text=True)
    counties = {row["group_code"][:6] for row in csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))}
    assert counties == {"533422", WEIXI}
    weixi_rows = weixi("wx-dispatcher").get("/api/incidents?format=csv").get_data(as_text=True)
    weixi_codes = {row["group_code"][:6] for row in csv.DictReader(io.StringIO(weixi_rows.lstrip("\ufeff")))}
    assert weixi_codes == {WEIXI}
    assert ticket not in client_as("dispatcher").get("/api/incidents?format=csv").get_data(as_text=True)

    period = "2026-10"
    leader = weixi("dq-viewer").get(f"/dashboard/export.csv?period={period}&table=grids").get_data(as_text=True)
    assert ",533422" in leader and f",{WEIXI}" in leader
    own = weixi("wx-dispatcher").get(f"/dashboard/export.csv?period={period}&table=grids").get_data(as_text=True)
    assert f",{WEIXI}" in own and ",533422" not in own


def _audit_rows(client, query: str = "") -> str:
    page = client.get("/admin/audit" + query)
    assert page.status_code == 200
    return page.get_data(as_text=True).split("<tbody>", 1)[1]


def test_a_county_admin_reads_only_their_county_audit_and_the_prefecture_reads_all(weixi, client_as):
    lon, lat = group_interior_point(WEIXI_GROUP)
    assert report(weixi("wx-dispatcher"), lon, lat).status_code == 201

    assert "wx-dispatcher" not in client_as("admin").get("/admin/audit").get_data(as_text=True)
    assert "wx-dispatcher" not in _audit_rows(client_as("admin"), "?actor=wx-dispatcher")
    assert "wx-dispatcher" in _audit_rows(weixi("dq-admin"), "?actor=wx-dispatcher")


def _escalated_by_the_scheduler(app, desk, lon: float, lat: float) -> str:
    """A case reported, registered and dispatched by ``desk``, then escalated as overdue by the scheduler's job."""
    created = report(desk, lon, lat)
    assert created.status_code == 201, created.get_data(as_text=True)
    ticket, version = created.get_json()["ticket"], created.get_json()["version"]
    headers = {"X-CSRFToken": csrf_token_of(desk, "/")}
    for step in ("register", "dispatch"):
        done = desk.post(f"/api/incidents/{ticket}/{step}", json={"version": version}, headers=headers)
        assert done.status_code == 200, done.get_data(as_text=True)
        version = done.get_json()["version"]
    with app.app_context():
        assert ticket in escalate_overdue(db_session(), now=now_utc() + timedelta(days=30))
        db.session.commit()
    return ticket


def _audited(client, ticket: str, action: str, actor: str) -> bool:
    # By actor too: a ticket number is used again once the test that took it is rolled back, and the committed
    # events of the browser tests' cases (their desk is Deqin's dispatcher) may carry the same number.
    return f"<code>{action}</code>" in _audit_rows(client, f"?entity=incident&entity_id={ticket}&actor={actor}")


def test_the_scheduler_escalating_a_case_is_read_by_its_county_admin_and_not_the_other(app, weixi, client_as):
    weixi_case = _escalated_by_the_scheduler(app, weixi("wx-dispatcher"), *group_interior_point(WEIXI_GROUP))
    deqin_case = _escalated_by_the_scheduler(app, client_as("dispatcher"), 99.2991, 28.2446)
    weixi_admin, deqin_admin, prefecture = weixi("wx-admin"), client_as("admin"), weixi("dq-admin")
    assert _audited(weixi_admin, weixi_case, "incident.escalate", "system")
    assert not _audited(deqin_admin, weixi_case, "incident.escalate", "system")
    assert _audited(deqin_admin, deqin_case, "incident.escalate", "system")
    assert not _audited(weixi_admin, deqin_case, "incident.escalate", "system")
    assert all(_audited(prefecture, case, "incident.escalate", "system") for case in (weixi_case, deqin_case))
    # The county's own desk's steps, as before; the other county's desk's, still not.
    assert _audited(weixi_admin, weixi_case, "incident.dispatch", "wx-dispatcher")
    assert not _audited(deqin_admin, weixi_case, "incident.report", "wx-dispatcher")


def test_a_residents_report_is_audited_with_its_county_and_read_by_that_county_admin(app, weixi, client_as):
    sent = residents_report(app.test_client(), group=WEIXI_GROUP, description="维西测试组村口垃圾堆放多日无人清运")
    assert sent.status_code == 200, sent.get_data(as_text=True)[:2000]
    ticket = ticket_of(sent)
    with app.app_context():
        event = (
            db_session()
            .scalars(select(AuditEvent).where(AuditEvent.entity_id == ticket).order_by(AuditEvent.id.desc()).limit(1))
            .one()
        )
    assert (event.actor, event.action, event.county_code) == ("public", "incident.report", WEIXI)
    assert _audited(weixi("wx-admin"), ticket, "incident.report", "public")
    assert not _audited(client_as("admin"), ticket, "incident.report", "public")


def test_an_account_made_by_the_prefecture_in_a_county_is_read_by_that_county_admin(app, weixi, client_as):
    with app.app_context():
        made = create_user(
            db_session(),
            username="wx-worker-desk",
            password="wx-worker-desk-2026",
            role="dispatcher",
            jurisdiction="533423101",
            nets=ALL_NETS,
            actor="dq-admin",
        )
        db.session.commit()
        user_id = made.id
    query = f"?entity=user&entity_id={user_id}"
    assert "<code>user.create</code>" in _audit_rows(weixi("wx-admin"), query)
    assert "<code>user.create</code>" not in _audit_rows(client_as("admin"), query)


def test_each_county_issues_its_own_assessment_and_reads_only_its_own(app, weixi, client_as):
    deqin = client_as("admin")
    headers = {"X-CSRFToken": csrf_token_of(deqin, "/")}
    issued = deqin.post("/api/evaluation/assessments", json={"period": "2026-10"}, headers=headers)
    assert issued.status_code == 201 and issued.get_json()["county"] == "533422"
    with app.app_context():
        assert assessments.latest(db_session(), "2026-10", WEIXI) is None  # Weixi's October is still open
        frozen = db_session().scalars(
            select(AssessmentFigure.county_code).where(AssessmentFigure.assessment_id == issued.get_json()["id"])
        )
        assert set(frozen) == {"533422"}

    prefecture = weixi("dq-admin")
    headers = {"X-CSRFToken": csrf_token_of(prefecture, "/")}
    unnamed = prefecture.post("/api/evaluation/assessments?lang=en", json={"period": "2026-10"}, headers=headers)
    assert unnamed.status_code == 400 and "name the county" in unnamed.get_json()["error"]
    named = prefecture.post("/api/evaluation/assessments", json={"period": "2026-10", "county": WEIXI}, headers=headers)
    assert named.status_code == 201 and named.get_json()["version"] == 1
    listed = prefecture.get("/api/evaluation/assessments").get_json()
    assert {a["county"]: (a["county_name_zh"], a["county_name_en"]) for a in listed} == {
        "533422": ("德钦县", "Deqin County"),
        WEIXI: ("维西县（测试）", f"Weixi test {WEIXI}"),
    }
    assert {a["county"] for a in deqin.get("/api/evaluation/assessments").get_json()} == {"533422"}
    assert deqin.get(f"/api/evaluation/assessments/{named.get_json()['id']}").status_code == 404

    listing = prefecture.get("/dashboard/assessments?lang=zh").get_data(as_text=True)
    assert '<select name="county" required>' in listing and f'<option value="{WEIXI}">' in listing
    assert "<td>德钦县</td>" in listing and "<td>维西县（测试）</td>" in listing
    english = prefecture.get("/dashboard/assessments?lang=en").get_data(as_text=True)
    assert "<td>Deqin County</td>" in english and f"<td>Weixi test {WEIXI}</td>" in english
    assert '<select name="county"' not in deqin.get("/dashboard/assessments").get_data(as_text=True)
    with statements(app) as before:
        assert prefecture.get("/api/evaluation/assessments").status_code == 200
    form = {"period": "2026-10", "county": WEIXI, "csrf_token": csrf_token_of(prefecture, "/dashboard/assessments")}
    assert prefecture.post("/dashboard/assessments", data=form).status_code == 302
    with statements(app) as after:
        listed = prefecture.get("/api/evaluation/assessments").get_json()
    assert [a["version"] for a in listed if a["county"] == WEIXI] == [2, 1]
    assert len(after) == len(before)  # a row more, no query more: the counties are named in one lookup


@contextmanager
def statements(app):
    """The SQL statements sent inside the block."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_prefecture_dashboard_says_which_counties_have_issued_the_period(app, weixi, client_as):
    deqin = client_as("admin")
    headers = {"X-CSRFToken": csrf_token_of(deqin, "/")}
    issued = deqin.post("/api/evaluation/assessments", json={"period": "2026-10"}, headers=headers).get_json()

    page = weixi("dq-viewer").get("/dashboard?period=2026-10&lang=zh").get_data(as_text=True)
    marks = dict(re.findall(r'<span class="county-issued" data-county="(\d+)">(.*?)</span>', page, re.DOTALL))
    deqin_mark, weixi_mark = marks.pop("533422"), marks.pop(WEIXI)
    assert not marks
    assert "德钦县" in deqin_mark and "已发布第 1 版" in deqin_mark
    assert f"/dashboard/assessments/{issued['id']}?grid=533422" in deqin_mark
    assert "维西县（测试）" in weixi_mark and "尚未发布" in weixi_mark and "<a " not in weixi_mark
    english = weixi("dq-viewer").get("/dashboard?period=2026-10&lang=en").get_data(as_text=True)
    assert "Issued, version 1" in english and "not issued yet" in english

    county = deqin.get("/dashboard?period=2026-10&lang=zh").get_data(as_text=True)
    assert 'id="issued-by-county"' not in county and "已发布第 1 版" in county
    weixi_county = weixi("dq-viewer").get(f"/dashboard?period=2026-10&grid={WEIXI}&lang=zh").get_data(as_text=True)
    assert 'id="issued-by-county"' not in weixi_county and "本期考核尚未发布" in weixi_county


def _contact(app, lang: str = "zh") -> str:
    return app.test_client().get(f"/open311/v2/discovery.json?lang={lang}").get_json()["contact"]


def test_the_open311_contact_is_the_served_county_centre_from_the_data(app):
    assert _contact(app) == "德钦县网格化服务管理中心"
    assert _contact(app, "en") == "Deqin County grid service and management centre"


def test_the_open311_contact_is_the_prefecture_centre_once_it_serves_two_counties(app, weixi, monkeypatch):
    assert _contact(app) == "迪庆藏族自治州网格化服务管理中心"
    monkeypatch.setitem(app.config, "OPEN311_CONTACT", "迪庆州网格中心 0887-0000000")  # GRIDMAP_OPEN311_CONTACT
    assert _contact(app) == "迪庆州网格中心 0887-0000000"


def test_the_open_data_service_is_named_after_the_prefecture_once_it_serves_two_counties(app, weixi):
    landing = app.test_client().get("/ogcapi/?lang=zh").get_json()
    assert landing["title"] == "迪庆藏族自治州网格开放数据服务"
    page = app.test_client().get("/ogcapi/?f=html&lang=zh").get_data(as_text=True)
    assert "<title>迪庆藏族自治州网格开放数据服务</title>" in page


def test_every_page_is_headed_by_the_prefecture_once_it_serves_two_counties(app, weixi):
    login = app.test_client().get("/login?lang=zh").get_data(as_text=True)
    assert "迪庆藏族自治州党建引领网格化治理" in login and "德钦县党建引领" not in login
    page = weixi("dq-admin").get("/dashboard?lang=zh").get_data(as_text=True)
    assert "<title>迪庆藏族自治州" in page or "迪庆藏族自治州党建引领网格化治理" in page
    english = app.test_client().get("/login?lang=en").get_data(as_text=True)
    assert "party-building-led grid governance" in english and "Deqin County party" not in english


def _ticket_of(created) -> str:
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.get_json()["ticket"]


def test_a_weixi_case_is_numbered_by_its_county_code_and_a_deqin_case_keeps_dq(weixi, client_as):
    year = now_utc().year
    weixi_ticket = _ticket_of(report(weixi("wx-dispatcher"), *group_interior_point(WEIXI_GROUP)))
    assert re.fullmatch(rf"{WEIXI}-{year}-\d{{6,}}", weixi_ticket)
    assert re.fullmatch(rf"DQ-{year}-\d{{6,}}", _ticket_of(report(client_as("dispatcher"), 99.2991, 28.2446)))


def test_an_open311_request_in_weixi_is_answered_and_found_by_its_county_ticket(app, weixi):
    with app.app_context():
        key = create_key(db.session(), "维西测试客户端")
        db.session.commit()
    lon, lat = group_interior_point(WEIXI_GROUP)
    client = app.test_client()
    form = {"api_key": key, "service_code": "sanitation", "lat": str(lat), "long": str(lon), "description": "路边垃圾"}
    posted = client.post("/open311/v2/requests.json", data=form)
    assert posted.status_code == 201, posted.get_data(as_text=True)
    ticket = posted.get_json()[0]["service_request_id"]
    assert ticket.startswith(f"{WEIXI}-")
    (found,) = client.get(f"/open311/v2/requests/{ticket}.json").get_json()
    assert found["service_request_id"] == ticket
    (listed,) = client.get("/open311/v2/requests.json", query_string={"service_request_id": ticket}).get_json()
    assert listed["service_request_id"] == ticket


def test_search_finds_a_weixi_ticket_for_weixi_and_not_for_a_deqin_desk(weixi, client_as):
    ticket = _ticket_of(report(weixi("wx-dispatcher"), *group_interior_point(WEIXI_GROUP)))
    for desk in ("wx-dispatcher", "dq-admin"):
        found = weixi(desk).get("/api/search", query_string={"q": ticket}).get_json()["results"]
        assert [(f["kind"], f["code"]) for f in found] == [("incident", ticket)]
    assert client_as("dispatcher").get("/api/search", query_string={"q": ticket}).get_json()["results"] == []
    by_code = weixi("wx-dispatcher").get("/api/search", query_string={"q": WEIXI}).get_json()["results"]
    assert by_code[0]["kind"] == "grid" and by_code[0]["code"] == WEIXI  # six digits alone are still a grid code


def _set_prefix(app, *args: str):
    return app.test_cli_runner().invoke(args=["atlas", "set-ticket-prefix", *args])


def test_a_prefix_set_on_the_command_line_numbers_new_cases_only_and_is_audited(app, weixi):
    desk = weixi("wx-dispatcher")
    lon, lat = group_interior_point(WEIXI_GROUP)
    earlier = _ticket_of(report(desk, lon, lat))
    result = _set_prefix(app, WEIXI, "WX")
    assert result.exit_code == 0, result.output
    later = _ticket_of(report(desk, lon, lat, title="草场边界纠纷（又报）"))
    assert later.startswith(f"WX-{now_utc().year}-") and earlier.startswith(f"{WEIXI}-")
    assert desk.get(f"/api/incidents/{earlier}").get_json()["ticket"] == earlier  # a given ticket stays
    found = desk.get("/api/search", query_string={"q": later.lower()}).get_json()["results"]
    assert [(f["kind"], f["code"]) for f in found] == [("incident", later)]

    (event,) = _prefix_changes(app)
    assert (event.entity, event.before, event.after, event.county_code) == (
        "county",
        {"ticket_prefix": None},
        {"ticket_prefix": "WX"},
        WEIXI,
    )
    assert event.actor.startswith("cli:")
    assert "<code>county.ticket_prefix</code>" in _audit_rows(weixi("wx-admin"), f"?entity=county&entity_id={WEIXI}")
    assert _set_prefix(app, WEIXI, "WX").exit_code == 0
    assert len(_prefix_changes(app)) == 1  # the same prefix again changes nothing and records nothing
    cleared = app.test_cli_runner().invoke(args=["atlas", "clear-ticket-prefix", WEIXI])
    assert cleared.exit_code == 0, cleared.output
    assert _ticket_of(report(desk, lon, lat, title="草场边界纠纷（三报）")).startswith(f"{WEIXI}-")
    assert [(e.before, e.after) for e in _prefix_changes(app)][-1] == ({"ticket_prefix": "WX"}, {"ticket_prefix": None})


def _prefix_changes(app) -> list[AuditEvent]:
    with app.app_context():
        changes = (
            select(AuditEvent)
            .where(AuditEvent.action == "county.ticket_prefix", AuditEvent.entity_id == WEIXI)
            .order_by(AuditEvent.id)
        )
        return list(db_session().scalars(changes))


@pytest.mark.parametrize(
    ("prefix", "says"),
    [
        ("wx", "a ticket prefix is 2 to 8 capital Latin letters, such as DQ; got 'wx'"),
        ("W", "2 to 8 capital Latin letters"),
        ("WEIXIXIAN", "2 to 8 capital Latin letters"),
        ("W1", "2 to 8 capital Latin letters"),
        ("维西", "2 to 8 capital Latin letters"),
        ("DQ", "county 533422's tickets begin with DQ already"),
    ],
)
def test_a_bad_or_taken_prefix_is_refused_with_a_clear_message(app, weixi, prefix, says):
    result = _set_prefix(app, WEIXI, prefix)
    assert result.exit_code != 0 and says in result.output
    with app.app_context():
        assert db_session().scalar(select(Grid.ticket_prefix).where(Grid.code == WEIXI)) is None


def test_a_prefix_for_a_county_not_served_is_refused(app):
    result = _set_prefix(app, WEIXI, "WX")
    assert result.exit_code != 0 and "county 533423 is not served here" in result.output


def test_init_county_gives_the_county_its_prefix_after_a_dry_run_that_checks_it(app, tmp_path):
    grids = str(write_weixi_grids(tmp_path))
    init = ["atlas", "init-county", WEIXI, "--grids", grids]
    refused = app.test_cli_runner().invoke(args=[*init, "--ticket-prefix", "wx"])
    assert refused.exit_code != 0 and "2 to 8 capital Latin letters" in refused.output
    taken = app.test_cli_runner().invoke(args=[*init, "--ticket-prefix", "DQ", "--commit"])
    assert taken.exit_code != 0 and "county 533422's tickets begin with DQ already" in taken.output
    without_grids = app.test_cli_runner().invoke(args=["atlas", "init-county", WEIXI, "--ticket-prefix", "WX"])
    assert without_grids.exit_code != 0 and "no grid to carry its ticket prefix" in without_grids.output
    with app.app_context():
        assert db_session().scalar(select(Grid.id).where(Grid.code == WEIXI)) is None  # nothing written

    loaded = app.test_cli_runner().invoke(args=[*init, "--ticket-prefix", "WX", "--commit"])
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        assert ticket_prefix(db_session(), WEIXI) == "WX"
