"""The leaders' dashboard: who sees it, scoped to what; its choropleth, exports and printable report."""

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import sign_in

pytestmark = pytest.mark.db

PERIOD = "2026-10"


def test_a_viewer_lands_on_the_dashboard(app):
    client = app.test_client()
    response = sign_in(client, "viewer")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")


@pytest.mark.parametrize(
    ("username", "status"), [("viewer", 200), ("admin", 200), ("dispatcher", 200), ("planner", 403), ("worker", 403)]
)
def test_the_dashboard_is_for_viewers_admins_and_dispatchers(client_as, username, status):
    assert client_as(username).get(f"/dashboard?period={PERIOD}").status_code == status


def test_the_dashboard_shows_tiles_formulas_rankings_and_the_organisation(client_as):
    page = client_as("viewer").get(f"/dashboard?period={PERIOD}").get_data(as_text=True)
    assert 'class="tile"' in page and "÷" in page  # formulas from the registry, on hover
    assert 'id="grid-ranking"' in page and 'id="worker-ranking"' in page
    assert "演示数据" in page and 'class="demo-banner"' in page  # generated cases, even under the real county
    # The registry's headline indicators lead; the rest wait behind 其他指标.
    leading, rest = page.split('class="more-tiles"', 1)
    assert 'data-indicator="closure_rate"' in leading and 'data-indicator="reports_phone"' not in leading
    assert 'data-indicator="reports_phone"' in rest
    assert "chart.umd.min.js" in page and "cdn" not in page.lower()


def test_a_township_dispatcher_sees_only_their_township(client_as):
    client = client_as("benzilan")
    assert client.get(f"/dashboard?period={PERIOD}&grid=533422").status_code == 400
    data = client.get(f"/dashboard/choropleth.json?period={PERIOD}&level=village").get_json()
    assert data["features"] and all(f["properties"]["code"].startswith("533422102") for f in data["features"])
    assert client.get(f"/dashboard?period={PERIOD}&net=religious").status_code == 403


def test_the_choropleth_classes_follow_the_indicator(client_as):
    client = client_as("viewer")
    by_grade = client.get(f"/dashboard/choropleth.json?period={PERIOD}&level=township&indicator=score").get_json()
    assert {f["properties"]["class"] for f in by_grade["features"]} <= set("ABCDE") | {"none"}
    by_rate = client.get(f"/dashboard/choropleth.json?period={PERIOD}&level=township&indicator=closure_rate").get_json()
    assert {f["properties"]["class"] for f in by_rate["features"]} <= {"q1", "q2", "q3", "q4", "q5", "none"}
    assert len(by_rate["features"]) == len(by_grade["features"]) > 0


@pytest.mark.parametrize(
    "query",
    ["indicator=nonsense", "level=county", "period=2026-13", "grid=99999", "net=fishing", "category=" + "x" * 50],
)
def test_bad_dashboard_questions_get_a_400(client_as, query):
    response = client_as("viewer").get(f"/dashboard/choropleth.json?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)


def test_the_grid_table_exports_as_csv_and_as_xlsx_with_the_same_figures(client_as):
    client = client_as("viewer")
    csv_text = client.get(f"/dashboard/export.csv?period={PERIOD}&table=grids").get_data(as_text=True)
    xlsx = client.get(f"/dashboard/export.xlsx?period={PERIOD}&table=grids")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(xlsx.data))
    figures, formulas = book.worksheets
    rows = list(figures.iter_rows(values_only=True))
    csv_rows = [line.split(",") for line in csv_text.lstrip("\ufeff").strip().splitlines()]
    assert len(rows) == len(csv_rows) and [str(c) for c in rows[0]] == csv_rows[0]
    assert [r[1] for r in rows[1:]] == [r[1] for r in csv_rows[1:]]  # the same grids in the same order
    assert any("÷" in str(row[2]) for row in formulas.iter_rows(values_only=True))


def test_exports_are_scoped_and_refuse_bad_tables(client_as):
    client = client_as("benzilan")
    rows = client.get(f"/dashboard/export.csv?period={PERIOD}&table=workers").get_data(as_text=True).splitlines()[1:]
    assert rows and all(",533422102" in row for row in rows)
    assert client.get(f"/dashboard/export.csv?period={PERIOD}&table=users").status_code == 400
    assert client.get(f"/dashboard/export.pdf?period={PERIOD}").status_code == 400


def test_the_report_says_when_the_period_is_not_issued(client_as):
    page = client_as("viewer").get("/dashboard/report?period=2020-01").get_data(as_text=True)
    assert "尚未发布" in page
