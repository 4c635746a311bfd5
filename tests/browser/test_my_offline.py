"""/my without signal: its service worker opens the last-read cases, marked as a copy, and never another worker's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error
from sqlalchemy import delete, select, update

from extensions import db, db_session
from geo.accounts.models import LoginSession, Role, User
from geo.accounts.users import create_user
from geo.dispatch.models import Incident
from geo.grid.models import Grid, GridWorker
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until
from tests.browser.test_my_phone import dispatched_case, open_my_page, phone_page, steps_of
from web.offline import OFFLINE_PHOTO_BYTES, deployment_version

pytestmark = pytest.mark.browser

#: True once the worker's copy of the page it shows is kept (the first visit copies it after the worker took over).
COPIED = "caches.match(location.href.split('#')[0], {ignoreVary: true}).then(found => found !== undefined)"
IS_COPY = "document.documentElement.hasAttribute('data-offline-copy')"


def open_and_copy(page, live_server: str) -> None:
    """/my online, once its service worker answers for it and keeps its copy."""
    open_my_page(page, live_server)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    wait_until(page, COPIED)


def reload_offline(context, page) -> None:
    context.set_offline(True)
    wait_until(page, "navigator.onLine === false")
    page.reload()
    wait_until(page, "document.querySelector('.my-cases.scripted') !== null")


@pytest.fixture
def second_worker(app):
    """A second grid worker's account (a demo worker of another group with no account yet), removed afterwards."""
    with app.app_context():
        taken = select(User.worker_id).where(User.worker_id.is_not(None))
        worker, group = db.session.execute(
            select(GridWorker.code, Grid.code)
            .join(Grid, Grid.id == GridWorker.grid_id)
            .where(GridWorker.id.not_in(taken), Grid.level == "group")
            .order_by(GridWorker.code)
            .limit(1)
        ).one()
        create_user(
            db_session(), username="worker-two", password="worker-two-demo-2026", role=Role.GRID_WORKER,
            jurisdiction=group, nets=["social"], worker_code=worker, actor="test",
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
    yield "worker-two"
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "worker-two"))
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
        db.session.execute(delete(User).where(User.id == user_id))
        db.session.commit()
        db.session.remove()


def test_my_opens_without_signal_with_the_last_read_cases_and_a_step_made_then_is_sent_once(
    app, browser, live_server, artifacts
):
    ticket, lon, lat = dispatched_case(app, "牛圈围栏倒塌")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_and_copy(page, live_server)
    read_at = page.evaluate("gridmap.pageOptions().readAt")

    reload_offline(context, page)
    assert page.evaluate(IS_COPY)
    case = page.locator(f"li#{ticket}")
    assert "牛圈围栏倒塌" in case.inner_text()
    copy = page.locator("#offline-copy")
    assert copy.is_visible() and "没有信号" in copy.inner_text()
    # The time of the copy, in China Standard Time, though the phone's browser is set to UTC.
    assert page.evaluate(f"gridmap.localTime({read_at!r})") in copy.inner_text()
    assert page.evaluate(f"gridmap.localTime({read_at!r})")[11:13] != read_at[11:13]
    page.screenshot(path=artifacts / "my-offline-copy-phone.png", full_page=True)

    # The outbox works on the copy: a step made without signal is sent once when the signal returns.
    case.locator(".case-head").click()
    case.locator("button[value=accept]").click()
    page.locator("#outbox", has_text="1").wait_for()
    assert steps_of(app, ticket)[-1] == "dispatch"
    context.set_offline(False)
    wait_until(page, "document.getElementById('outbox').hidden", timeout=20_000)
    assert steps_of(app, ticket)[-2:] == ["dispatch", "accept"]
    page.reload()
    assert not page.evaluate(IS_COPY)
    assert steps_of(app, ticket).count("accept") == 1
    context.close()
    assert log.blocked == [] and log.errors == []


def test_online_the_page_is_never_the_copy(app, browser, live_server):
    ticket, lon, lat = dispatched_case(app, "水渠堵塞")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_and_copy(page, live_server)
    with app.app_context():
        db.session.execute(update(Incident).where(Incident.ticket == ticket).values(title="水渠已部分疏通"))
        db.session.commit()
    for _ in range(2):  # answered by the worker now, then again after it has copied the changed page
        open_my_page(page, live_server)
        assert "水渠已部分疏通" in page.locator(f"li#{ticket}").inner_text()
        assert not page.evaluate(IS_COPY) and page.locator("#offline-copy").is_hidden()
    # Only what the page read (GET) is kept.
    kept = page.evaluate(
        "caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))"
        ".then(lists => lists.flat().map(r => r.method + ' ' + new URL(r.url).pathname))"
    )
    assert kept and all(entry.startswith("GET ") for entry in kept)
    assert "GET /my" in kept
    context.close()
    assert log.blocked == [] and log.errors == []


