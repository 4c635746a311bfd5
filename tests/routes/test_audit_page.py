"""The audit page reads as changes: each field before → after, filters by record and user, links to the record."""

import pytest

from geo.accounts.users import create_user
from geo.core.audit import changes
from geo.core.errors import InvalidInput
from tests.conftest import csrf_token_of


def test_changes_are_the_fields_that_differ_with_nested_records_by_dotted_name():
    before = {"status": "reported", "assignee": {"code": "W1", "name": "甲"}, "note": "x"}
    after = {"status": "registered", "assignee": {"code": "W2", "name": "甲"}, "version": 2, "note": "x"}
    assert changes(before, after) == [
        ("assignee.code", "W1", "W2"),
        ("status", "reported", "registered"),
        ("version", None, 2),
    ]
    assert changes(None, {"a": 1}) == [("a", None, 1)]
    assert changes({"a": 1}, None) == [("a", 1, None)]


def test_a_case_change_reads_before_to_after_and_links_back_to_the_case(client_as):
    dispatcher = client_as("dispatcher")
    token = csrf_token_of(dispatcher, "/dispatch")
    created = dispatcher.post(
        "/api/incidents",
        json={"net": "social", "category": "dispute", "title": "审计页测试", "lon": 99.2991, "lat": 28.2446},
        headers={"X-CSRFToken": token},
    ).get_json()
    ticket = created["ticket"]
    registered = dispatcher.post(
        f"/api/incidents/{ticket}/register", json={"version": created["version"]}, headers={"X-CSRFToken": token}
    )
    assert registered.status_code == 200
    page = client_as("admin").get(f"/admin/audit?entity=incident&entity_id={ticket}").get_data(as_text=True)
    assert 'class="changes"' in page and "→" in page
    assert f'href="/dispatch?ticket={ticket}"' in page
    assert "reported" in page and "registered" in page
    assert page.count("<code>incident.") >= 2  # the report and the registration, nothing else
    assert 'list="audit-actors"' in page and '<option value="dispatcher">' in page
    # The app's own actors are offered beside the accounts, and a county's changes are an entity to pick.
    assert all(f'<option value="{actor}">' in page for actor in ("system", "scheduler", "public"))
    assert '<option value="county"' in page


def test_an_account_cannot_take_the_name_of_the_apps_own_actors(session):
    with pytest.raises(InvalidInput, match="taken"):
        create_user(
            session,
            username="system",
            password="a-long-enough-password-1",
            role="admin",
            jurisdiction="533422",
            nets=["social"],
            actor="test",
        )


def test_filters_by_user_and_record_and_bad_ones_are_refused(client_as):
    admin = client_as("admin")
    assert admin.get("/admin/audit?actor=nobody-at-all").status_code == 200
    assert "共 0 条" in admin.get("/admin/audit?entity_id=NO-SUCH-RECORD").get_data(as_text=True)
    assert admin.get("/admin/audit?page=x").status_code == 400
    assert admin.get("/admin/audit?since=2026-13-40").status_code == 400
    assert client_as("dispatcher").get("/admin/audit").status_code == 403
