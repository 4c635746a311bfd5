"""The evaluation API: the call-back of a closed case, and the indicators, workers and organisation it feeds."""

from tests.conftest import csrf_token_of

GOOD = {"net": "social", "category": "dispute", "title": "回访测试", "lon": 99.2991, "lat": 28.2446}


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def closed_ticket(client) -> str:
    detail = post(client, "/api/incidents", GOOD).get_json()
    for step in ("register", "dispatch", "resolve", "verify"):
        detail = post(client, f"/api/incidents/{detail['ticket']}/{step}", {"version": detail["version"]}).get_json()
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
