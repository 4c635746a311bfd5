"""A dispatcher's call, as a new user takes it: find the village, see where the case will go, send it, pick a
worker; meanwhile a second dispatcher's console raises the new case without reloading."""

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from extensions import db
from geo.grid.models import Grid, GridBoundary, GridWorker
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until
from tests.browser.test_dispatch import _open_intake_form_at

pytestmark = pytest.mark.browser

GROUP = "533422102001001"  # 奔子栏社区一组, in the 'benzilan' dispatcher's township


def test_a_call_found_by_search_previewed_sent_and_reassigned_with_the_picker(
    app, browser, offline_page, live_server, artifacts
):
    with app.app_context():
        name, outline = db.session.execute(
            select(Grid.name_zh, GridBoundary.geom)
            .join(GridBoundary, GridBoundary.grid_id == Grid.id)
            .where(Grid.code == GROUP, GridBoundary.generation_high.is_(None))
        ).one()
        spot = shapely.point_on_surface(to_shape(outline))
        group_worker = db.session.scalar(
            select(GridWorker.name).join(Grid).where(Grid.code == GROUP).order_by(GridWorker.code)
        )

    # The township's dispatcher watches their console.
    watcher_log = PageLog()
    watcher, watching = offline_context(browser, live_server, watcher_log, viewport={"width": 1280, "height": 900})
    sign_in(watching, live_server, "benzilan")
    watching.goto(live_server + "/dispatch")
    wait_until(watching, "document.querySelector('#queue button[data-queue=new] b').textContent !== ''")
    new_before = int(watching.locator("#queue button[data-queue=new] b").inner_text())

    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    # The default list: open cases, soonest deadline first, with the open queue shown as chosen.
    page.wait_for_selector("#incident-list li")
    assert page.locator("#queue button[data-queue=open]").get_attribute("aria-pressed") == "true"
    assert page.locator("#list-sort").input_value() == "due"
    assert "期限" in page.locator("#incident-list li").first.inner_text()

    # Find the villager group by name in the map's search box.
    search = page.locator(".gridmap-search")
    search.locator("input[name=q]").fill(name)
    search.locator("button[type=submit]").click()
    page.locator(".search-label").wait_for()
    assert name in page.locator(".search-label").inner_text()

    # A click there: a pin, and the form says which group and worker the case will go to, before sending.
    intake = _open_intake_form_at(page, spot.x, spot.y)
    intake.wait_for()
    assert page.locator(".intake-pin").count() == 1
    wait_until(page, "document.querySelector('#routing').textContent.includes('将分派至')")
    routing = intake.locator("#routing").inner_text()
    assert name in routing and group_worker in routing
    intake.locator("select[name=category]").select_option("dispute")
    intake.locator("input[name=title]").fill("浏览器测试：来电反映草场纠纷")
    intake.locator("input[name=reporter_phone]").fill("0887-8412345")
    intake.locator("input[name=address]").fill("奔子栏社区一组村口")
    intake.locator("button[type=submit]").click()
    detail = page.locator("#incident-detail")
    detail.wait_for()
    ticket = detail.get_attribute("data-ticket")
    assert page.locator(".intake-pin").count() == 0 and page.locator("#intake").count() == 0
    assert "0887-8412345" in detail.inner_text() and "村口" in detail.inner_text()

    detail.locator("button[data-action=register]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('案卷建立')")
    page.locator("#incident-detail button[data-action=dispatch]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('任务派遣')")

    # Reassigning: the chain's workers to choose from, each with open cases and distance; none typed.
    picker = page.locator("#picker")
    wait_until(page, "document.querySelectorAll('#picker input[name=worker]').length >= 3")
    assert "在办" in picker.inner_text() and ("km" in picker.inner_text() or " m" in picker.inner_text())
    village_worker = picker.locator("label.candidate", has_text="村（社区）").first
    chosen = village_worker.locator("input").get_attribute("value")
    village_worker.locator("input").check()
    page.locator("#incident-detail textarea[name=note]").fill("组网格员外出，改派村网格员")
    page.locator("#incident-detail button[data-action=reassign]").click()
    wait_until(page, f"document.querySelector('#incident-detail .assignee').textContent.includes({chosen!r})")
    page.screenshot(path=artifacts / "dispatch-day.png")

    # The township's console raised the case without a reload: the alert, and the new-case count.
    wait_until(watching, "!document.getElementById('new-alert').hidden", timeout=30_000)
    assert ticket in watching.locator("#new-alert").inner_text()
    wait_until(
        watching,
        f"Number(document.querySelector('#queue button[data-queue=new] b').textContent) !== {new_before}"
        " || document.querySelector('#incident-list').textContent.includes('" + ticket + "')",
        timeout=30_000,
    )
    watching.locator("#new-alert button[data-open]").click()
    watching.locator("#incident-detail").wait_for()
    assert watching.locator("#incident-detail").get_attribute("data-ticket") == ticket
    watching.screenshot(path=artifacts / "dispatch-alert.png")
    watcher.close()
    assert log.blocked == [] and log.errors == []
    assert watcher_log.blocked == [] and watcher_log.errors == []


