"""A patrol leader picks a day in June, sees the open harvest hills and the hotspot list, opens a briefing."""

import pytest
from sqlalchemy import delete, func, select

from extensions import db
from geo.patrol.models import CheckIn, PatrolTask
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def tasks_removed_afterwards(app):
    """The tasks (and their check-ins) a test assigns through the browser are gone after it."""
    with app.app_context():
        before = db.session.scalar(select(func.coalesce(func.max(PatrolTask.id), 0)))
        db.session.remove()
    yield
    with app.app_context():
        db.session.execute(delete(PatrolTask).where(PatrolTask.id > before))
        db.session.commit()
        db.session.remove()


def test_patrol_leader_in_june(offline_page, live_server, artifacts, tasks_removed_afterwards):
    page, log = offline_page
    sign_in(page, live_server, "patrol")
    page.goto(live_server + "/patrol")
    page.fill("#patrol-date input[name=date]", "2026-06-15")
    page.click("#patrol-date button[type=submit]")
    page.wait_for_url(lambda url: "date=2026-06-15" in url)
    page.wait_for_selector("#active-zones li[data-zone]")
    active = page.locator("#active-zones li[data-zone]")
    assert active.count() >= 3
    assert "虫草山" in active.first.inner_text() and "临时党支部" in active.first.inner_text()
    wait_until(page, "document.querySelector('#hotspot-stats').textContent.includes('Gi*')", timeout=20_000)
    assert page.locator("#hotspots li").count() >= 1
    assert page.locator("#hotspot-filters input[name=since]").input_value() == "2026-04-25"
    assert page.locator(".leaflet-control-layers-overlays", has_text="热点与冷点（Gi*）").count() == 1
    page.screenshot(path=artifacts / "patrol-june.png")

    # A visit to the first hotspot: the square and hours come from the server, in county time.
    page.locator("#hotspots li[data-index] button[data-assign]").first.click()
    assert page.locator("#task-form input[name=starts_at]").input_value() == "2026-06-15T08:00"
    assert page.locator("#task-form input[name=ends_at]").input_value() == "2026-06-15T18:00"
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/tasks") and r.request.method == "POST") as posted:
        page.click("#task-form button[type=submit]")
    task = posted.value.json()
    assert posted.value.status == 201, task
    assert task["starts_at"].startswith("2026-06-15T00:00") and task["ends_at"].startswith("2026-06-15T10:00")

    # A visit to a zone, from the zone itself: the form opens beside it with one of its teams.
    active.first.locator("[data-assign-zone]").click()
    assert active.first.locator("#task-form").is_visible()
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/tasks") and r.request.method == "POST") as posted:
        page.click("#task-form button[type=submit]")
    assert posted.value.status == 201 and posted.value.json()["zone_id"] == int(active.first.get_attribute("data-zone"))

    with page.expect_navigation():
        active.first.locator("a.briefing").click()
    assert "巡逻简报" in page.locator("h2").inner_text()
    wait_until(page, "document.querySelector('img.briefing-map').complete")
    assert page.evaluate("document.querySelector('img.briefing-map').naturalWidth") > 300
    page.screenshot(path=artifacts / "patrol-briefing.png", full_page=True)
    assert log.blocked == [] and log.errors == []


def test_a_check_in_without_signal_is_sent_when_the_phone_is_back_online(
    app, offline_page, live_server, artifacts, tasks_removed_afterwards
):
    page, log = offline_page
    sign_in(page, live_server, "patrol")
    page.goto(live_server + "/patrol/my")
    created = page.evaluate(
        """async () => {
            const zones = await (await fetch('/api/patrol/zones?on=2026-06-15')).json();
            const hill = zones.features.find(z => z.properties.kind === 'caterpillar_fungus');
            const now = Date.now();
            const response = await fetch('/api/patrol/tasks', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json',
                          'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
                body: JSON.stringify({team_id: hill.properties.teams[0].id, zone_id: hill.id, title: '无信号巡山',
                    starts_at: new Date(now - 3600e3).toISOString(),
                    ends_at: new Date(now + 8 * 3600e3).toISOString()})});
            const task = await response.json();
            return {id: task.id, lon: task.lon, lat: task.lat};
        }"""
    )
    page.reload()
    task = page.locator("li", has_text="无信号巡山")
    page.context.set_offline(True)
    task.locator("input[name=lon]").fill(str(created["lon"]))
    task.locator("input[name=lat]").fill(str(created["lat"]))
    task.locator("input[name=note]").fill("山顶没有信号")
    task.locator("button[type=submit]").click()
    page.locator("#checkin-queue", has_text="待发送：1").wait_for()
    page.screenshot(path=artifacts / "patrol-checkin-kept.png")
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(CheckIn.task_id == created["id"])) == 0

    page.context.set_offline(False)  # the browser announces "online"; the page sends what it kept
    page.wait_for_url(lambda url: f"done={created['id']}" in url)
    assert "已签到" in page.locator("main").inner_text()
    assert page.evaluate("Object.keys(localStorage).map(k => JSON.parse(localStorage[k]).length)") == [0]
    with app.app_context():
        kept = db.session.scalars(select(CheckIn).where(CheckIn.task_id == created["id"])).all()
    assert len(kept) == 1 and kept[0].note == "山顶没有信号" and kept[0].at < kept[0].received_at
    assert log.blocked == []


