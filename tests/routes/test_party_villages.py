"""The village party organisations on the API and the pages: listed and shown inside the jurisdiction, in Chinese
and English, founded and corrected by admins with their version and the CSRF token, refusals named, audited."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import delete, func, select, update

from extensions import db, db_session
from geo.accounts.models import Role
from geo.accounts.users import create_user
from geo.core.models import AuditEvent
from geo.grid.models import Grid, PartyBranch
from geo.party.models import PartyActivity, VillageBranch
from tests.conftest import csrf_token_of, post_multipart, sign_in

BENZILAN = "533422102"
YANGLA = "533422206"


@pytest.fixture
def township_admin(app):
    """An admin of 奔子栏镇, signed in with the CSRF token; rolled back with the test."""
    with app.app_context():
        create_user(
            db_session(), username="bzl-village-admin", password="bzl-village-admin-2026", role=Role.ADMIN,
            jurisdiction=BENZILAN, nets=["social", "rural"], actor="test",
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "bzl-village-admin", "bzl-village-admin-2026").status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_of(client, "/")
    return client


def organisation_in(app, township: str) -> tuple[int, str, int]:
    """The first village organisation of ``township``: (id, village code, version)."""
    with app.app_context():
        row = db.session.execute(
            select(VillageBranch.id, Grid.code, VillageBranch.version)
            .join(Grid, Grid.id == VillageBranch.grid_id)
            .where(Grid.code.startswith(township))
            .order_by(Grid.code)
            .limit(1)
        ).one()
        return row[0], row[1], row[2]


def test_a_township_admin_lists_and_opens_its_villages_only(app, township_admin):
    own, code, _ = organisation_in(app, BENZILAN)
    foreign, _, _ = organisation_in(app, YANGLA)
    listed = township_admin.get("/api/party/village-branches").get_json()
    assert own in [v["id"] for v in listed] and all(v["grid_code"].startswith(BENZILAN) for v in listed)
    assert township_admin.get(f"/api/party/village-branches/{foreign}").status_code == 404
    assert township_admin.get(f"/party/villages/{foreign}").status_code == 404
    page = township_admin.get(f"/party/villages/{own}").get_data(as_text=True)
    assert code in page and "小组党支部" in page and 'id="village-form"' in page
    english = township_admin.get(f"/party/villages/{own}?lang=en").get_data(as_text=True)
    assert "Group branches" in english or "group branches" in english.lower()
    assert "村（社区）党组织" in township_admin.get("/party?lang=zh").get_data(as_text=True)


def test_a_viewer_reads_but_gets_no_form_and_cannot_change(app, client_as):
    own, _, version = organisation_in(app, BENZILAN)
    viewer = client_as("viewer")
    assert 'id="village-form"' not in viewer.get(f"/party/villages/{own}").get_data(as_text=True)
    token = csrf_token_of(viewer, "/")
    refused = viewer.patch(
        f"/api/party/village-branches/{own}",
        json={"version": version, "secretary": "某"},
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 403


def test_an_edit_needs_the_csrf_token_and_the_version_read(app, township_admin):
    own, _, version = organisation_in(app, BENZILAN)
    bare = app.test_client()
    bare.set_cookie("session", township_admin.get_cookie("session").value)
    assert bare.patch(f"/api/party/village-branches/{own}", json={"version": version}).status_code in (400, 403)

    changed = township_admin.patch(
        f"/api/party/village-branches/{own}", json={"version": version, "kind": "committee", "secretary": "扎西"}
    )
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["kind"], changed.get_json()["secretary"]) == ("committee", "扎西")
    stale = township_admin.patch(f"/api/party/village-branches/{own}", json={"version": version, "secretary": "次仁"})
    assert stale.status_code == 409
    assert "村党组织" in stale.get_json()["error"] and "member" not in stale.get_json()["error"]
    bad = township_admin.patch(f"/api/party/village-branches/{own}", json={"version": version + 1, "kind": "cell"})
    assert bad.status_code in (400, 422) and "kind" in str(bad.get_json())
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(
                    AuditEvent.action == "party.village.update", AuditEvent.entity_id == str(own)
                )
            )
            == 1
        )


def test_a_village_without_an_organisation_is_offered_and_founded_once(app, township_admin):
    own, code, _ = organisation_in(app, BENZILAN)
    with app.app_context():
        db.session.execute(delete(VillageBranch).where(VillageBranch.id == own))
        db.session.commit()
    page = township_admin.get("/party").get_data(as_text=True)
    assert 'id="village-create"' in page and f'value="{code}"' in page
    body = {"village": code, "name": "中共测试村总支部委员会", "kind": "general_branch", "secretary": "卓玛"}
    founded = township_admin.post("/api/party/village-branches", json=body)
    assert founded.status_code == 201, founded.get_json()
    assert founded.get_json()["grid_code"] == code and founded.get_json()["secretary"] == "卓玛"
    again = township_admin.post("/api/party/village-branches", json=body)
    assert again.status_code == 409
    outside = township_admin.post("/api/party/village-branches", json={**body, "village": YANGLA + "001"})
    assert outside.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "party.village.create")) == 1


def test_a_groups_staff_see_the_organisation_above_by_name_only(app):
    own, code, _ = organisation_in(app, BENZILAN)
    with app.app_context():
        group = db.session.scalar(
            select(Grid.code)
            .join(PartyBranch, PartyBranch.grid_id == Grid.id)
            .where(Grid.code.startswith(code))
            .order_by(Grid.code)
            .limit(1)
        )
        assert group is not None
        secretary = db.session.scalar(select(VillageBranch.secretary).where(VillageBranch.id == own))
        create_user(
            db_session(), username="bzl-group-staff", password="bzl-group-staff-2026", role=Role.DISPATCHER,
            jurisdiction=group, nets=["social"], actor="test",
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "bzl-group-staff", "bzl-group-staff-2026").status_code == 302
    seen = client.get(f"/api/party/village-branches/{own}").get_json()
    assert seen["name_only"] and "secretary" not in seen and "members" not in seen
    page = client.get(f"/party/villages/{own}").get_data(as_text=True)
    assert seen["name"] in page and "小组党支部" not in page and 'id="village-form"' not in page
    assert not secretary or secretary not in page


def group_below(app, village_code: str) -> tuple[int, str]:
    """The first group branch of the village: (its id, its group's code)."""
    with app.app_context():
        row = db.session.execute(
            select(PartyBranch.id, Grid.code)
            .join(Grid, Grid.id == PartyBranch.grid_id)
            .where(Grid.code.startswith(village_code))
            .order_by(Grid.code)
            .limit(1)
        ).one()
        return row[0], row[1]


def signed_in(app, username: str, role: Role, jurisdiction: str):
    with app.app_context():
        create_user(
            db_session(), username=username, password=f"{username}-2026-pass", role=role, jurisdiction=jurisdiction,
            nets=["social"], actor="test",
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, username, f"{username}-2026-pass").status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_of(client, "/")
    return client


THEME_DAY = {
    "kind": "theme_day", "held_on": "2026-11-05", "topic": "全村主题党日：学习民族团结政策", "attendance": 64,
    "place_name": "村党群服务中心", "lon": 99.2991, "lat": 28.2446,
}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_village_organisation_records_its_own_activity_on_the_api_and_its_page(app, township_admin):
    own, code, _ = organisation_in(app, BENZILAN)
    created = township_admin.post("/api/party/activities", json={**THEME_DAY, "village_branch_id": own})
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert (record["village_branch_id"], record["branch_id"], record["area_code"]) == (own, None, code)
    photo = post_multipart(township_admin, f"/api/party/activities/{record['id']}/photos",
                           {"file": (io.BytesIO(PNG), "day.png")})  # fmt: skip
    assert photo.status_code == 201
    corrected = township_admin.patch(f"/api/party/activities/{record['id']}", json={"version": 1, "attendance": 70})
    assert corrected.status_code == 200 and corrected.get_json()["attendance"] == 70
    listed = township_admin.get(f"/api/party/village-branches/{own}/activities").get_json()
    assert record["id"] in [a["id"] for a in listed]
    detail = township_admin.get(f"/api/party/village-branches/{own}").get_json()
    assert detail["own_activities"] >= 1 and detail["last_activity"] >= "2026-11-05" and not detail["quiet"]

    page = township_admin.get(f"/party/villages/{own}?lang=zh").get_data(as_text=True)
    assert "全村主题党日：学习民族团结政策" in page and "day.png" in page and "本组织活动" in page
    assert 'id="activity-record"' in page and f'value="v:{own}"' in page and 'value="b:' not in page
    assert "Activities of the organisation" in township_admin.get(f"/party/villages/{own}?lang=en").get_data(
        as_text=True
    )
    assert f'value="v:{own}"' in township_admin.get("/party/record?lang=zh").get_data(as_text=True)

    # The page's form without JavaScript: saved with its photo, back to the village's page; a resend records once.
    form = {key: str(value) for key, value in THEME_DAY.items()} | {"branch": f"v:{own}", "key": "village-form-1"}
    saved = post_multipart(township_admin, "/party/record", form | {"file": (io.BytesIO(PNG), "v.png")})
    assert saved.status_code == 302 and f"/party/villages/{own}?recorded=" in saved.headers["Location"]
    again = post_multipart(township_admin, "/party/record", form | {"file": (io.BytesIO(PNG), "v.png")})
    assert again.headers["Location"] == saved.headers["Location"]
    with app.app_context():
        kept = db.session.scalars(select(PartyActivity).where(PartyActivity.client_key == "village-form-1")).one()
        assert kept.village_branch_id == own and len(kept.photos) == 1
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity == "party_activity", AuditEvent.actor == "bzl-village-admin"
            )
        ).all()
    assert sorted(set(actions)) == ["party.activity.create", "party.activity.photo", "party.activity.update"]


