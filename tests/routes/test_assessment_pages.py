"""The issued assessments' and the scoring scheme's pages: list, issue, frozen figures, their cases, new weights."""

import re

import pytest

from tests.conftest import csrf_token_of

pytestmark = pytest.mark.db

PERIOD = "2026-10"


def _issue(client, period=PERIOD):
    token = csrf_token_of(client, "/dashboard/assessments")
    return client.post("/dashboard/assessments", data={"period": period, "csrf_token": token})


def test_an_admin_issues_a_period_and_reads_its_frozen_figures_and_their_cases(client_as):
    admin = client_as("admin")
    listing = admin.get("/dashboard/assessments").get_data(as_text=True)
    assert 'name="period"' in listing  # admins may issue
    issued = _issue(admin)
    assert issued.status_code == 302
    page_url = issued.headers["Location"]
    page = admin.get(page_url).get_data(as_text=True)
    assert "2026-10" in page and 'id="frozen-figures"' in page
    assert page.count('<tr data-code="533422') == 8  # the townships below the county
    # Each count links to the frozen cases behind it; the list has exactly that many.
    found = re.search(r'<a class="cases" href="([^"]+part=numerator[^"]*)"[^>]*>(\d+)</a>', page)
    assert found, "no count links to its cases"
    link, count = found.groups()
    cases = admin.get(link.replace("&amp;", "&"))
    assert cases.status_code == 200
    assert cases.get_data(as_text=True).count("<tr><td>DQ-") == int(count)
    assert "/dashboard/assessments/" in admin.get("/dashboard/assessments").get_data(as_text=True)
    # Drilling into a township lists its villages.
    township = admin.get(page_url + "?grid=533422102").get_data(as_text=True)
    rows = re.findall(r'<tr data-code="(\d+)"', township)
    assert rows and all(code.startswith("533422102") and len(code) == 12 for code in rows)
    workers = admin.get(page_url + "?subject=worker").get_data(as_text=True)
    assert re.search(r'<tr data-code="W\d+"', workers)


def test_a_leader_reads_but_does_not_issue(client_as):
    viewer = client_as("viewer")
    assert 'name="period"' not in viewer.get("/dashboard/assessments").get_data(as_text=True)
    token = csrf_token_of(viewer, "/dashboard/assessments")
    refused = viewer.post("/dashboard/assessments", data={"period": PERIOD, "csrf_token": token})
    assert refused.status_code == 403


def test_bad_periods_and_grids_are_refused_by_name(client_as):
    admin = client_as("admin")
    bad = _issue(admin, "2026-13")
    assert bad.status_code == 400, bad.get_data(as_text=True)
    page_url = _issue(admin).headers["Location"]
    assert admin.get(page_url + "?grid=12x").status_code == 400
    assert admin.get(page_url + "?subject=nobody").status_code == 400
    assert admin.get(page_url.replace("/assessments/", "/assessments/9") + "99").status_code == 404
    cases = page_url + "/cases?indicator=nonsense&grid=533422"
    assert admin.get(cases).status_code == 400


def test_without_the_csrf_token_nothing_is_issued(client_as):
    assert client_as("admin").post("/dashboard/assessments", data={"period": PERIOD}).status_code == 400


def test_an_admin_saves_new_weights_as_the_next_version_and_a_bad_sum_is_refused(client_as):
    admin = client_as("admin")
    page = admin.get("/dashboard/scheme").get_data(as_text=True)
    assert 'name="grid:on_time_handling_rate"' in page
    form = {
        name: value for name, value in re.findall(r'name="((?:grid|worker|grade):[a-zA-Z_]+)" value="([^"]+)"', page)
    }
    token = csrf_token_of(admin, "/dashboard/scheme")
    saved = admin.post(
        "/dashboard/scheme",
        data={
            **form,
            "grid:on_time_handling_rate": "50",
            "grid:closure_rate": "40",
            "note": "试行",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 302
    after = admin.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'value="50' in after and "试行" in after and 'id="scheme-versions"' in after
    bad = admin.post("/dashboard/scheme", data={**form, "grid:closure_rate": "80", "note": "x", "csrf_token": token})
    assert bad.status_code == 400 and "100" in bad.get_data(as_text=True)
    typo = admin.post("/dashboard/scheme", data={**form, "grade:A": "abc", "note": "x", "csrf_token": token})
    assert typo.status_code == 400


def test_only_admins_change_the_scheme(client_as):
    viewer = client_as("viewer")
    assert 'type="number"' not in viewer.get("/dashboard/scheme").get_data(as_text=True)
    token = csrf_token_of(viewer, "/dashboard/scheme")
    assert viewer.post("/dashboard/scheme", data={"note": "x", "csrf_token": token}).status_code == 403


def test_the_frozen_cases_of_a_figure_come_a_page_at_a_time(client_as, monkeypatch):
    from geo.evaluation import assessments

    admin = client_as("admin")
    page_url = _issue(admin).headers["Location"]
    assessment_id = page_url.rstrip("/").split("/")[-1]
    query = {"indicator": "closure_rate", "grid": "533422", "part": "denominator"}
    whole = admin.get(f"/api/evaluation/assessments/{assessment_id}/cases", query_string=query).get_json()
    assert whole["count"] > 3 and len(whole["items"]) == min(whole["count"], assessments.CASES_PAGE)
    monkeypatch.setattr(assessments, "CASES_PAGE", 2)
    pages = [
        admin.get(f"/api/evaluation/assessments/{assessment_id}/cases", query_string=query | {"page": page}).get_json()
        for page in (1, 2)
    ]
    assert [len(page["items"]) for page in pages] == [2, 2] and {page["count"] for page in pages} == {whole["count"]}
    assert [item["ticket"] for page in pages for item in page["items"]] == [i["ticket"] for i in whole["items"][:4]]
    html = admin.get(page_url + "/cases", query_string=query | {"page": 2}).get_data(as_text=True)
    assert f"2 / {-(-whole['count'] // 2)}" in html and "上一页" in html
    assert admin.get(page_url + "/cases", query_string=query | {"page": 0}).status_code == 400
    assert (
        admin.get(f"/api/evaluation/assessments/{assessment_id}/cases", query_string=query | {"page": "x"}).status_code
        == 400
    )