def test_the_listed_cases_photos_open_without_signal_never_opened_before_within_the_phones_bound(
    app, browser, live_server
):
    ticket, lon, lat = dispatched_case(app, "护栏缺失")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_and_copy(page, live_server)
    photo = page.locator(f"li#{ticket} .thumbs a").first.get_attribute("href")
    kept = f"caches.match({photo!r}, {{ignoreVary: true}}).then(found => found !== undefined)"
    wait_until(page, kept)  # kept ahead: the case was never opened, its photo never shown

    reload_offline(context, page)
    page.locator(f"li#{ticket} .case-head").click()
    wait_until(page, f"document.querySelector('li#{ticket} .thumbs img').naturalWidth > 0")

    # Online again: photos past the bound are let go (here a bound smaller than the one photo).
    context.set_offline(False)
    wait_until(page, "navigator.onLine === true")
    page.evaluate(f"navigator.serviceWorker.controller.postMessage({{photos: [{photo!r}], maxBytes: 1}})")
    wait_until(page, f"caches.match({photo!r}, {{ignoreVary: true}}).then(found => found === undefined)")
    assert page.evaluate("gridmap.pageOptions().offlinePhotoBytes") == OFFLINE_PHOTO_BYTES
    context.close()
    assert log.blocked == [] and log.errors == []


def test_after_signing_out_the_next_person_finds_none_of_the_workers_cases(
    app, browser, live_server, artifacts, second_worker
):
    ticket, lon, lat = dispatched_case(app, "村道塌方")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_and_copy(page, live_server)
    photo = page.locator(f"li#{ticket} .thumbs a").first.get_attribute("href")
    page.locator(f"li#{ticket} .case-head").click()
    wait_until(page, f"document.querySelector('li#{ticket} .thumbs img').naturalWidth > 0")
    wait_until(page, f"caches.match({photo!r}, {{ignoreVary: true}}).then(found => found !== undefined)")

    # Signed out, a dispatcher signs in on the same phone: nothing of the worker's is kept for /my.
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url(lambda url: "/login" in url)
    sign_in(page, live_server, "dispatcher")
    assert page.evaluate(f"caches.match({photo!r}, {{ignoreVary: true}})") is None
    assert page.evaluate("caches.match('/my', {ignoreVary: true, ignoreSearch: true})") is None
    context.set_offline(True)
    with pytest.raises(Error, match="net::ERR_"):  # no copy to open: the browser's own error page
        page.goto(live_server + "/my")
    context.set_offline(False)

    # The second worker signs in (online), then opens /my without signal: their page, none of the first's.
    page.goto(live_server + "/login")
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url(lambda url: "/login" in url)
    page.fill("input[name=username]", second_worker)
    page.fill("input[name=password]", f"{second_worker}-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.split("?")[0].endswith("/my"))
    wait_until(page, "navigator.serviceWorker.controller !== null")
    wait_until(page, COPIED)
    reload_offline(context, page)
    assert page.evaluate(IS_COPY)
    assert ticket not in page.content() and "村道塌方" not in page.content()
    assert second_worker in page.evaluate("gridmap.pageOptions().username")
    context.close()
    assert log.blocked == [] and log.errors == []


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_the_offline_copy_at_phone_and_desktop_size(app, browser, live_server, artifacts, size):
    ticket, *_ = dispatched_case(app, "灌溉水管破裂")
    log = PageLog()
    context, page = offline_context(
        browser, live_server, log, viewport={"width": size[0], "height": size[1]}, locale="zh-CN"
    )
    sign_in(page, live_server, "worker")
    open_and_copy(page, live_server)
    reload_offline(context, page)
    page.locator(f"li#{ticket} .case-head").click()
    page.screenshot(path=artifacts / f"my-offline-copy-{size[0]}.png")
    assert page.locator("#offline-copy").is_visible()
    context.close()
    assert log.blocked == [] and log.errors == []


def test_a_new_deployment_replaces_the_old_copies(app, browser, live_server):
    ticket, lon, lat = dispatched_case(app, "村口路灯损坏")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_and_copy(page, live_server)
    before = page.evaluate("caches.keys()")
    assert before and all(name.endswith(deployment_version_of(app)) for name in before)
    app.extensions["gridmap.deployment_version"] = "next-deployment"
    try:
        open_my_page(page, live_server)  # the page names the new version's worker, which takes over
        wait_until(page, "navigator.serviceWorker.controller.scriptURL.endsWith('v=next-deployment')")
        wait_until(page, "caches.keys().then(names => names.every(name => name.endsWith('.next-deployment')))")
        wait_until(page, COPIED)  # the new worker copied the page it took over
        reload_offline(context, page)
        assert page.evaluate(IS_COPY) and ticket in page.content()
    finally:
        del app.extensions["gridmap.deployment_version"]
    context.close()
    assert log.blocked == [] and log.errors == []


def deployment_version_of(app) -> str:
    with app.test_request_context():
        return deployment_version()