def test_a_groups_staff_see_neither_the_villages_activities_nor_its_secretary(app, township_admin):
    own, code, _ = organisation_in(app, BENZILAN)
    branch, group = group_below(app, code)
    with app.app_context():
        db.session.execute(update(VillageBranch).where(VillageBranch.id == own).values(secretary="鲁茸次里"))
        db.session.commit()
    record = township_admin.post("/api/party/activities", json={**THEME_DAY, "village_branch_id": own}).get_json()
    # The township sees the secretary above the group's branch.
    assert "鲁茸次里" in township_admin.get(f"/party/branches/{branch}").get_data(as_text=True)

    for role in (Role.DISPATCHER, Role.ADMIN):
        staff = signed_in(app, f"group-{role.value}", role, group)
        page = staff.get(f"/party/branches/{branch}").get_data(as_text=True)
        assert "上级党组织" in page and f"/party/villages/{own}" in page and "鲁茸次里" not in page
        village_page = staff.get(f"/party/villages/{own}").get_data(as_text=True)
        assert "鲁茸次里" not in village_page and THEME_DAY["topic"] not in village_page
        assert 'id="activity-record"' not in village_page
        assert staff.get(f"/api/party/village-branches/{own}/activities").status_code == 404
        assert staff.get(f"/api/party/activities/{record['id']}").status_code == 404
        month = staff.get("/api/party/activities.geojson?month=2026-11").get_json()["features"]
        assert record["id"] not in [f["id"] for f in month]
    refused = staff.post("/api/party/activities", json={**THEME_DAY, "village_branch_id": own})
    assert refused.status_code == 404
    assert f'value="v:{own}"' not in staff.get("/party/record").get_data(as_text=True)


