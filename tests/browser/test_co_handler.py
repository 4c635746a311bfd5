"""A forest ranger co-handling (协办) a case notes it on the phone page; the dispatcher reads it on the console."""

import pytest
from sqlalchemy import select

from extensions import db
from geo.dispatch.models import Incident, IncidentCoHandler
from geo.grid.models import ForceMember
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until

pytestmark = pytest.mark.browser

NOTE = "护林员已到现场：山火隐患已清除"


def test_a_co_handling_ranger_notes_a_case_that_the_dispatcher_then_sees(app, browser, live_server, artifacts):
    with app.app_context():
        ticket, status, group_code = db.session.execute(
            select(Incident.ticket, Incident.status, Incident.group_code)
            .join(IncidentCoHandler, IncidentCoHandler.incident_id == Incident.id)
            .join(ForceMember, ForceMember.id == IncidentCoHandler.member_id)
            .where(ForceMember.kind == "forest_ranger")
            .order_by(Incident.id)
            .limit(1)
        ).one()

    log = PageLog()
    phone, ranger = offline_context(browser, live_server, log, viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(ranger, live_server, "ranger")
    assert ranger.url.endswith("/co")  # a co-handler lands on its cases
    case = ranger.locator(f"li#{ticket}")
    case.locator("input[name=note]").fill(NOTE)
    case.locator("button", has_text="添加备注").click()
    ranger.wait_for_url(lambda url: url.endswith("/co"))
    assert ranger.locator(f"li#{ticket}").count() == 1
    ranger.screenshot(path=artifacts / "co-handler-phone.png", full_page=True)
    phone.close()

    desk_log = PageLog()
    desk, page = offline_context(browser, live_server, desk_log, viewport={"width": 1280, "height": 800})
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/dispatch")
    page.wait_for_selector("#incident-list li")
    page.locator("select[name=grid]").select_option(group_code[:12])
    page.locator("select[name=status]").select_option(status)
    page.locator("#filters button[type=submit]").click()
    page.locator("#incident-list li", has_text=ticket).click()
    detail = page.locator("#incident-detail")
    wait_until(page, f"document.querySelector('#incident-detail .history').textContent.includes({NOTE!r})")
    assert "ranger" in detail.locator(".history li").last.inner_text()
    wait_until(page, "document.querySelector('#support .co-handlers') !== null")
    assert "护林员" in detail.locator("#support .co-handlers").inner_text()
    detail.locator("#support").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "dispatch-co-handler-note.png")
    desk.close()
    assert log.blocked == [] and log.errors == [] and desk_log.blocked == [] and desk_log.errors == []


@pytest.mark.parametrize(("size", "name"), [((1280, 800), "desktop"), ((390, 844), "phone")])
def test_the_workforce_page_at_desktop_and_phone_sizes(browser, live_server, artifacts, size, name):
    log = PageLog()
    context, page = offline_context(browser, live_server, log, viewport={"width": size[0], "height": size[1]})
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/workforce")
    assert page.locator("#coverage-total").inner_text().endswith("%")
    assert page.locator("#duty tbody tr").count() > 0 and page.locator("#forces tbody tr").count() > 0
    assert page.locator(".demo-banner").count() == 1
    page.locator("#forces .map-wrap").scroll_into_view_if_needed()
    wait_until(page, "document.querySelectorAll('#forces path.leaflet-interactive').length > 100")
    page.screenshot(path=artifacts / f"workforce-{name}.png", full_page=True)
    context.close()
    assert log.blocked == [] and log.errors == []
