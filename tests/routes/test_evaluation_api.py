"""The evaluation API: the call-back of a closed case, and the indicators, workers and organisation it feeds."""

import pytest

from tests.conftest import csrf_token_of

GOOD = {"net": "social", "category": "dispute", "title": "回访测试", "lon": 99.2991, "lat": 28.2446}


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def closed_ticket(client) -> str:
    detail = post(client, "/api/incidents", GOOD).get_json()
    for step in ("register", "dispatch", "resolve", "verify"):
        body = {"version": detail["version"], "note": "已处理" if step == "resolve" else ""}
        detail = post(client, f"/api/incidents/{detail['ticket']}/{step}", body).get_json()
    assert detail["status"] == "closed"
    return detail["ticket"]


def test_a_call_back_is_recorded_once_and_corrected_explicitly(client):
    ticket = closed_ticket(client)
    first = post(client, f"/api/incidents/{ticket}/evaluate", {"result": "satisfied", "note": "好"})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["result"], body["source"], body["incident"]["history"][-1]["action"]) == (
        "satisfied",
        "callback",
        "evaluate",
    )
    again = post(client, f"/api/incidents/{ticket}/evaluate", {"result": "dissatisfied"})
    assert again.status_code == 409
    corrected = post(
        client, f"/api/incidents/{ticket}/evaluate", {"result": "dissatisfied", "reopen": True, "replaces": body["id"]}
    )
    assert corrected.status_code == 201, corrected.get_json()
    assert corrected.get_json()["incident"]["status"] == "dispatched"


def test_bad_call_backs_are_refused_naming_the_problem(client, client_as):
    ticket = closed_ticket(client)
    bad = post(client, f"/api/incidents/{ticket}/evaluate", {"result": "happy"})
    assert (bad.status_code, bad.get_json()["field"]) == (400, "result")
    viewer = client_as("viewer")
    assert post(viewer, f"/api/incidents/{ticket}/evaluate", {"result": "satisfied"}).status_code == 403
    open_case = post(client, "/api/incidents", GOOD).get_json()["ticket"]
    assert post(client, f"/api/incidents/{open_case}/evaluate", {"result": "satisfied"}).status_code == 422
    assert post(client, "/api/incidents/DQ-NOPE/evaluate", {"result": "satisfied"}).status_code == 404


def test_indicators_of_a_grid_and_of_its_townships_with_their_formulas(client):
    whole = client.get("/api/evaluation/indicators?period=2026-11").get_json()
    assert (whole["since"], whole["until"]) == ("2026-11-01", "2026-11-30")
    assert [item["code"] for item in whole["items"]] == ["533422"]
    figures = whole["items"][0]["figures"]
    assert set(figures) == {indicator["id"] for indicator in whole["indicators"]}
    closure = figures["closure_rate"]
    assert closure["value"] == pytest.approx(100 * closure["numerator"] / closure["denominator"])
    texts = {indicator["id"]: indicator for indicator in whole["indicators"]}
    assert (texts["closure_rate"]["name"], texts["closure_rate"]["denominator"]) == ("结案率", "应结案数")
    english = client.get("/api/evaluation/indicators?period=2026-11&lang=en").get_json()
    assert english["indicators"][0]["name"] == "Reports"
    townships = client.get("/api/evaluation/indicators?level=township&since=2026-11-01&until=2026-11-30").get_json()
    assert len(townships["items"]) == 8
    assert (
        sum(item["figures"]["reports"]["numerator"] for item in townships["items"]) == figures["reports"]["numerator"]
    )


def test_jurisdiction_and_nets_shape_the_figures(client, client_as):
    county = client.get("/api/evaluation/indicators?grid=533422102&period=2026").get_json()["items"][0]["figures"]
    benzilan = client_as("benzilan")  # 奔子栏镇, without the religious net
    own = benzilan.get("/api/evaluation/indicators?period=2026").get_json()["items"][0]
    assert own["code"] == "533422102"
    secular = client.get("/api/evaluation/indicators?grid=533422102&period=2026&net=social").get_json()
    rural = client.get("/api/evaluation/indicators?grid=533422102&period=2026&net=rural").get_json()
    seen = secular["items"][0]["figures"]["reports"]["numerator"] + rural["items"][0]["figures"]["reports"]["numerator"]
    assert own["figures"]["reports"]["numerator"] == seen <= county["reports"]["numerator"]
    assert benzilan.get("/api/evaluation/indicators?period=2026&net=religious").status_code == 403
    assert benzilan.get("/api/evaluation/indicators?grid=533422206&period=2026").status_code == 404
    assert benzilan.get("/api/evaluation/overview").get_json()["grids"]["county"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-13", "period"),
        ("since=2026-11-01", "until"),
        ("until=2026-11-01", "since"),
        ("since=2026-11-30&until=2026-11-01", "until"),
        ("period=2026-11&since=2026-11-01&until=2026-11-02", "period"),
        ("grid=12345", "grid"),
        ("level=province", "level"),
        ("net=fourth", "net"),
        ("category=nonsense", "category"),
        ("since=2026-02-30&until=2026-03-01", "since"),
        ("grid=533422102001001&level=township", "level"),
    ],
)
def test_bad_parameters_are_refused_naming_them(client, query, field):
    answer = client.get(f"/api/evaluation/indicators?{query}")
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["field"] == field


def test_workers_and_the_organisation(client, client_as):
    workers = client.get("/api/evaluation/workers?grid=533422102&period=2026").get_json()
    assert workers["grid"] == "533422102" and workers["items"]
    assert all(item["grid_code"].startswith("533422102") for item in workers["items"])
    assert "phone" not in workers["items"][0]
    assert len(client.get("/api/evaluation/workers?period=2026-11").get_json()["items"]) == 545
    overview = client.get("/api/evaluation/overview").get_json()
    assert overview["workers"] == {"county": 4, "township": 13, "village": 49, "group": 479}
    assert (overview["groups_with_branch"], overview["groups"]) == (479, 480)
    assert client_as("planner").get("/api/evaluation/overview").status_code == 403
