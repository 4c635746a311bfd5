"""A case from a click on the map to closure, across the dispatcher's console and a worker's phone page."""

import base64
from datetime import datetime, timedelta, timezone

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from extensions import db
from geo.dispatch.models import Incident
from geo.dispatch.queues import Queue
from geo.grid.models import Grid, GridBoundary, GridWorker
from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

WORKER_GROUP = "533422102001001"  # the demo 'worker' account's group


def mapped_at_first(page) -> int:
    """How many markers the console maps at first: open cases and recent closures, as the feed sends them."""
    return page.evaluate("fetch('/api/incidents/feed').then(r => r.json()).then(b => b.features.length)")


def _open_intake_form_at(page, lon: float, lat: float):
    """Click the dispatch map at (lon, lat), as a dispatcher reporting there does; return the intake form."""
    # Hide the incident markers so that the click lands on the map, then zoom to the place.
    for label in page.locator(".leaflet-control-layers label", has_text="事件").all():
        label.locator("input").uncheck()
    map_id = page.locator(".folium-map").get_attribute("id")
    # (Return nothing: Playwright would serialise the whole map object.)
    page.evaluate(f"window[{map_id!r}].setView([{lat}, {lon}], 15, {{animate: false}}) && null")
    page.wait_for_timeout(300)
    point = page.evaluate(f"window[{map_id!r}].latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    return page.locator("#intake")


#: A real 1x1 PNG, so the page can show it inline.
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_dispatcher_to_worker_to_closure(app, browser, offline_page, live_server, artifacts):
    with app.app_context():
        outline = db.session.scalars(
            select(GridBoundary.geom)
            .join(Grid)
            .where(Grid.code == WORKER_GROUP, GridBoundary.generation_high.is_(None))
        ).one()
        spot = shapely.point_on_surface(to_shape(outline))
        worker_code = db.session.scalar(
            select(GridWorker.code).join(Grid).where(Grid.code == WORKER_GROUP).order_by(GridWorker.code)
        )

    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    intake = _open_intake_form_at(page, spot.x, spot.y)
    intake.locator("select[name=net]").select_option("social")
    intake.locator("select[name=category]").select_option("dispute")
    intake.locator("input[name=title]").fill("浏览器测试：草场纠纷")
    intake.locator("button[type=submit]").click()
    detail = page.locator("#incident-detail")
    detail.wait_for()
    ticket = detail.get_attribute("data-ticket")
    assert worker_code in detail.locator(".assignee").inner_text()  # routed to the group's own worker
    detail.locator("button[data-action=register]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('案卷建立')")
    page.locator("#incident-detail button[data-action=dispatch]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('任务派遣')")
    page.screenshot(path=artifacts / "dispatch-console.png")

    # The grid worker, on a phone-sized screen.
    phone = browser.new_context(viewport={"width": 390, "height": 800})
    worker_page = phone.new_page()
    worker_page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server) else r.abort())
    sign_in(worker_page, live_server, "worker")
    worker_page.goto(live_server + "/my")
    case = worker_page.locator(f"li#{ticket}")
    case.locator(".case-head").click()
    # The deadline reads in China Standard Time, as on the console.
    due = datetime.fromisoformat(
        page.evaluate(f"fetch('/api/incidents/{ticket}').then(r => r.json()).then(i => i.due_at)")
    )
    local_due = due.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert local_due in case.inner_text() and local_due in page.locator("#incident-detail").inner_text()
    case.locator("button[value=accept]").click()
    case.locator(".status", has_text="任务处理").wait_for()
    photo = {"name": "现场.png", "mimeType": "image/png", "buffer": ONE_PIXEL_PNG}
    case.locator("input[type=file]").set_input_files(files=[photo])
    case.locator("[name=note]").fill("已调解，双方签字")
    case.locator("button[value=resolve]").click()
    case.locator(".status", has_text="处理反馈").wait_for()
    worker_page.screenshot(path=artifacts / "worker-my.png")
    phone.close()

    # Back at the console: find the resolved case, verify and close it.
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    page.locator("select[name=status]").select_option("resolved")
    page.locator("#filters button[type=submit]").click()
    page.locator("#list-sort").select_option("reported")  # the newest first (the default is the nearest deadline)
    page.locator("#incident-list li", has_text=ticket).click()
    page.locator("#incident-detail button[data-action=verify]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('核查结案')")
    with app.app_context():
        closed = db.session.scalars(select(Incident).where(Incident.ticket == ticket)).one()
        assert closed.status == "closed" and closed.resolved_at and closed.closed_at
    assert "现场.png" in page.locator("#incident-detail").inner_text()
    # The photo shows inline; the drawer closes back to the list.
    wait_until(page, "document.querySelector('#incident-detail .thumbs img').naturalWidth > 0")
    page.locator("#incident-detail button[data-close]").click()
    assert page.locator("#incident-detail").count() == 0 and page.locator("#incident-list li").count() > 0
    assert log.blocked == [] and log.errors == []


