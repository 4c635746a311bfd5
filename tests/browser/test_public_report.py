"""A resident on a phone, without an account: report by choosing a village, follow the case, rate it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from extensions import db, limiter
from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.dispatch.models import Incident
from geo.evaluation.indicators import compute
from geo.evaluation.record_models import IncidentEvaluation
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until

pytestmark = pytest.mark.browser

TOWNSHIP, VILLAGE, GROUP = "533422102", "533422102001", "533422102001001"  # the demo 'worker' account's group
POST = """([path, body]) => fetch(path, {method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json',
              'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}}).then(r => r.json())"""


def phone_page(browser, live_server, log: PageLog):
    return offline_context(
        browser, live_server, log, viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
    )


def satisfaction_on_today(app, group: str) -> tuple[float, float | None]:
    """满意率's numerator and denominator for ``group`` today, as the county sees them."""
    with app.app_context():
        figure = compute(
            db.session(),
            Principal.everything(),
            grid_codes=[group],
            since=county_day(now_utc()),
            until=county_day(now_utc()),
        )[group]["satisfaction_rate"]
        db.session.remove()
    return figure.numerator, figure.denominator


def test_a_resident_reports_follows_and_rates_a_case(app, browser, offline_page, live_server, artifacts):
    limiter.reset()
    content_before, rated_before = satisfaction_on_today(app, GROUP)
    log = PageLog()
    resident_context, resident = phone_page(browser, live_server, log)
    resident.goto(live_server + "/report")
    resident.select_option("#township", TOWNSHIP)
    wait_until(resident, f"document.querySelector('#village option[value=\"{VILLAGE}\"]') !== null")
    resident.select_option("#village", VILLAGE)
    wait_until(resident, f"document.querySelector('#group option[value=\"{GROUP}\"]') !== null")
    resident.select_option("#group", GROUP)
    resident.select_option("select[name=category]", "sanitation")
    resident.fill("textarea[name=description]", "浏览器测试：村口垃圾无人清运")
    resident.fill("input[name=reporter_phone]", "13800009999")
    resident.screenshot(path=artifacts / "public-report-phone.png", full_page=True)
    resident.click("button[type=submit]")
    resident.wait_for_selector("#ticket")
    ticket = resident.inner_text("#ticket")
    assert re.fullmatch(r"DQ-\d{4}-\d{6,}", ticket)
    assert resident.locator("#track-qr svg").count() == 1
    link = resident.get_attribute("#track-link", "href")
    assert link and "/track/" in link
    resident.screenshot(path=artifacts / "public-receipt-phone.png", full_page=True)

    # The dispatcher registers and dispatches it; the grid worker resolves it; the dispatcher closes it.
    desk, _ = offline_page
    sign_in(desk, live_server, "dispatcher")
    desk.goto(live_server + "/dispatch")
    detail = desk.evaluate(f"fetch('/api/incidents/{ticket}').then(r => r.json())")
    assert detail["from_public"] and detail["channel"] == "online" and detail["status"] == "reported"
    for action in ("register", "dispatch"):
        detail = desk.evaluate(POST, [f"/api/incidents/{ticket}/{action}", {"version": detail["version"]}])
        assert "error" not in detail, detail
    detail = desk.evaluate(
        POST, [f"/api/incidents/{ticket}/note", {"version": detail["version"], "note": "已通知环卫站", "public": True}]
    )
    resident.goto(link)
    assert "已交给网格员处理" in resident.inner_text("#plain-status")
    assert "已通知环卫站" in resident.inner_text("#public-notes")
    assert resident.locator("#due").count() == 1

    worker_context = browser.new_context(viewport={"width": 390, "height": 844})
    worker = worker_context.new_page()
    worker.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server) else r.abort())
    sign_in(worker, live_server, "worker")
    worker.goto(live_server + "/my")
    case = worker.locator(f"li#{ticket}")
    case.locator(".case-head").click()
    case.locator("[name=note]").fill("已清运")
    case.locator("button[value=resolve]").click()
    case.locator(".status", has_text="处理反馈").wait_for()
    worker_context.close()

    detail = desk.evaluate(f"fetch('/api/incidents/{ticket}').then(r => r.json())")
    detail = desk.evaluate(POST, [f"/api/incidents/{ticket}/verify", {"version": detail["version"]}])
    assert detail["status"] == "closed", detail

    resident.goto(link)
    assert "已办结" in resident.inner_text("#plain-status")
    shown = resident.content()
    assert "13800009999" not in shown and detail["assignee"] not in shown and detail["assignee_name"] not in shown
    resident.check("#rating input[name=result][value=satisfied]")
    resident.fill("#rating textarea[name=comment]", "清运及时")
    resident.screenshot(path=artifacts / "public-rating-phone.png", full_page=True)
    resident.click("#rating button[type=submit]")
    resident.wait_for_selector("#rated")
    resident.screenshot(path=artifacts / "public-track-phone.png", full_page=True)
    with app.app_context():
        incident = db.session.scalars(select(Incident).where(Incident.ticket == ticket)).one()
        rating = db.session.scalars(
            select(IncidentEvaluation).where(IncidentEvaluation.incident_id == incident.id)
        ).one()
        assert (rating.result, rating.source) == ("satisfied", "resident")
        db.session.remove()
    assert satisfaction_on_today(app, GROUP) == (content_before + 1, (rated_before or 0) + 1)  # it counts in 满意率
    assert log.blocked == [] and log.errors == []
    resident_context.close()