@pytest.mark.parametrize("time_zone", ["UTC", "Etc/GMT+12"])
def test_the_patrol_phone_page_leads_to_the_target(
    browser, live_server, artifacts, tasks_removed_afterwards, time_zone
):
    """On a phone whose clock is in any time zone: the target on a map, distance and direction as it moves."""
    log = PageLog()
    context, page = offline_context(
        browser,
        live_server,
        log,
        viewport={"width": 390, "height": 844},
        timezone_id=time_zone,
        geolocation={"latitude": 28.0, "longitude": 99.0},
        permissions=["geolocation"],
    )
    sign_in(page, live_server, "patrol")
    page.goto(live_server + "/patrol/my")
    created = page.evaluate(
        """async () => {
            const zones = await (await fetch('/api/patrol/zones?on=2026-06-15')).json();
            const hill = zones.features.find(z => z.properties.kind === 'caterpillar_fungus');
            const response = await fetch('/api/patrol/tasks', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json',
                          'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
                body: JSON.stringify({team_id: hill.properties.teams[0].id, zone_id: hill.id, title: '手机巡山',
                    starts_at: '2026-12-01T08:00:00+08:00', ends_at: '2099-12-01T18:00:00+08:00',
                    instructions: '查看卡点帐篷是否加固'})});
            return await response.json();
        }"""
    )
    page.reload()
    task = page.locator(f"#task-{created['id']}")
    # The window reads China Standard Time whatever the phone's zone; the instructions are shown.
    assert "2026-12-01 08:00" in task.inner_text() and "查看卡点帐篷是否加固" in task.inner_text()
    bearing = task.locator(".bearing")
    wait_until(
        page, f"document.querySelector('.bearing[data-task=\"{created['id']}\"]').textContent.includes('距目标')"
    )
    far_text = bearing.inner_text()
    assert "km" in far_text and "方向" in far_text
    assert task.locator(".task-map path.leaflet-interactive").count() == 3  # the target, the phone, the way between
    # Walking into the target: the page follows the phone.
    context.set_geolocation({"latitude": created["lat"], "longitude": created["lon"]})
    wait_until(
        page, f"document.querySelector('.bearing[data-task=\"{created['id']}\"]').textContent.includes('目标区域内')"
    )
    page.screenshot(path=artifacts / f"patrol-phone-{time_zone.replace('/', '-')}.png", full_page=True)

    # Coordinates that cannot be: a styled message beside the task, with what was typed kept.
    task.locator("input[name=lon]").fill("500")
    task.locator("input[name=lat]").fill(str(created["lat"]))
    task.locator("input[name=note]").fill("手滑")
    task.locator("button[type=submit]").click()
    page.wait_for_selector(f"#task-{created['id']} .error")
    task = page.locator(f"#task-{created['id']}")
    assert "签到未被接受" in task.inner_text() and task.locator("input[name=note]").input_value() == "手滑"
    # A far check-in says how far.
    task.locator("input[name=lon]").fill("98.9")
    task.locator("input[name=lat]").fill("28.4")
    task.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "far=1" in url)
    assert "米" in page.locator("main p.error").first.inner_text()
    assert log.blocked == [] and log.errors == []
    context.close()


def test_a_leader_in_utc_minus_12_still_assigns_in_china_standard_time(browser, live_server, tasks_removed_afterwards):
    """The visit form shows and sends China Standard Time whatever the leader's computer clock says."""
    log = PageLog()
    context, page = offline_context(
        browser, live_server, log, viewport={"width": 1280, "height": 900}, timezone_id="Etc/GMT+12"
    )
    sign_in(page, live_server, "patrol")
    page.goto(live_server + "/patrol?date=2026-06-15")
    page.locator("#hotspots li[data-index] button[data-assign]").first.click()
    assert page.locator("#task-form input[name=starts_at]").input_value() == "2026-06-15T08:00"
    page.fill("#task-form textarea[name=instructions]", "看卡点")
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/tasks") and r.request.method == "POST") as posted:
        page.click("#task-form button[type=submit]")
    task = posted.value.json()
    assert task["starts_at"].startswith("2026-06-15T00:00") and task["instructions"] == "看卡点"
    # The task list reads the window back in China Standard Time too.
    wait_until(page, "document.querySelector('#tasks').textContent.includes('2026-06-15 08:00')")
    assert log.blocked == [] and log.errors == []
    context.close()
