"""A planner splits a villager group with a drawn line, an admin approves, and lookups follow the new outline."""

import pytest
import shapely

from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

VILLAGE = "533422204201"  # a village of 拖顶乡 that no other test relies on
NEW_NAME = "浏览器测试新组"


def map_click(page, lon, lat):
    map_id = page.locator(".folium-map").get_attribute("id")
    point = page.evaluate(f"window[{map_id!r}].latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def draft_feature(page, plan_id, code=None, name=None):
    state = page.evaluate(f"fetch('/api/plans/{plan_id}').then(r => r.json())")
    for feature in state["draft"]["features"]:
        if feature["properties"]["code"] == code or feature["properties"]["name_zh"] == name:
            return feature, shapely.geometry.shape(feature["geometry"])
    raise AssertionError(f"no grid {code or name} in the draft")


def test_planner_splits_a_group_admin_approves_lookup_follows(
    browser, offline_page, live_server, artifacts, atlas_restored_afterwards
):
    page, log = offline_page
    sign_in(page, live_server, "planner")
    page.goto(live_server + "/plan")
    page.select_option("#new-plan select[name=parent_code]", VILLAGE)
    page.fill("#new-plan input[name=title]", "拆分一组")
    page.click("#new-plan button[type=submit]")
    page.wait_for_url(lambda url: "/plan/" in url)
    plan_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("#validation .ok")

    group_code = VILLAGE + "001"
    _, outline = draft_feature(page, plan_id, code=group_code)
    inside = shapely.point_on_surface(outline)
    map_click(page, inside.x, inside.y)
    page.click("button[data-op=split]")
    page.fill("#op-form input[name=name_zh]", NEW_NAME)
    page.click("#op-form button[type=submit]")
    west, _, east, _ = outline.bounds
    y = outline.centroid.y
    map_click(page, west - 0.003, y)
    map_click(page, east + 0.003, y)
    map_click(page, east + 0.003, y)  # a second click on the last vertex finishes the line
    page.wait_for_selector("#validation li")  # the new group has no worker yet
    assert "rural" in page.inner_text("#validation") or "乡村振兴" in page.inner_text("#validation")

    feature, carved = draft_feature(page, plan_id, name=NEW_NAME)
    moved = shapely.point_on_surface(carved)
    map_click(page, moved.x, moved.y)
    page.click("button[data-op=appoint]")
    page.fill("#op-form input[name=name]", "新网格员")
    page.click("#op-form button[type=submit]")
    page.wait_for_selector("#validation .ok")

    page.click("#impact-button")
    page.wait_for_selector("#impact table")
    assert feature["properties"]["code"] in page.inner_text("#impact")
    page.check("#swipe-toggle")
    page.screenshot(path=artifacts / "plan-editor.png")
    page.click("#submit-plan")
    wait_until(page, "document.querySelector('#plan-meta').textContent.includes('待审批')")

    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    review = admin.new_page()
    sign_in(review, live_server, "admin")
    review.goto(f"{live_server}/plan/{plan_id}")
    review.fill("#review-comment", "同意")
    assert review.locator(".leaflet-pm-toolbar").count() == 0  # a submitted plan offers no drawing tools
    assert review.locator("#tools").is_hidden()
    review.click("#approve")
    wait_until(review, "document.querySelector('#plan-meta').textContent.includes('已生效')")
    answer = review.evaluate(f"fetch('/api/lookup?lon={moved.x}&lat={moved.y}').then(r => r.json())")
    assert answer["chain"][-1]["code"] == feature["properties"]["code"]
    before = review.evaluate(f"fetch('/api/lookup?lon={moved.x}&lat={moved.y}&at=2021-01-01').then(r => r.json())")
    assert before["chain"][-1]["code"] == group_code
    review.goto(f"{live_server}/plan")
    assert "拆分一组" in review.inner_text("#generations")
    admin.close()
    assert log.blocked == [] and log.errors == []
