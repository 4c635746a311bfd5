"""The village party organisations on the API and the pages: listed and shown inside the jurisdiction, in Chinese
and English, founded and corrected by admins with their version and the CSRF token, refusals named, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from extensions import db, db_session
from geo.accounts.models import Role
from geo.accounts.users import create_user
from geo.core.models import AuditEvent
from geo.grid.models import Grid, PartyBranch
from geo.party.models import VillageBranch
from tests.conftest import csrf_token_of, sign_in

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
