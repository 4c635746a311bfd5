"""A planner splits a villager group with a drawn line, an admin approves, and lookups follow the new outline."""

import pytest
import shapely
from sqlalchemy import delete, func, select

from extensions import db
from geo.planning.models import Plan
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
    # The appointment is applied when its form closes; before that, its answer would close the next tool's form
    # (the validation already asked for the branch after the split, so it cannot tell).
    page.wait_for_selector("#op-form", state="hidden")
    # A new villager group is asked for its party branch; founding it (secretary: the group leader) clears that.
    wait_until(page, "document.querySelector('#validation').textContent.includes('党支部')")
    map_click(page, moved.x, moved.y)
    page.click("button[data-op=branch]")
    page.fill("#op-form input[name=members]", "6")
    page.click("#op-form button[type=submit]")
    page.wait_for_selector("#validation .ok")

    # The draft's grids can be found by name; the legend names current, draft and invalid.
    page.fill("#find-grid", NEW_NAME)
    page.click(f"#find-results button[data-code='{feature['properties']['code']}']")
    assert feature["properties"]["code"] in page.inner_text("#selection")
    assert page.locator(".map-legend .legend-row").count() >= 4
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
    # The reviewer sees the reason and the change list before deciding.
    assert "理由" in review.inner_text("#plan-meta")
    review.wait_for_selector("#impact table")
    assert feature["properties"]["code"] in review.inner_text("#impact")
    # Approval asks for confirmation, with the effective date in the same dialog; cancelling changes nothing.
    review.click("#approve")
    assert review.locator("#approve-dialog").is_visible()
    assert "立即" in review.inner_text("#approve-when")
    review.click("#approve-cancel")
    assert review.locator("#approve-dialog").is_hidden()
    assert "待审批" in review.inner_text("#plan-meta")
    review.click("#approve")
    review.screenshot(path=artifacts / "plan-approve-dialog.png")
    review.click("#approve-confirm")
    wait_until(review, "document.querySelector('#plan-meta').textContent.includes('已生效')")
    answer = review.evaluate(f"fetch('/api/lookup?lon={moved.x}&lat={moved.y}').then(r => r.json())")
    assert answer["chain"][-1]["code"] == feature["properties"]["code"]
    before = review.evaluate(f"fetch('/api/lookup?lon={moved.x}&lat={moved.y}&at=2021-01-01').then(r => r.json())")
    assert before["chain"][-1]["code"] == group_code
    review.goto(f"{live_server}/plan")
    assert "拆分一组" in review.inner_text("#generations")
    admin.close()
    assert log.blocked == [] and log.errors == []


@pytest.fixture
def plans_removed_afterwards(app):
    """Plans a test starts through the browser are gone after it."""
    with app.app_context():
        before = db.session.scalar(select(func.coalesce(func.max(Plan.id), 0)))
        db.session.remove()
    yield
    with app.app_context():
        db.session.execute(delete(Plan).where(Plan.id > before))
        db.session.commit()
        db.session.remove()


def test_a_refused_edit_leaves_the_draft_as_it_was(offline_page, live_server, artifacts, plans_removed_afterwards):
    """The server refuses an edit (a reshape spilling over a neighbour): nothing on the page pretends it held."""
    page, log = offline_page
    sign_in(page, live_server, "planner")
    page.goto(live_server + "/plan")
    page.select_option("#new-plan select[name=parent_code]", VILLAGE)
    page.fill("#new-plan input[name=title]", "被拒绝的修改")
    page.click("#new-plan button[type=submit]")
    page.wait_for_url(lambda url: "/plan/" in url)
    plan_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("#validation .ok")
    code = VILLAGE + "001"
    _, outline = draft_feature(page, plan_id, code=code)
    before = page.evaluate(f"fetch('/api/plans/{plan_id}').then(r => r.json())")
    swollen = shapely.geometry.mapping(outline.buffer(0.01))
    # The UI sends the planner's reshape; the server's real answer is a 422 naming the broken edges.
    answer = page.evaluate(
        """async ([planId, code, geometry, version]) => {
            const response = await fetch(`/api/plans/${planId}/edits`, {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json',
                          'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
                body: JSON.stringify({op: 'reshape', code, geometry, version})});
            return {status: response.status, body: await response.json()};
        }""",
        [plan_id, code, swollen, before["plan"]["version"]],
    )
    assert answer["status"] == 422 and answer["body"]["details"]["invalid_edges"]["features"]
    page.route(
        f"**/api/plans/{plan_id}/edits",
        lambda route: route.fulfill(status=422, json=answer["body"]),
    )
    map_click(page, *shapely.point_on_surface(outline).coords[0])
    page.click("button[data-op=split]")
    page.fill("#op-form input[name=name_zh]", "不该出现的组")
    page.click("#op-form button[type=submit]")
    west, _, east, _ = outline.bounds
    y = outline.centroid.y
    map_click(page, west - 0.003, y)
    map_click(page, east + 0.003, y)
    map_click(page, east + 0.003, y)
    page.wait_for_selector("#validation ul.problems.error li")
    page.screenshot(path=artifacts / "plan-refused-edit.png")
    changes = page.evaluate(
        "Object.values(window[document.querySelector('.folium-map').id]._layers)"
        ".filter(l => l.feature && l.feature.properties && l.feature.properties.change)"
        ".map(l => l.feature.properties.change)"
    )
    assert changes and "new" not in changes and set(changes) == {"unchanged"}
    assert "不该出现的组" not in page.inner_text("body")
    assert page.locator("#validation .ok").count() == 1  # the plan itself is still valid
    after = page.evaluate(f"fetch('/api/plans/{plan_id}').then(r => r.json())")
    assert after["plan"]["version"] == before["plan"]["version"]
    assert [error for error in log.errors if "status of 422" not in error] == []  # the refusals themselves
