"""Changing needs the jurisdiction, seeing does not leak: every write, viewers, phones and the religious net."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import delete, func, select

from extensions import db, db_session
from geo.accounts.models import User
from geo.accounts.users import create_user
from geo.dispatch.models import Incident
from geo.grid.models import Generation, Grid, GridWorker
from geo.patrol.models import CheckIn, PatrolTask, PatrolTeam, SeasonalZone, TemporaryBranch, ZoneSite
from geo.planning.models import Plan
from tests.conftest import csrf_token_of, post_multipart

BENZILAN = "533422102"
YANGLA = "533422206"
#: Township accounts the demo lacks, made for these tests and removed after them.
TOWNSHIP_ACCOUNTS = {
    "bzl-planner": ("planner", BENZILAN, ["social", "rural"]),
    "bzl-admin": ("admin", BENZILAN, ["social", "religious", "rural"]),
}
SQUARE = {"type": "Polygon", "coordinates": [[[99.3, 28.3], [99.31, 28.3], [99.31, 28.31], [99.3, 28.3]]]}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(scope="module")
def township_accounts(app):
    with app.app_context():
        for username, (role, jurisdiction, nets) in TOWNSHIP_ACCOUNTS.items():
            create_user(
                db_session(),
                username=username,
                password=f"{username}-demo-2026",
                role=role,
                jurisdiction=jurisdiction,
                nets=nets,
                actor="test",
            )
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(delete(User).where(User.username.in_(list(TOWNSHIP_ACCOUNTS))))
        db.session.commit()


def send(client, method: str, path: str, body: dict | None = None):
    return client.open(path, method=method, json=body or {}, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def county_zone(app) -> SeasonalZone:
    """Zone 3: a county-level hill lying in 升平镇 and 奔子栏镇, none of it in 羊拉乡."""
    with app.app_context():
        zone = db.session.scalars(select(SeasonalZone).where(SeasonalZone.name_zh == "三号虫草山")).one()
        assert zone.area_code == "533422"
        db.session.expunge(zone)
        return zone


def zone_state(app, zone_id: int) -> tuple:
    with app.app_context():
        zone = db.session.get_one(SeasonalZone, zone_id)

        def count(model, column) -> int:
            return db.session.scalars(select(func.count()).select_from(model).where(column == zone_id)).one()

        return (
            zone.name_zh,
            zone.version,
            zone.windows,
            count(TemporaryBranch, TemporaryBranch.zone_id),
            count(PatrolTeam, PatrolTeam.zone_id),
            count(ZoneSite, ZoneSite.zone_id),
            count(PatrolTask, PatrolTask.zone_id),
        )


def zone_writes(app) -> list[tuple[str, str, dict]]:
    zone = county_zone(app)
    with app.app_context():
        team = db.session.scalar(select(PatrolTeam.id).where(PatrolTeam.zone_id == zone.id))
    base = f"/api/patrol/zones/{zone.id}"
    return [
        (
            "PATCH",
            base,
            {"version": zone.version, "name_zh": "被改名", "windows": [{"start": "01-01", "end": "12-31"}]},
        ),
        ("POST", f"{base}/branches", {"name": "临时支部", "secretary": "某人", "phone": "13800000000"}),
        ("POST", f"{base}/teams", {"name": "巡逻队", "leader": "某人", "phone": "13800000000"}),
        ("POST", f"{base}/sites", {"kind": "checkpoint", "name": "卡点", "lon": 99.3, "lat": 28.3}),
        (
            "POST",
            "/api/patrol/tasks",
            {
                "team_id": team,
                "zone_id": zone.id,
                "starts_at": "2026-06-15T08:00:00+08:00",
                "ends_at": "2026-06-15T18:00:00+08:00",
            },
        ),
    ]


@pytest.mark.parametrize("username", ["patrol", "bzl-planner"])
def test_a_county_zone_is_changed_only_from_the_county(app, client_as, township_accounts, username):
    zone = county_zone(app)
    before = zone_state(app, zone.id)
    client = client_as(username)
    for method, path, body in zone_writes(app):
        response = send(client, method, path, body)
        assert response.status_code in (403, 404), (path, response.status_code, response.get_json())
    assert zone_state(app, zone.id) == before


def test_the_county_planner_may_change_a_county_zone(app, client_as):
    zone = county_zone(app)
    client = client_as("planner")
    response = send(client, "PATCH", f"/api/patrol/zones/{zone.id}", {"version": zone.version, "name_zh": "三号虫草山"})
    assert response.status_code == 200, response.get_json()


def test_a_check_in_needs_a_task_the_caller_sees(app, client_as):
    """The 羊拉乡 patrol leader cannot report on a task of a hill in other townships."""
    zone = county_zone(app)
    with app.app_context():
        team = db.session.scalar(select(PatrolTeam.id).where(PatrolTeam.zone_id == zone.id))
    task = send(
        client_as("admin"),
        "POST",
        "/api/patrol/tasks",
        {
            "team_id": team,
            "zone_id": zone.id,
            "starts_at": "2026-06-15T08:00:00+08:00",
            "ends_at": "2026-06-15T18:00:00+08:00",
        },
    )
    assert task.status_code == 201, task.get_json()
    task_id = task.get_json()["id"]
    try:
        path = f"/api/patrol/tasks/{task_id}/checkins"
        assert send(client_as("patrol"), "POST", path, {"lon": 99.3, "lat": 28.3}).status_code == 404
        assert task_id not in {t["id"] for t in client_as("patrol").get("/api/patrol/tasks").get_json()}
        assert send(client_as("viewer"), "POST", path, {"lon": 99.3, "lat": 28.3}).status_code == 403
        with app.app_context():
            assert db.session.scalar(select(func.count()).where(CheckIn.task_id == task_id)) == 0
    finally:
        with app.app_context():
            db.session.execute(delete(PatrolTask).where(PatrolTask.id == task_id))
            db.session.commit()


def test_the_category_catalogue_is_the_county_admins(app, client_as, township_accounts):
    client = client_as("bzl-admin")
    created = send(
        client,
        "POST",
        "/api/categories",
        {"net": "social", "code": "bzl_only", "name_zh": "测", "name_en": "T", "sla_hours": 5},
    )
    assert created.status_code == 403
    assert send(client, "PATCH", "/api/categories/dispute", {"sla_hours": 1}).status_code == 403
    categories = {c["code"]: c for c in client_as("admin").get("/api/categories").get_json()}
    assert "bzl_only" not in categories and categories["dispute"]["sla_hours"] == 72


def test_a_township_admin_lists_only_the_townships_accounts(client_as, township_accounts):
    html = client_as("bzl-admin").get("/admin/users").get_data(as_text=True)
    assert "<td>bzl-planner" in html and "<td>benzilan" in html
    assert "<td>patrol" not in html  # 羊拉乡's patrol leader, outside the township (the form's roles still offer one)


def open_incident(app, prefix: str) -> Incident:
    with app.app_context():
        incident = db.session.scalars(
            select(Incident)
            .where(Incident.group_code.startswith(prefix), Incident.net == "social", Incident.status == "registered")
            .order_by(Incident.id)
            .limit(1)
        ).one()
        db.session.expunge(incident)
        return incident


def incident_count(app) -> int:
    with app.app_context():
        return db.session.scalars(select(func.count()).select_from(Incident)).one()


def test_viewers_change_nothing(app, client_as):
    client = client_as("viewer")
    incident = open_incident(app, BENZILAN)
    zone = county_zone(app)
    before = (incident_count(app), zone_state(app, zone.id))
    report = {"net": "social", "category": "dispute", "title": "看看", "lon": 99.2991, "lat": 28.2446}
    writes: list[tuple[str, str, dict]] = [
        ("POST", "/api/incidents", report),
        ("POST", f"/api/incidents/{incident.ticket}/register", {"version": incident.version}),
        ("POST", f"/api/incidents/{incident.ticket}/note", {"version": incident.version, "note": "看过"}),
        (
            "POST",
            "/api/categories",
            {"net": "social", "code": "viewer_cat", "name_zh": "测", "name_en": "T", "sla_hours": 5},
        ),
        ("PATCH", "/api/categories/dispute", {"sla_hours": 1}),
        ("POST", "/api/plans", {"parent_code": BENZILAN, "title": "看看"}),
        ("PATCH", "/api/plans/1", {"version": 1, "title": "看看"}),
        ("POST", "/api/plans/1/edits", {"op": "rename", "version": 1, "code": BENZILAN + "001", "name_zh": "x"}),
        ("POST", "/api/plans/1/submit", {"version": 1}),
        ("POST", "/api/plans/1/review", {"version": 1, "approve": True}),
        (
            "POST",
            "/api/patrol/zones",
            {
                "name_zh": "x",
                "kind": "caterpillar_fungus",
                "geometry": SQUARE,
                "windows": [{"start": "05-01", "end": "06-30"}],
            },
        ),
        *zone_writes(app),
        ("POST", "/api/patrol/tasks/1/checkins", {"lon": 99.3, "lat": 28.3}),
    ]
    for method, path, body in writes:
        response = send(client, method, path, body)
        assert response.status_code == 403, (path, response.status_code, response.get_json())
    photo = post_multipart(
        client, f"/api/incidents/{incident.ticket}/attachments", {"file": (io.BytesIO(PNG), "a.png")}
    )
    assert photo.status_code == 403
    assert (incident_count(app), zone_state(app, zone.id)) == before


def test_county_zones_and_their_phones_stay_with_those_they_concern(app, client_as):
    zone = county_zone(app)

    def zones_of(username):
        answer = client_as(username).get("/api/patrol/zones?on=2026-06-15").get_json()
        return {z["id"]: z["properties"] for z in answer["features"]}

    yangla = zones_of("patrol")
    assert zone.id not in yangla  # the hill lies in 升平镇 and 奔子栏镇
    inside = [p for p in yangla.values() if p["area_code"].startswith(YANGLA)]
    assert inside and all("phone" in t for p in inside for t in p["teams"] + p["branches"])
    benzilan = zones_of("benzilan")[zone.id]  # seen from 奔子栏镇, which it reaches into, but not its phones
    assert benzilan["teams"] and not any("phone" in t for t in benzilan["teams"] + benzilan["branches"])
    county = zones_of("planner")[zone.id]
    assert all(t["phone"] for t in county["teams"])


def test_lookups_name_grids_above_the_jurisdiction_without_their_people(client_as):
    def chain(username):
        return client_as(username).get("/api/lookup?lon=99.2991&lat=28.2446").get_json()["chain"]

    township = chain("benzilan")
    assert township[0]["code"] == "533422" and township[0]["workers"] == [] and township[0]["party_branch"] is None
    assert township[1]["code"] == BENZILAN and township[1]["workers"]
    assert chain("dispatcher")[0]["workers"]


def test_religious_nets_of_workers_only_for_holders(app, client_as):
    with app.app_context():
        code = db.session.scalar(
            select(Grid.code)
            .join(GridWorker, GridWorker.grid_id == Grid.id)
            .where(Grid.code.startswith(BENZILAN), GridWorker.nets.contains(["religious", "social"]))
            .order_by(Grid.code)
        )
    for username, sees in (("benzilan", False), ("dispatcher", True)):
        workers = client_as(username).get(f"/api/grids/{code}").get_json()["workers"]
        assert workers and any("religious" in w["nets"] for w in workers) is sees
        assert all(w["phone"] for w in workers)


def test_reassign_does_not_tell_whether_a_foreign_worker_exists(app, client_as):
    incident = open_incident(app, BENZILAN)
    with app.app_context():
        foreign = db.session.scalar(
            select(GridWorker.code)
            .join(Grid, Grid.id == GridWorker.grid_id)
            .where(Grid.code.startswith(YANGLA), GridWorker.nets.contains(["social"]))
        )
    client = client_as("benzilan")
    path = f"/api/incidents/{incident.ticket}/reassign"

    def refusal(code):
        response = send(
            client, "POST", path + "?lang=en", {"version": incident.version, "note": "换人", "worker": code}
        )
        return response.status_code, response.get_json()["error"].replace(code, "<code>")

    assert refusal(foreign) == refusal("W9999")
    assert refusal(foreign)[0] == 400


def test_plans_show_appointed_workers_without_phones_or_nets_the_caller_lacks(app, client_as):
    admin = client_as("admin")
    village = BENZILAN + "001"
    created = send(admin, "POST", "/api/plans", {"parent_code": village, "title": "任命测试"})
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()["plan"]
    try:
        group = created.get_json()["draft"]["features"][0]["properties"]["code"]
        for name, nets in (("张宗教", ["religious"]), ("李三网", ["social", "religious"])):
            edit = {
                "op": "appoint",
                "version": plan["version"],
                "code": group,
                "worker": {"name": name, "phone": "13912345678", "nets": nets},
            }
            response = send(admin, "POST", f"/api/plans/{plan['id']}/edits", edit)
            assert response.status_code == 200, response.get_json()
            plan = response.get_json()["plan"]

        def appointed(username):
            answer = client_as(username).get(f"/api/plans/{plan['id']}")
            assert "13912345678" not in answer.get_data(as_text=True)
            features = answer.get_json()["draft"]["features"]
            return next(f["properties"]["new_workers"] for f in features if f["properties"]["code"] == group)

        assert appointed("planner") == [{"name": "李三网", "nets": ["social"]}]
        assert appointed("admin") == [
            {"name": "张宗教", "nets": ["religious"]},
            {"name": "李三网", "nets": ["social", "religious"]},
        ]
        impact = client_as("planner").get(f"/api/plans/{plan['id']}/impact").get_json()
        assert "张宗教" not in {w["name"] for w in impact["workers"]}
        # A planner without the religious net cannot appoint to it either.
        own = send(client_as("planner"), "POST", "/api/plans", {"parent_code": village, "title": "我的"}).get_json()
        edit = {
            "op": "appoint",
            "version": own["plan"]["version"],
            "code": group,
            "worker": {"name": "王", "nets": ["social", "religious"]},
        }
        assert send(client_as("planner"), "POST", f"/api/plans/{own['plan']['id']}/edits", edit).status_code == 403
    finally:
        with app.app_context():
            for stale in db.session.scalars(select(Plan).where(Plan.parent_code == village)):
                db.session.delete(stale)
            db.session.commit()


def test_a_township_planner_exports_only_the_townships_part(app, client_as, township_accounts):
    with app.app_context():
        generation = db.session.scalar(select(func.min(Generation.id)))
    township = client_as("bzl-planner")
    assert generation in {g["id"] for g in township.get("/api/generations").get_json()}
    path = f"/api/generations/{generation}/export?format=geojson&level=group"
    codes = [f["properties"]["code"] for f in township.get(path).get_json()["features"]]
    assert codes and all(code.startswith(BENZILAN) for code in codes)
    county = [f["properties"]["code"] for f in client_as("planner").get(path).get_json()["features"]]
    assert len(county) > len(codes)