def test_a_ticket_typed_in_the_search_box_opens_the_case(offline_page, live_server):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    ticket = page.locator("#incident-list li").first.get_attribute("data-ticket")
    page.locator(".gridmap-search input[name=q]").fill(ticket)
    page.locator(".gridmap-search button[type=submit]").click()
    page.locator(f"#incident-detail[data-ticket='{ticket}']").wait_for()
    # Coordinates pasted from a phone's map app, in GCJ-02, are converted and marked.
    page.locator(".gridmap-search select[name=crs]").select_option("gcj02")
    page.locator(".gridmap-search input[name=q]").fill("99.30400, 28.24200")
    page.locator(".gridmap-search button[type=submit]").click()
    wait_until(page, "document.querySelector('.search-label').textContent.startsWith('99.')")
    converted = page.locator(".search-label").inner_text()
    assert converted.startswith("99.") and not converted.startswith("99.304000")  # moved back onto WGS-84
    assert log.blocked == [] and log.errors == []


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_a_case_sent_to_a_worker_off_its_chain_needs_a_reason_and_is_marked(browser, live_server, artifacts, viewport):
    log = PageLog()
    context, page = offline_context(browser, live_server, log, viewport=viewport)
    sign_in(page, live_server, "benzilan")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    created = page.evaluate(
        """(body) => fetch('/api/incidents', {method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
            headers: {'Content-Type': 'application/json',
                      'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}}).then(r => r.json())""",
        {"net": "social", "category": "dispute", "title": "链外派遣测试", "lon": 99.2991, "lat": 28.2446},
    )
    page.locator(".gridmap-search input[name=q]").fill(created["ticket"])
    page.locator(".gridmap-search button[type=submit]").click()
    detail = page.locator(f"#incident-detail[data-ticket='{created['ticket']}']")
    detail.locator("button[data-action=register]").click()
    wait_until(page, "document.querySelector('#incident-detail .status').textContent.includes('案卷建立')")

    # The chain's workers, then the others of the township, with the same columns.
    wait_until(page, "document.querySelectorAll('#picker label.candidate.off-chain').length > 0")
    picker = page.locator("#picker")
    assert "其他网格员（需说明理由）" in picker.inner_text()
    other = picker.locator("label.candidate.off-chain").first
    assert "在办" in other.inner_text() and ("km" in other.inner_text() or " m" in other.inner_text())
    code = other.locator("input").get_attribute("value")
    other.locator("input").check()
    page.locator("#incident-detail button[data-action=dispatch]").click()  # with no reason given
    page.locator("#incident-detail p.refusal", has_text="说明").wait_for()
    assert page.locator(f"#picker input[value='{code}']").is_checked()  # the choice stays, to add the reason
    page.locator("#incident-detail textarea[name=note]").fill("本组网格员请假，该网格员离得最近")
    page.locator("#incident-detail button[data-action=dispatch]").click()
    wait_until(page, f"document.querySelector('#incident-detail .assignee').textContent.includes({code!r})")
    history = page.locator("#incident-detail .history li").last
    assert "网格链外" in history.inner_text() and "离得最近" in history.inner_text()
    page.locator("#incident-detail .history").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"dispatch-off-chain-{viewport['width']}.png", full_page=True)
    context.close()
    assert log.blocked == [] and log.errors == []
