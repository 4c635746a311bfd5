"""The party API: branches, members, activities and projects, scoped to the jurisdiction, versioned, audited."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from extensions import db, db_session
from geo.accounts.models import Role
from geo.accounts.users import create_user
from geo.core.models import AuditEvent
from geo.grid.models import Grid, PartyBranch
from geo.party.models import PartyActivity
from geo.patrol.models import SeasonalZone, TemporaryBranch
from tests.conftest import csrf_token_of, post_multipart, sign_in

BENZILAN = "533422102"
YANGLA = "533422206"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# A point in the middle of 奔子栏镇 (its seat), inside the county.
SEAT = {"lon": 99.2991, "lat": 28.2446}


@pytest.fixture
def township_admin(app):
    """An admin of 奔子栏镇 (a township account), signed in; rolled back with the test."""
    with app.app_context():
        create_user(
            db_session(), username="benzilan-admin", password="benzilan-admin-pass-2026", role=Role.ADMIN,
            jurisdiction=BENZILAN, nets=["social", "rural"], actor="test",
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "benzilan-admin", "benzilan-admin-pass-2026").status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_of(client, "/")
    return client


def branch_in(app, township: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(PartyBranch.id)
            .join(Grid, Grid.id == PartyBranch.grid_id)
            .where(Grid.code.startswith(township))
            .order_by(PartyBranch.id)
            .limit(1)
        ).one()


def audited(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def activity(branch_id: int, **changes) -> dict:
    return {
        "branch_id": branch_id, "kind": "theme_day", "held_on": "2026-11-05", "topic": "学习民族团结政策",
        "attendance": 14, "place_name": "村委会", **SEAT, **changes,
    }  # fmt: skip


def test_a_township_admin_keeps_its_members_and_cannot_reach_another_townships(app, township_admin, client_as):
    own, foreign = branch_in(app, BENZILAN), branch_in(app, YANGLA)
    created = township_admin.post(
        f"/api/party/branches/{own}/members",
        json={"name": "格桑", "post": "护林员", "duty": "组织委员", "phone": "17000000001", "household_count": 3,
              "households": [{"name": "次仁", "address": "一组 5 号"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    member = created.get_json()
    assert member["phone"] == "17000000001" and member["households"] == [{"name": "次仁", "address": "一组 5 号"}]
    assert audited(app, "party.member.create") >= 1

    # Another township's branch and its members' phones are not there for this account, not even to read.
    assert township_admin.get(f"/api/party/branches/{foreign}").status_code == 404
    assert township_admin.get(f"/api/party/branches/{foreign}/members").status_code == 404
    refused = township_admin.post(f"/api/party/branches/{foreign}/members", json={"name": "偷录"})
    assert refused.status_code == 404
    listed = township_admin.get("/api/party/branches").get_json()
    assert listed["branches"] and all(b["grid_code"].startswith(BENZILAN) for b in listed["branches"])

    # Yangla's people see Yangla, not Benzilan's members.
    yangla = client_as("patrol")  # a Yangla account without the party capabilities
    assert yangla.get(f"/api/party/branches/{own}/members").status_code == 403
    # The county's viewer sees the phone (inside its jurisdiction) but may not change anything.
    viewer = client_as("viewer")
    seen = viewer.get(f"/api/party/branches/{own}/members").get_json()
    assert any(m["phone"] == "17000000001" for m in seen)
    token = csrf_token_of(viewer, "/")
    assert (
        viewer.patch(
            f"/api/party/members/{member['id']}", json={"version": 1, "name": "改名"}, headers={"X-CSRFToken": token}
        ).status_code
        == 403
    )

    # Lost updates: the second writer of version 1 is refused; a delete needs the version read.
    first = township_admin.patch(f"/api/party/members/{member['id']}", json={"version": 1, "name": "格桑卓玛"})
    assert first.status_code == 200 and first.get_json()["version"] == 2
    stale = township_admin.patch(f"/api/party/members/{member['id']}", json={"version": 1, "name": "格桑"})
    assert stale.status_code == 409
    assert township_admin.delete(f"/api/party/members/{member['id']}?version=1").status_code == 409
    assert township_admin.delete(f"/api/party/members/{member['id']}?version=2").status_code == 204
    # More households listed than counted is a mistake named as such.
    wrong = township_admin.post(
        f"/api/party/branches/{own}/members",
        json={"name": "多户", "household_count": 0, "households": [{"name": "甲"}]},
    )
    assert wrong.status_code == 400 and wrong.get_json()["field"] == "household_count"


def test_activities_are_recorded_once_corrected_with_their_version_and_drawn_by_month(app, township_admin):
    own = branch_in(app, BENZILAN)
    headers = {"Idempotency-Key": "phone-1"}
    first = township_admin.post("/api/party/activities", json=activity(own), headers=headers)
    again = township_admin.post("/api/party/activities", json=activity(own), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    record = first.get_json()
    assert again.get_json()["id"] == record["id"]
    other = township_admin.post("/api/party/activities", json=activity(own, topic="别的"), headers=headers)
    assert other.status_code == 422

    photo = post_multipart(
        township_admin, f"/api/party/activities/{record['id']}/photos", {"file": (io.BytesIO(PNG), "day.png")}
    )
    assert photo.status_code == 201, photo.get_json()
    resent = post_multipart(
        township_admin, f"/api/party/activities/{record['id']}/photos", {"file": (io.BytesIO(PNG), "day.png")}
    )
    assert resent.status_code == 200 and resent.get_json()["id"] == photo.get_json()["id"]  # a retry: still one
    fake = post_multipart(
        township_admin, f"/api/party/activities/{record['id']}/photos", {"file": (io.BytesIO(b"<svg/>"), "x.png")}
    )
    assert fake.status_code == 415
    served = township_admin.get(f"/api/party/activities/{record['id']}/photos/{photo.get_json()['id']}")
    assert served.data == PNG and served.mimetype == "image/png"

    layer = township_admin.get("/api/party/activities.geojson?month=2026-11").get_json()
    drawn = [f for f in layer["features"] if f["id"] == record["id"]]
    assert drawn and drawn[0]["properties"]["photos"] == 1 and drawn[0]["properties"]["kind"] == "theme_day"
    assert all(f["properties"]["held_on"].startswith("2026-11") for f in layer["features"])
    assert not [f for f in township_admin.get("/api/party/activities.geojson?month=2026-10").get_json()["features"]
                if f["id"] == record["id"]]  # fmt: skip

    moved = township_admin.patch(f"/api/party/activities/{record['id']}", json={"version": 1, "attendance": 20})
    assert moved.status_code == 200 and moved.get_json()["attendance"] == 20
    assert township_admin.patch(f"/api/party/activities/{record['id']}", json={"version": 1}).status_code == 409
    listed = township_admin.get(f"/api/party/branches/{own}/activities").get_json()
    assert record["id"] in [a["id"] for a in listed] and [a["held_on"] for a in listed] == sorted(
        (a["held_on"] for a in listed), reverse=True
    )
    assert audited(app, "party.activity.photo") >= 1 and audited(app, "party.activity.update") >= 1
    assert township_admin.delete(f"/api/party/activities/{record['id']}?version=2").status_code == 204
    assert township_admin.get(f"/api/party/activities/{record['id']}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"held_on": "2099-01-01"}, "held_on"),
        ({"lon": 116.4, "lat": 39.9}, "place"),
        ({"attendance": -1}, "attendance"),
        ({"kind": "party"}, "kind"),
        ({"topic": ""}, "topic"),
        ({"temporary_branch_id": 1}, "branch_id"),
    ],
)
def test_a_bad_activity_is_refused_naming_the_field(app, township_admin, changes, field):
    answer = township_admin.post("/api/party/activities", json=activity(branch_in(app, BENZILAN)) | changes)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["field"] == field


def test_another_townships_branch_gets_no_activity_and_no_project(app, township_admin):
    foreign = branch_in(app, YANGLA)
    assert township_admin.post("/api/party/activities", json=activity(foreign)).status_code == 404
    assert township_admin.post("/api/party/projects", json={"branch_id": foreign, "title": "越权"}).status_code == 404
    assert township_admin.get("/api/party/indicators?code=533422206").status_code == 404
    assert township_admin.get("/api/party/activities.geojson?month=2026-13").status_code == 400
    bad_month = township_admin.get("/party?month=2026-1x")
    assert bad_month.status_code == 400 and "YYYY-MM" in bad_month.get_data(as_text=True)


def test_a_state_change_needs_the_csrf_token(app, township_admin):
    del township_admin.environ_base["HTTP_X_CSRFTOKEN"]
    answer = township_admin.post("/api/party/activities", json=activity(branch_in(app, BENZILAN)))
    assert answer.status_code == 400 and "CSRF" in answer.get_json()["error"]


def test_a_secretary_led_project_with_milestones_and_its_status_on_the_map(app, township_admin):
    own = branch_in(app, BENZILAN)
    outside = township_admin.post(
        "/api/party/projects", json={"branch_id": own, "title": "跨乡", "grid_codes": ["533422206"]}
    )
    assert outside.status_code == 403
    created = township_admin.post(
        "/api/party/projects",
        json={"branch_id": own, "title": "葡萄基地道路", "goal": "硬化 3 公里", "status": "under_way", "progress": 25,
              "milestones": [{"title": "摸底", "due": "2026-10-01", "done": True, "done_on": "2026-09-20"},
                             {"title": "施工", "due": "2027-03-01"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    project = created.get_json()
    assert project["grid_codes"] == [project["area_code"]] and project["milestones"][0]["done"] is True
    unknown = township_admin.patch(
        f"/api/party/projects/{project['id']}",
        json={"version": 1, "title": "葡萄基地道路", "incident_tickets": ["DQ-1999-999999"]},
    )
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "incident_tickets"
    done = township_admin.patch(
        f"/api/party/projects/{project['id']}",
        json={"version": 1, "title": "葡萄基地道路", "status": "done", "progress": 100},
    )
    assert done.status_code == 200 and done.get_json()["version"] == 2
    drawn = township_admin.get("/api/party/projects.geojson").get_json()["features"]
    assert [f["properties"]["status"] for f in drawn if f["id"] == project["id"]] == ["done"]
    assert township_admin.delete(f"/api/party/projects/{project['id']}?version=2").status_code == 204


def test_the_api_is_in_the_openapi_document(anonymous):
    paths = anonymous.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/party/branches", "/api/party/branches/{branch_id}/members", "/api/party/activities",
                 "/api/party/projects", "/api/party/indicators", "/api/party/activities.geojson"):  # fmt: skip
        assert path in paths


def test_the_phone_form_saves_the_activity_and_its_photo_together_or_not_at_all(app, township_admin):
    own = branch_in(app, BENZILAN)
    form = {key: str(value) for key, value in activity(own).items() if key != "branch_id"}
    form |= {"branch": f"b:{own}", "key": "form-1"}
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(PartyActivity))
    refused = post_multipart(township_admin, "/party/record", form | {"file": (io.BytesIO(b"GIF89a"), "x.gif")})
    assert refused.status_code == 415 and "照片" in refused.get_data(as_text=True)
    # What was typed stays in the form; nothing was written.
    assert "学习民族团结政策" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PartyActivity)) == before
    future = post_multipart(township_admin, "/party/record", form | {"held_on": "2099-01-01"})
    assert future.status_code == 400
    saved = post_multipart(township_admin, "/party/record", form | {"file": (io.BytesIO(PNG), "day.png")})
    assert saved.status_code == 302 and "recorded=" in saved.headers["Location"]
    again = post_multipart(township_admin, "/party/record", form | {"file": (io.BytesIO(PNG), "day.png")})
    assert again.status_code == 302 and again.headers["Location"] == saved.headers["Location"]
    with app.app_context():
        kept = db.session.scalars(select(PartyActivity).where(PartyActivity.client_key == "form-1")).one()
        assert len(kept.photos) == 1


def test_a_harvest_hills_temporary_branch_records_its_theme_day(app, township_admin, client_as):
    with app.app_context():
        hill, code, lon, lat = db.session.execute(
            select(TemporaryBranch.id, SeasonalZone.area_code, func.ST_X(func.ST_PointOnSurface(SeasonalZone.geom)),
                   func.ST_Y(func.ST_PointOnSurface(SeasonalZone.geom)))
            .join(SeasonalZone, SeasonalZone.id == TemporaryBranch.zone_id)
            .where(SeasonalZone.area_code.startswith(YANGLA))
            .limit(1)
        ).one()  # fmt: skip
    on_the_hill = activity(0, lon=lon, lat=lat) | {"branch_id": None, "temporary_branch_id": hill}
    # Not for Benzilan's admin: the hill lies in Yangla.
    assert township_admin.post("/api/party/activities", json=on_the_hill).status_code == 404
    admin = client_as("admin")
    token = {"X-CSRFToken": csrf_token_of(admin, "/")}
    created = admin.post("/api/party/activities", json=on_the_hill, headers=token)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["area_code"] == code
    listed = admin.get(f"/api/party/temporary-branches/{hill}/activities").get_json()
    assert created.get_json()["id"] in [a["id"] for a in listed]
    assert township_admin.get(f"/api/party/temporary-branches/{hill}/activities").status_code == 404
    assert "临时党支部" in admin.get("/party/record").get_data(as_text=True)
