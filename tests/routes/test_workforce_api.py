"""The workforce API: training CRUD within the jurisdiction, the import, points, forces, co-handlers, duty list,
cross-net duplicates; every change audited, every read scoped."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from extensions import db, db_session
from geo.accounts.sessions import create_token
from geo.accounts.users import create_user
from geo.core.models import AuditEvent
from geo.grid.models import Grid, GridWorker
from geo.workforce.models import TrainingRecord
from tests.conftest import csrf_token_of, post_multipart

YANGLA_VILLAGE = "533422206001"
BENZILAN = "533422102"
BENZILAN_SEAT = (99.2991, 28.2446)


@pytest.fixture
def bearer(app):
    """Authorization headers for a new API token of ``username``, made with its account if ``role`` is given."""

    def make(username: str, role: str | None = None, jurisdiction: str = "533422", **extra) -> dict[str, str]:
        with app.app_context():
            if role:
                create_user(
                    db_session(),
                    username=username,
                    password=f"{username}-test-2026",
                    role=role,
                    jurisdiction=jurisdiction,
                    nets=extra.pop("nets", ["social", "rural"]),
                    actor="tests",
                    **extra,
                )
            token = create_token(db_session(), username, "workforce test", actor="tests")
            db_session().commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def worker_in(app, prefix: str) -> str:
    with app.app_context():
        return db.session.scalars(
            select(GridWorker.code).join(Grid).where(Grid.code.startswith(prefix)).order_by(GridWorker.code).limit(1)
        ).one()


def training(worker: str, **changes) -> dict:
    return {
        "worker": worker,
        "course": "矛盾纠纷调解实务",
        "topic": "mediation",
        "hours": "4",
        "held_on": "2001-05-04",
    } | changes


def test_training_crud_through_the_api_within_the_jurisdiction(app, anonymous, bearer):
    admin = bearer("admin")
    worker = worker_in(app, YANGLA_VILLAGE)
    made = anonymous.post("/api/workforce/trainings", json=training(worker), headers=admin)
    assert made.status_code == 201, made.json
    record = made.json
    assert (record["worker"], record["hours"], record["topic"]) == (worker, 4.0, "mediation")
    again = anonymous.post("/api/workforce/trainings", json=training(worker), headers=admin)
    assert again.status_code == 409
    listed = anonymous.get(f"/api/workforce/trainings?worker={worker}", headers=admin).json["items"]
    assert record["id"] in [t["id"] for t in listed]
    changed = anonymous.patch(
        f"/api/workforce/trainings/{record['id']}",
        json=training(worker, hours="6", version=record["version"]),
        headers=admin,
    )
    assert changed.status_code == 200 and changed.json["hours"] == 6.0
    stale = anonymous.patch(
        f"/api/workforce/trainings/{record['id']}", json=training(worker, version=record["version"]), headers=admin
    )
    assert stale.status_code == 409
    gone = anonymous.delete(f"/api/workforce/trainings/{record['id']}?version={changed.json['version']}", headers=admin)
    assert gone.status_code == 204
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "training_record", AuditEvent.entity_id == str(record["id"]))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["training.create", "training.update", "training.delete"]


def test_a_township_admin_changes_only_its_own_workers_and_sees_no_others(app, anonymous, bearer):
    township = bearer("bzl-admin", role="admin", jurisdiction=BENZILAN, nets=["social", "religious", "rural"])
    outside = worker_in(app, YANGLA_VILLAGE)
    inside = worker_in(app, BENZILAN + "001")
    refused = anonymous.post("/api/workforce/trainings", json=training(outside), headers=township)
    assert refused.status_code == 404  # a worker outside the jurisdiction is as if absent
    assert anonymous.post("/api/workforce/trainings", json=training(inside), headers=township).status_code == 201
    assert anonymous.get(f"/api/workforce/workers/{outside}", headers=township).status_code == 404
    profile = anonymous.get(f"/api/workforce/workers/{inside}", headers=township).json
    assert profile["phone"] and profile["trainings"]
    listed = anonymous.get("/api/workforce/trainings", headers=township).json["items"]
    assert listed and all(t["worker"] != outside for t in listed)


def test_dispatchers_and_viewers_read_but_do_not_record_training(app, client, client_as):
    worker = worker_in(app, YANGLA_VILLAGE)
    assert client.get("/api/workforce/points").status_code == 200
    assert client_as("viewer").get("/api/workforce/coverage?period=2026").status_code == 200
    refused = client.post(
        "/api/workforce/trainings", json=training(worker), headers={"X-CSRFToken": csrf_token_of(client, "/")}
    )
    assert refused.status_code == 403
    assert client_as("worker").get("/api/workforce/points").status_code == 403


def test_bad_training_input_is_refused_naming_the_field_in_chinese(app, client_as):
    admin = client_as("admin")
    worker = worker_in(app, YANGLA_VILLAGE)
    headers = {"X-CSRFToken": csrf_token_of(admin, "/")}
    for change, field in [
        ({"hours": "-1"}, "hours"),
        ({"topic": "厨艺"}, "topic"),
        ({"held_on": "2001-02-30"}, "held_on"),
    ]:
        answer = admin.post("/api/workforce/trainings", json=training(worker, **change), headers=headers)
        assert answer.status_code in (400, 422), answer.json
        assert answer.json["field"] == field
    unknown = admin.post("/api/workforce/trainings", json=training(worker, topic="厨艺"), headers=headers)
    assert "未知" in unknown.json["error"]


def test_the_import_endpoint_dry_runs_by_default_and_imports_all_or_nothing(app, anonymous, bearer):
    admin = bearer("admin")
    worker = worker_in(app, YANGLA_VILLAGE)
    good = f"网格员编号,姓名,课程,主题,学时,日期,证书编号\n{worker},,法律政策培训,法律政策,4,2001-03-01,\n"
    bad = good + "W9999,,法律政策培训,法律政策,4,2001-03-01,\n"

    def send(body: str, dry_run: bool):
        return anonymous.post(
            f"/api/workforce/trainings/import?dry_run={'true' if dry_run else 'false'}",
            data={"file": (io.BytesIO(body.encode()), "培训.csv")},
            content_type="multipart/form-data",
            headers=admin,
        )

    with app.app_context():
        before = db.session.scalars(select(func.count()).select_from(TrainingRecord)).one()
    checked = send(bad, dry_run=True)
    assert checked.status_code == 200
    assert (checked.json["rows"], checked.json["valid"]) == (2, 1)
    assert checked.json["problems"][0]["row"] == 3
    assert "W9999" in checked.json["problems"][0]["message"]
    refused = send(bad, dry_run=False)
    assert refused.status_code == 422 and refused.json["details"][0]["row"] == 3
    assert send(good, dry_run=False).json["imported"] == 1
    with app.app_context():
        assert db.session.scalars(select(func.count()).select_from(TrainingRecord)).one() == before + 1
    exported = anonymous.get("/api/workforce/trainings?format=xlsx&since=2001-01-01&until=2001-12-31", headers=admin)
    assert exported.status_code == 200 and exported.data.startswith(b"PK\x03\x04")


def test_points_rules_are_versioned_by_county_admins(client_as):
    admin = client_as("admin")
    headers = {"X-CSRFToken": csrf_token_of(admin, "/")}
    current = admin.get("/api/workforce/points-rules").json
    made = admin.post(
        "/api/workforce/points-rules", json={"per_training_hour": 1.0, "note": "加大培训激励"}, headers=headers
    )
    assert made.status_code == 201
    assert made.json["version"] == current["version"] + 1 and made.json["per_grade"] == current["per_grade"]
    assert admin.get("/api/workforce/points?period=2026").json["rules_version"] == made.json["version"]
    dispatcher = client_as("dispatcher")
    refused = dispatcher.post(
        "/api/workforce/points-rules",
        json={"per_training_hour": 9},
        headers={"X-CSRFToken": csrf_token_of(dispatcher, "/")},
    )
    assert refused.status_code == 403


def test_forces_register_with_protected_contacts_and_draw_on_the_map(app, anonymous, bearer):
    admin = bearer("admin")
    made = anonymous.post(
        "/api/workforce/forces",
        json={
            "kind": "mediator",
            "name": "测试调解员",
            "grid": YANGLA_VILLAGE,
            "phone": "13900001111",
            "lon": 99.1,
            "lat": 28.9,
        },
        headers=admin,
    )
    assert made.status_code == 201, made.json
    township = bearer("bzl-viewer", role="viewer", jurisdiction=BENZILAN)
    listed = anonymous.get("/api/workforce/forces", headers=township).json
    assert listed and all(f["grid_code"].startswith(BENZILAN) and f["phone"] for f in listed)
    assert made.json["code"] not in [f["code"] for f in listed]
    layer = anonymous.get("/api/workforce/forces/map?kind=mediator", headers=admin)
    assert layer.mimetype == "application/geo+json"
    feature = next(f for f in layer.json["features"] if f["id"] == made.json["code"])
    assert "phone" not in feature["properties"]


def test_the_co_handler_sees_only_its_cases_and_its_note_reaches_the_dispatcher(app, client, client_as):
    ranger = client_as("ranger")
    cases = ranger.get("/api/workforce/co-handled").json
    assert cases, "the demo's ranger co-handles open cases"
    tickets = {c["ticket"] for c in cases}
    listed = {i["ticket"] for i in ranger.get("/api/incidents?per_page=500").json["items"]}
    assert listed == tickets  # the co-handled cases, all open: nothing else
    assert ranger.get("/dispatch").status_code == 403
    ticket = cases[0]["ticket"]
    note = ranger.post(
        f"/api/workforce/co-handled/{ticket}/note",
        json={"version": cases[0]["version"], "note": "护林员已巡查现场"},
        headers={"X-CSRFToken": csrf_token_of(ranger, "/co")},
    )
    assert note.status_code == 200, note.json
    history = client.get(f"/api/incidents/{ticket}").json["history"]
    assert history[-1]["note"] == "护林员已巡查现场" and history[-1]["actor"] == "ranger"
    support = client.get(f"/api/workforce/incidents/{ticket}/support").json
    assert support["co_handlers"] and support["co_handlers"][0]["kind"] == "forest_ranger"
    # Another open case of the same village that the ranger does not co-handle answers as if absent.
    other = client.get("/api/incidents?grid=533422102001&per_page=50").json
    stranger = next(i["ticket"] for i in other["items"] if i["ticket"] not in tickets)
    assert ranger.get(f"/api/incidents/{stranger}").status_code == 404


def test_the_dispatcher_adds_a_co_handler_from_the_grids_forces(app, client):
    headers = {"X-CSRFToken": csrf_token_of(client, "/")}
    made = client.post(
        "/api/incidents",
        json={
            "net": "social",
            "category": "dispute",
            "title": "草场纠纷",
            "lon": BENZILAN_SEAT[0],
            "lat": BENZILAN_SEAT[1],
        },
        headers=headers,
    ).json
    support = client.get(f"/api/workforce/incidents/{made['ticket']}/support").json
    assert support["lead_net"] == "social" and "mediator" in support["supporting_forces"]
    mediator = next(f for f in support["forces"] if f["kind"] == "mediator")
    assert mediator["supports"]
    added = client.post(
        f"/api/workforce/incidents/{made['ticket']}/co-handlers", json={"member": mediator["code"]}, headers=headers
    )
    assert added.status_code == 200
    assert added.json["history"][-1]["action"] == "co_handler_add"
    removed = client.delete(
        f"/api/workforce/incidents/{made['ticket']}/co-handlers/{mediator['code']}", headers=headers
    )
    assert removed.status_code == 200
    assert client.get(f"/api/workforce/incidents/{made['ticket']}/support").json["co_handlers"] == []


def test_the_duty_list_is_set_by_county_admins_and_routes_by_the_lead_post(app, client_as):
    admin = client_as("admin")
    headers = {"X-CSRFToken": csrf_token_of(admin, "/")}
    entry = next(d for d in admin.get("/api/workforce/duty").json if d["category"] == "livelihood")
    changed = admin.put(
        "/api/workforce/duty/livelihood",
        json={
            "lead_post": "乡镇专职网格员",
            "supporting_nets": ["rural"],
            "supporting_forces": ["volunteer"],
            "version": entry["version"],
        },
        headers=headers,
    )
    assert changed.status_code == 200, changed.json
    stale = admin.put(
        "/api/workforce/duty/livelihood", json={"lead_post": "", "version": entry["version"]}, headers=headers
    )
    assert stale.status_code == 409
    unknown = admin.put(
        "/api/workforce/duty/livelihood",
        json={"lead_post": "村长", "version": changed.json["version"]},
        headers=headers,
    )
    assert unknown.status_code == 400 and unknown.json["field"] == "lead_post"
    made = admin.post(
        "/api/incidents",
        json={
            "net": "social",
            "category": "livelihood",
            "title": "饮水困难",
            "lon": BENZILAN_SEAT[0],
            "lat": BENZILAN_SEAT[1],
        },
        headers=headers,
    ).json
    with app.app_context():
        post = db.session.scalar(select(GridWorker.post).where(GridWorker.code == made["assignee"]))
    assert post == "乡镇专职网格员"


def test_cross_net_duplicates_are_listed_and_merged_through_the_api(client):
    headers = {"X-CSRFToken": csrf_token_of(client, "/")}

    def report(net: str, category: str, lon: float) -> dict:
        body = {"net": net, "category": category, "title": "塌方", "lon": lon, "lat": BENZILAN_SEAT[1]}
        return client.post("/api/incidents", json=body, headers=headers).json

    social = report("social", "safety_hazard", BENZILAN_SEAT[0])
    rural = report("rural", "infrastructure", BENZILAN_SEAT[0] + 0.001)
    pairs = client.get("/api/workforce/duplicates?grid=533422102").json
    assert any({p["first"]["ticket"], p["second"]["ticket"]} == {social["ticket"], rural["ticket"]} for p in pairs)
    merged = client.post(
        "/api/workforce/duplicates/merge",
        json={
            "keep": social["ticket"],
            "merged": rural["ticket"],
            "keep_version": social["version"],
            "merged_version": rural["version"],
        },
        headers=headers,
    )
    assert merged.status_code == 200, merged.json
    assert client.get(f"/api/incidents/{rural['ticket']}").json["status"] == "duplicate"


def test_the_pages_import_form_names_bad_rows_in_chinese_and_imports_good_sheets(app, client_as):
    admin = client_as("admin")
    worker = worker_in(app, YANGLA_VILLAGE)
    header = "网格员编号,姓名,课程,主题,学时,日期,证书编号\n"
    bad = header + f"{worker},,法律政策培训,法律政策,-2,2001-03-01,\n"
    page = post_multipart(admin, "/workforce/import", {"file": (io.BytesIO(bad.encode()), "培训.csv"), "commit": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="import-problems"' in html and "学时须大于 0" in html
    good = header + f"{worker},,法律政策培训,法律政策,2,2001-03-01,\n"
    page = post_multipart(admin, "/workforce/import", {"file": (io.BytesIO(good.encode()), "培训.csv"), "commit": "1"})
    assert "已导入 1 条" in page.get_data(as_text=True)
    assert client_as("dispatcher").get("/workforce").status_code == 200
    assert client_as("worker").get("/workforce").status_code == 403


def test_a_co_handler_reads_no_phone_numbers_of_the_grid(client_as):
    ranger = client_as("ranger")
    grid = ranger.get("/api/grids/533422102001001")
    assert grid.status_code == 200
    workers = grid.get_json()["workers"]
    assert workers and all(not w.get("phone") for w in workers)
    admin_view = client_as("admin").get("/api/grids/533422102001001").get_json()
    assert all(w["phone"] for w in admin_view["workers"])


def test_a_commendation_sent_twice_is_kept_once_and_others_jurisdictions_are_refused(app, bearer):
    worker = worker_in(app, BENZILAN)
    admin = bearer("admin")
    commendation = {"kind": "commendation", "title": "调解能手", "awarded_on": "2026-11-20", "body": "县委政法委"}
    first = app.test_client().post(f"/api/workforce/workers/{worker}/recognitions", json=commendation, headers=admin)
    again = app.test_client().post(f"/api/workforce/workers/{worker}/recognitions", json=commendation, headers=admin)
    assert first.status_code == again.status_code == 201
    kept = [r for r in again.get_json()["recognitions"] if r["title"] == "调解能手"]
    assert len(kept) == 1
    with app.app_context():
        audited = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "worker.commendation", AuditEvent.entity_id == worker)
        )
    assert audited == 1
    bad = app.test_client().post(
        f"/api/workforce/workers/{worker}/recognitions", json={**commendation, "kind": "medal"}, headers=admin
    )
    assert bad.status_code in (400, 422) and bad.get_json()["field"] == "kind"
    yangla = bearer("yangla-hr", role="admin", jurisdiction="533422206")
    outside = app.test_client().post(f"/api/workforce/workers/{worker}/recognitions", json=commendation, headers=yangla)
    assert outside.status_code == 404