def test_map_markers_follow_the_side_panel_filters(offline_page, live_server):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    wait_until(page, f"gridmap.visibleIncidents() === {mapped_at_first(page)}", timeout=20_000)
    total = page.evaluate("fetch('/api/incidents?per_page=1').then(r => r.json()).then(b => b.total)")

    filters = page.locator("#filters")
    filters.locator("select[name=net]").select_option("social")
    filters.locator("select[name=category]").select_option("dispute")
    filters.locator("select[name=grid]").select_option("533422102")
    filters.locator("input[name=since]").fill("2000-01-01")  # before the recent closures: older ones load too
    filters.locator("button[type=submit]").click()
    query = "net=social&category=dispute&grid=533422102&since=2000-01-01&per_page=1"
    expected = page.evaluate(f"fetch('/api/incidents?{query}').then(r => r.json()).then(b => b.total)")
    assert 0 < expected < total
    wait_until(page, f"gridmap.visibleIncidents() === {expected}")
    page.locator("#queue button[data-queue=overdue]").click()
    overdue = page.evaluate("fetch('/api/incidents?overdue=true&per_page=1').then(r => r.json()).then(b => b.total)")
    wait_until(page, f"gridmap.visibleIncidents() === {overdue}")
    assert log.blocked == [] and log.errors == []


def test_a_second_dispatcher_sees_the_conflict_and_the_current_state(offline_page, live_server):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    post = """([path, body]) => fetch(path, {method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
        headers: {'Content-Type': 'application/json',
                  'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}}).then(r => r.json())"""
    report = {"net": "social", "category": "dispute", "title": "并发测试", "lon": 99.2991, "lat": 28.2446}
    created = page.evaluate(post, ["/api/incidents", report])
    page.locator("#filters select[name=status]").select_option("reported")
    page.locator("#filters button[type=submit]").click()
    page.locator("#list-sort").select_option("reported")  # newest first
    page.locator("#incident-list li", has_text=created["ticket"]).click()
    page.locator("#incident-detail button[data-action=register]").wait_for()
    # Someone else registers it first, from another desk.
    page.evaluate(post, [f"/api/incidents/{created['ticket']}/register", {"version": created["version"]}])
    page.locator("#incident-detail button[data-action=register]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('案卷建立')")
    assert "已被他人修改" in page.locator("#detail").inner_text()
    assert log.blocked == []
    assert [e for e in log.errors if "409" not in e] == []


def test_a_report_whose_answer_was_lost_is_sent_again_without_a_duplicate(app, offline_page, live_server, artifacts):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    keys = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.fallback()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server registers the report...
            route.abort()  # ...and the answer is lost on the way back
        else:
            route.fallback()

    page.route("**/api/incidents", lose_the_first_answer)
    intake = _open_intake_form_at(page, 99.2991, 28.2446)
    intake.locator("select[name=net]").select_option("social")
    intake.locator("select[name=category]").select_option("dispute")
    intake.locator("input[name=title]").fill("浏览器测试：回执丢失")
    intake.locator("button[type=submit]").click()
    intake.locator(".error", has_text="不会重复登记").wait_for()
    page.screenshot(path=artifacts / "dispatch-intake-answer-lost.png")
    intake.locator("button[type=submit]").click()
    page.locator("#incident-detail").wait_for()

    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    with app.app_context():
        tickets = db.session.scalars(select(Incident.ticket).where(Incident.title == "浏览器测试：回执丢失")).all()
    assert tickets == [page.locator("#incident-detail").get_attribute("data-ticket")]
    assert log.blocked == []


def test_a_refused_action_is_explained_in_the_page_language(offline_page, live_server, artifacts):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    created = page.evaluate(
        """(body) => fetch('/api/incidents', {method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
            headers: {'Content-Type': 'application/json',
                      'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}}).then(r => r.json())""",
        {"net": "social", "category": "dispute", "title": "改派测试", "lon": 99.2991, "lat": 28.2446},
    )
    page.locator("#filters select[name=status]").select_option("reported")
    page.locator("#filters button[type=submit]").click()
    page.locator("#list-sort").select_option("reported")  # newest first
    page.locator("#incident-list li", has_text=created["ticket"]).click()
    page.locator("#incident-detail button[data-action=reassign]").click()  # with no reason given
    page.locator("#detail", has_text="改派须填写说明").wait_for()
    page.screenshot(path=artifacts / "dispatch-refused-action.png")
    assert log.blocked == []


@pytest.mark.parametrize("username", ["dispatcher", "benzilan"])
def test_each_queue_button_lists_and_maps_as_many_incidents_as_its_badge_says(offline_page, live_server, username):
    page, log = offline_page
    sign_in(page, live_server, username)
    page.goto(live_server + "/dispatch")
    buttons = page.locator("#queue button[data-queue]")
    wait_until(page, "[...document.querySelectorAll('#queue button b')].every(b => b.textContent !== '')")
    wait_until(page, f"gridmap.visibleIncidents() === {mapped_at_first(page)}", timeout=20_000)
    assert buttons.count() == len(Queue) and "未分派" in page.locator("#queue").inner_text()  # labels from the server
    for button in buttons.all():
        name = button.get_attribute("data-queue")
        badge = int(button.locator("b").inner_text())
        with page.expect_response(lambda response, name=name: f"queue={name}" in response.url):
            button.click()
        wait_until(page, f"document.getElementById('list-total').textContent.startsWith('{badge} ')")
        assert page.locator("#incident-list li").count() == min(badge, 50), name
        wait_until(page, f"gridmap.visibleIncidents() === {badge}")
    assert log.blocked == [] and log.errors == []


def test_the_console_fetches_every_page_of_markers_at_once(offline_page, live_server, monkeypatch):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    whole = mapped_at_first(page)  # in one page of FEED_PAGE
    monkeypatch.setattr("routes.incidents.FEED_PAGE", 100)  # now the same markers come in pages of 100
    page.reload()
    # Pages follow one another at once: all there long before one poll interval per page would allow.
    wait_until(page, f"gridmap.visibleIncidents() === {whole}", timeout=15_000)
    assert log.blocked == [] and log.errors == []
