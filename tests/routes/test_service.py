"""Running as a service: the health check reports the scheduler, admins see the jobs, each request logs one line."""

import json
import logging

import pytest

from tests.conftest import sign_in


def test_health_reports_the_database_and_every_scheduled_job(anonymous):
    answer = anonymous.get("/api/health").get_json()
    assert answer["status"] == "ok" and answer["database"] == "ok"
    assert {job["job"] for job in answer["scheduler"]} == {
        "escalate_overdue",
        "recheck_cross_net_pairs",
        "activate_due_plans",
        "issue_assessment",
        "summarise_indicator_months",
    }
    assert all(job["next_run"] for job in answer["scheduler"])
    assert all(set(job) == {"job", "last_run", "ok", "next_run"} for job in answer["scheduler"])  # no results


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("dispatcher", 403)])
def test_admins_see_each_jobs_last_and_next_run(client_as, username, status):
    page = client_as(username).get("/admin/jobs")
    assert page.status_code == status
    if status == 200:
        assert "escalate_overdue" in page.get_data(as_text=True) and "下次运行" in page.get_data(as_text=True)


def test_each_request_logs_one_json_line_without_secrets(client_as, caplog):
    with caplog.at_level(logging.INFO, logger="gridmap.requests"):
        client_as("dispatcher").get("/api/incidents?status=reported&page=1")
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gridmap.requests"]
    assert line["user"] == "dispatcher" and line["route"] == "/api/incidents" and line["status"] == 200
    assert line["query"] == ["page", "status"] and "reported" not in json.dumps(line)
    assert line["ms"] >= 0 and line["time"].endswith("+08:00")


def test_a_refused_sign_in_is_logged_without_its_password(anonymous, caplog):
    with caplog.at_level(logging.INFO, logger="gridmap.requests"):
        sign_in(anonymous, "dispatcher", "not-the-password-123")
    lines = [r.getMessage() for r in caplog.records if r.name == "gridmap.requests"]
    assert 401 in [json.loads(line)["status"] for line in lines] and "not-the-password-123" not in "".join(lines)


@pytest.mark.parametrize("url", ["/%ED%B2%80?%ED%B2%80=%ED%B2%80", "/api/lookup?lon=%ED%B2%80&lat=1", "/%FF%FE"])
def test_a_request_with_an_encoded_lone_surrogate_is_answered_and_logged(anonymous, caplog, url):
    """The line's writer (orjson) refuses lone surrogates; werkzeug decodes paths and queries with errors
    replaced, so none reaches it, and the answer is the 4xx it would be, not a 500."""
    with caplog.at_level(logging.INFO, logger="gridmap.requests"):
        status = anonymous.get(url).status_code
    assert 400 <= status < 500
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gridmap.requests"]
    assert line["status"] == status