# Every field of the village-branch API, each way it can be wrong: (body, field, what the Chinese says, English).
BAD_FIELDS = [
    ({"secretary": 5}, "secretary", "书记：须为文字", "secretary: Not a valid string."),
    ({"secretary": ["扎西"]}, "secretary", "书记：须为文字", "secretary: Not a valid string."),
    ({"secretary": {"zh": "扎西"}}, "secretary", "书记：须为文字", "secretary: Not a valid string."),
    ({"secretary": None}, "secretary", "书记：", "secretary: Field may not be null."),
    ({"secretary": "扎" * 51}, "secretary", "书记：", "secretary: Longer than maximum length 50."),
    ({"name": 5}, "name", "须为文字", "name: Not a valid string."),
    ({"name": ""}, "name", "1", "name: Length must be between 1 and 100."),
    ({"name": "村" * 101}, "name", "100", "name: Length must be between 1 and 100."),
    ({"name": True}, "name", "须为文字", "name: Not a valid string."),
    ({"kind": 5}, "kind", "类型：须为文字", "kind: Not a valid string."),
    ({"kind": ""}, "kind", "类型：", "kind: Must be one of: general_branch, committee."),
    ({"kind": "x" * 200}, "kind", "类型：", "kind: Must be one of: general_branch, committee."),
    ({"version": [1]}, "version", "", "version: Not a valid integer."),
    ({"version": None}, "version", "", "version: Field may not be null."),
    ({"version": 2**31}, "version", "", "version: Must be greater than or equal to 0 and less than or equal to"),
    ({"bogus": "x"}, "bogus", "bogus：", "bogus: Unknown field."),
]


@pytest.mark.parametrize(("changes", "field", "chinese", "english"), BAD_FIELDS)
def test_a_bad_field_of_the_village_api_is_named_with_what_is_wrong(app, township_admin, changes, field, chinese,
                                                                     english):  # fmt: skip
    own, code, version = organisation_in(app, BENZILAN)
    patched = {"version": version, **changes}
    founding = {"village": code, "name": "中共测试村总支部委员会", "kind": "general_branch", **changes}
    founding.pop("version", None) if field == "version" else None
    calls = [("PATCH", f"/api/party/village-branches/{own}", patched)]
    if field != "version":
        calls.append(("POST", "/api/party/village-branches", founding))
    for method, path, body in calls:
        for lang, expected in (("zh", chinese), ("en", english)):
            answer = township_admin.open(f"{path}?lang={lang}", method=method, json=body)
            assert answer.status_code == 400, (method, answer.get_json())
            said = answer.get_json()
            assert said["field"] == field and expected in said["error"], (method, lang, said)
            if lang == "zh":
                assert "Not a valid" not in said["error"] and "Length" not in said["error"]
    with app.app_context():
        assert db.session.scalar(select(VillageBranch.version).where(VillageBranch.id == own)) == version


def test_an_empty_secretary_clears_it(app, township_admin):
    own, _, version = organisation_in(app, BENZILAN)
    cleared = township_admin.patch(f"/api/party/village-branches/{own}", json={"version": version, "secretary": " "})
    assert cleared.status_code == 200 and cleared.get_json()["secretary"] is None
