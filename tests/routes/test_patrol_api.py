"""The patrol API and pages over HTTP: zones on a date, bad windows, hotspots, tasks, check-ins, briefings."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import csrf_token_of

JUNE = "2026-06-15"


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def fungus_hills(client, day):
    zones = client.get(f"/api/patrol/zones?on={day}").get_json()["features"]
    return [z for z in zones if z["properties"]["kind"] == "caterpillar_fungus"]


def test_the_harvest_hills_open_in_june_and_close_in_november(client_as):
    client = client_as("patrol")
    june = fungus_hills(client, JUNE)
    assert june and all(z["properties"]["active"] for z in june)
    assert all(
        z["properties"]["area_code"].startswith("533422206") or len(z["properties"]["area_code"]) == 6 for z in june
    )
    assert all(z["properties"]["teams"] and z["properties"]["branches"] and z["properties"]["sites"] for z in june)
    assert any(z["properties"]["is_border"] for z in june)
    assert not any(z["properties"]["active"] for z in fungus_hills(client, "2026-11-26"))


def test_only_some_roles_see_patrol_pages(client_as):
    assert client_as("worker").get("/patrol").status_code == 403
    assert client_as("worker").get("/patrol/my").status_code == 200
    assert client_as("patrol").get(f"/patrol?date={JUNE}").status_code == 200
    assert client_as("patrol").get("/patrol?date=June").status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"windows": [{"start": "02-30", "end": "07-05"}]}, "windows.start"),
        ({"windows": "all summer"}, "windows"),
        ({"overrides": {"2026": {"start": "2026-07-01", "end": "2026-05-01"}}}, "overrides"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[500000, 3e6], [501000, 3e6], [501000, 3.1e6], [500000, 3e6]]],
                }
            },
            "geometry",
        ),
        ({"kind": "gold_mine"}, "kind"),
    ],
)
def test_bad_zones_are_refused_by_field(client_as, change, field):
    client = client_as("patrol")
    hill = fungus_hills(client, JUNE)[0]
    body = {
        "name_zh": "新虫草山",
        "kind": "caterpillar_fungus",
        "geometry": hill["geometry"],
        "windows": [{"start": "05-01", "end": "06-30"}],
    }
    response = post(client, "/api/patrol/zones", {**body, **change})
    assert 400 <= response.status_code < 500, response.get_json()
    assert response.get_json()["field"] == field


def test_a_zone_is_versioned(client_as):
    client = client_as("patrol")
    hill = fungus_hills(client, JUNE)[0]
    body = {
        "name_zh": "版本测试山",
        "kind": "caterpillar_fungus",
        "geometry": hill["geometry"],
        "windows": [{"start": "05-01", "end": "06-30"}],
    }
    created = post(client, "/api/patrol/zones", body)
    assert created.status_code == 201
    zone = created.get_json()
    changed = client.patch(
        f"/api/patrol/zones/{zone['id']}",
        json={"version": zone["version"], "overrides": {"2026": None}},
        headers={"X-CSRFToken": csrf_token_of(client, "/")},
    )
    assert changed.status_code == 200 and changed.get_json()["overrides"] == {"2026": None}
    stale = client.patch(
        f"/api/patrol/zones/{zone['id']}",
        json={"version": zone["version"], "name_zh": "又改"},
        headers={"X-CSRFToken": csrf_token_of(client, "/")},
    )
    assert stale.status_code == 409


def test_hotspots_for_the_season_and_bad_ranges(client_as):
    client = client_as("patrol")
    answer = client.get("/api/patrol/hotspots?since=2026-04-25&until=2026-07-05").get_json()
    assert answer["stats"]["incidents"] > 0 and answer["stats"]["permutations"] == 999
    assert answer["hotspots"], "the demo's harvest-season cluster in 羊拉 is a hot spot"
    for spot in answer["hotspots"]:
        assert spot["grid"]["code"].startswith("533422206") and spot["trend"] in ("new", "up", "down", "steady")
    empty = client.get("/api/patrol/hotspots?since=2001-01-01&until=2001-02-01").get_json()
    assert empty["hotspots"] == [] and empty["note"]
    assert client.get("/api/patrol/hotspots?since=2026-07-01&until=2026-01-01").status_code == 400
    assert client.get("/api/patrol/hotspots?since=2026-07-01").get_json()["field"] == "until"


def test_a_task_and_a_far_check_in(client_as):
    client = client_as("patrol")
    hill = fungus_hills(client, JUNE)[0]
    team = hill["properties"]["teams"][0]["id"]
    now = datetime.now(UTC).replace(microsecond=0)
    task = post(
        client,
        "/api/patrol/tasks",
        {"team_id": team, "zone_id": hill["id"], "title": "巡山", "starts_at": (now - timedelta(hours=6)).isoformat(),
         "ends_at": (now + timedelta(hours=6)).isoformat()},
    )  # fmt: skip
    assert task.status_code == 201, task.get_json()
    task_id = task.get_json()["id"]
    site = hill["properties"]["sites"][0]
    near = post(
        client, f"/api/patrol/tasks/{task_id}/checkins", {"lon": site["lon"], "lat": site["lat"], "note": "到达卡点"}
    )
    far = post(client, f"/api/patrol/tasks/{task_id}/checkins", {"lon": 98.9, "lat": 28.4, "note": "?"})
    assert near.status_code == far.status_code == 201
    assert not near.get_json()["is_far"] and far.get_json()["is_far"]
    # A check-in kept on a phone without signal, sent later, and sent again after a lost answer.
    seen = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    kept = {"lon": site["lon"], "lat": site["lat"], "note": "山上无信号", "at": seen.isoformat()}
    headers = {"X-CSRFToken": csrf_token_of(client, "/"), "Idempotency-Key": "phone-7-0001"}
    path = f"/api/patrol/tasks/{task_id}/checkins"
    first, again = (client.post(path, json=kept, headers=headers) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200) and first.get_json() == again.get_json()
    future = client.post(
        path, json={**kept, "at": "2099-01-01T00:00:00+08:00"}, headers={"X-CSRFToken": headers["X-CSRFToken"]}
    )
    assert future.status_code == 400 and future.get_json()["field"] == "at"
    listed = {t["id"]: t for t in client.get("/api/patrol/tasks").get_json()}
    # A check-in near its site inside the window makes it visited.
    assert listed[task_id]["state"] == "visited" and len(listed[task_id]["checkins"]) == 3
    flags = {c["note"]: c["flags"] for c in listed[task_id]["checkins"]}
    assert flags == {"到达卡点": [], "?": ["far"], "山上无信号": ["sent_later"]}
    late = next(c for c in listed[task_id]["checkins"] if c["note"] == "山上无信号")
    assert datetime.fromisoformat(late["at"]) == seen and datetime.fromisoformat(late["received_at"]) > seen
    phone = client_as("worker").get("/patrol/my")
    assert phone.status_code == 200


def test_a_check_in_outside_the_window_is_flagged_and_does_not_count(client_as):
    client = client_as("patrol")
    hill = fungus_hills(client, JUNE)[0]
    team = hill["properties"]["teams"][0]["id"]
    site = hill["properties"]["sites"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    windows = {
        "ended": (now - timedelta(days=3), now - timedelta(days=2)),
        "later": (now + timedelta(days=1), now + timedelta(days=2)),
    }
    ids = {}
    for name, (start, end) in windows.items():
        window = {"starts_at": start.isoformat(), "ends_at": end.isoformat()}
        made = post(client, "/api/patrol/tasks", {"team_id": team, "zone_id": hill["id"], "title": name, **window})
        ids[name] = made.get_json()["id"]
        assert (
            post(
                client, f"/api/patrol/tasks/{ids[name]}/checkins", {"lon": site["lon"], "lat": site["lat"]}
            ).status_code
            == 201
        )
    listed = {t["id"]: t for t in client.get("/api/patrol/tasks").get_json()}
    ended, later = listed[ids["ended"]], listed[ids["later"]]
    assert (ended["state"], ended["checkins"][0]["flags"]) == ("missed", ["late"])
    assert (later["state"], later["checkins"][0]["flags"]) == ("pending", ["early"])


def test_the_briefing_prints_with_its_map(client_as):
    client = client_as("patrol")
    hill = fungus_hills(client, JUNE)[0]
    page = client.get(f"/patrol/briefing?zone={hill['id']}&since=2026-04-25&until=2026-07-05")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and hill["properties"]["name_zh"] in html
    assert "briefing/map.png" in html
    png = client.get(f"/patrol/briefing/map.png?zone={hill['id']}&since=2026-04-25&until=2026-07-05")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/patrol/briefing?zone=x").status_code == 400
    assert client.get("/patrol/briefing?zone=99999").status_code == 404
