"""The grid worker's phone page /my: a case in full, reports from GPS, steps kept without signal, conflicts shown."""

from __future__ import annotations

import base64
from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from extensions import db, db_session
from geo.accounts.principal import Principal
from geo.dispatch.attachments import add_attachment
from geo.dispatch.intake import IncidentInput, create_incident
from geo.dispatch.models import Incident, IncidentAttachment, IncidentCategory, IncidentEvent
from geo.dispatch.workflow import apply_action
from geo.public.places import group_point
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until

pytestmark = pytest.mark.browser

WORKER_GROUP = "533422102001001"  # the demo 'worker' account's group
DESK = Principal.everything("dispatcher")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PHOTO = {"name": "处置后.png", "mimeType": "image/png", "buffer": PNG}


def dispatched_case(app, title: str, category: str = "safety_hazard") -> tuple[str, float, float]:
    """A case in the worker's group, with a resident's photo, registered and dispatched to the worker."""
    with app.app_context():
        lon, lat = group_point(db_session(), WORKER_GROUP)
        incident = create_incident(
            db_session(),
            DESK,
            IncidentInput(
                net="social",
                category=category,
                title=title,
                description="村民来电：" + title + "，请到现场查看。",
                lon=lon,
                lat=lat,
                channel="phone",
                reporter_name="扎西",
                reporter_phone="13800001111",
            ),
        ).incident
        add_attachment(db_session(), DESK, incident.ticket, "群众拍摄.png", PNG)
        for step in ("register", "dispatch"):
            incident = apply_action(db_session(), DESK, incident.ticket, step, version=incident.version)
        db.session.commit()
        return incident.ticket, lon, lat


def steps_of(app, ticket: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(IncidentEvent.action).join(Incident).where(Incident.ticket == ticket).order_by(IncidentEvent.id)
            )
        )


def phone_page(browser, live_server, log: PageLog, lon: float, lat: float, **options):
    """The worker's phone (390 x 844) in a browser set to UTC, its GPS a little way from the case."""
    context, page = offline_context(
        browser,
        live_server,
        log,
        viewport={"width": 390, "height": 844},
        timezone_id="UTC",
        geolocation={"latitude": lat + 0.0004, "longitude": lon - 0.0003},
        permissions=["geolocation"],
        **options,
    )
    sign_in(page, live_server, "worker")
    return context, page


def open_my_page(page, live_server: str) -> None:
    """/my, once its script has taken the forms over (before, a click would post the plain form)."""
    page.goto(live_server + "/my")
    wait_until(page, "document.querySelector('.my-cases.scripted') !== null")


@pytest.fixture
def photo_on_resolve(app):
    """安全隐患 cases need a photo on resolving, for this test."""
    with app.app_context():
        db.session.execute(
            update(IncidentCategory).where(IncidentCategory.code == "safety_hazard").values(photo_on_resolve=True)
        )
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(
            update(IncidentCategory).where(IncidentCategory.code == "safety_hazard").values(photo_on_resolve=False)
        )
        db.session.commit()


def test_a_worker_reports_from_gps_opens_a_case_and_resolves_it_with_note_and_photo(
    app, browser, live_server, artifacts, photo_on_resolve
):
    ticket, lon, lat = dispatched_case(app, "电线杆倾斜")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_my_page(page, live_server)

    # Reporting what the patrol found: the position comes from the phone's GPS.
    page.click("#open-report")
    form = page.locator("#report-form")
    wait_until(page, "document.querySelector('#report-form [name=lat]').value !== ''")
    assert float(form.locator("[name=lat]").input_value()) == pytest.approx(lat + 0.0004, abs=1e-6)
    form.locator("[name=category]").select_option("sanitation")
    form.locator("[name=title]").fill("河边垃圾堆积")
    form.locator("[name=description]").fill("巡查发现河边垃圾堆积约两方")
    form.locator("[name=photos]").set_input_files(files=[PHOTO])
    page.screenshot(path=artifacts / "my-report-phone.png")
    form.locator("button[type=submit]").click()
    page.locator("#my-message", has_text="已上报").wait_for()
    wait_until(page, "document.getElementById('outbox').hidden")
    with app.app_context():
        reported = db.session.scalars(select(Incident).where(Incident.title == "河边垃圾堆积")).one()
        photos = db.session.scalar(
            select(func.count()).select_from(IncidentAttachment).where(IncidentAttachment.incident_id == reported.id)
        )
        assert (reported.channel, reported.created_by, photos) == ("patrol", "worker", 1)

    # The case in full: description, the resident's photo, deadline in China Standard Time, reporter, map, way.
    case = page.locator(f"li#{ticket}")
    case.locator(".case-head").click()
    text = case.inner_text()
    assert "村民来电：电线杆倾斜" in text and "扎西" in text and "13800001111" in text
    with app.app_context():
        due = db.session.scalars(select(Incident.due_at).where(Incident.ticket == ticket)).one()
    assert due is not None
    assert due.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in text
    assert "剩余" in case.locator(".countdown").inner_text()
    wait_until(page, f"document.querySelector('li#{ticket} .thumbs img').naturalWidth > 0")
    assert case.locator(".case-map .leaflet-interactive").count() >= 2  # the case and the phone
    assert "距事件约" in case.locator(".distance").inner_text()
    assert case.locator("a.navigate").get_attribute("href").startswith(f"geo:{lat:.6f}"[:10])
    case.locator(".thumbs a").first.click()
    page.locator("#photo-view img").wait_for()  # open at once, visible once its photo has come (the page's worker)
    page.keyboard.press("Escape")
    assert "派遣" in case.locator(".history").inner_text()  # readable steps, not codes

    case.locator("button[value=accept]").click()
    case.locator(".status", has_text="任务处理").wait_for()
    # The category asks for a photo: resolving without one is refused, naming it, and the note stays.
    case.locator("[name=note]").fill("已加固电线杆")
    case.locator("button[value=resolve]").click()
    case.locator(".refusal", has_text="照片").wait_for()
    assert case.locator("[name=note]").input_value() == "已加固电线杆"
    case.locator("[name=file]").set_input_files(files=[PHOTO])
    case.locator("button[value=resolve]").click()
    case.locator(".status", has_text="处理反馈").wait_for()
    page.screenshot(path=artifacts / "my-case-phone.png", full_page=True)
    assert steps_of(app, ticket)[-3:] == ["accept", "attach", "resolve"]
    # A link to a case opens it.
    open_my_page(page, live_server)
    page.goto(live_server + f"/my#{ticket}")
    wait_until(page, f"document.getElementById('{ticket}').classList.contains('open')")
    context.close()
    assert log.blocked == [] and log.errors == []


def test_steps_without_signal_are_sent_once_and_a_conflict_keeps_the_note(app, browser, live_server, artifacts):
    ticket, lon, lat = dispatched_case(app, "草场边界争执", category="dispute")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_my_page(page, live_server)
    case = page.locator(f"li#{ticket}")
    case.locator(".case-head").click()

    context.set_offline(True)
    wait_until(page, "navigator.onLine === false")
    case.locator("button[value=accept]").click()
    case.locator("[name=note]").fill("山上没有信号，已到场调解")
    case.locator("[name=file]").set_input_files(files=[PHOTO])
    case.locator("button[value=note]").click()
    page.locator("#outbox", has_text="待发送：3").wait_for()  # accept, the photo, the note
    page.screenshot(path=artifacts / "my-offline-phone.png")
    assert steps_of(app, ticket)[-1] == "dispatch"

    context.set_offline(False)  # the page sends what it kept, in order, each once
    wait_until(page, "document.getElementById('outbox').hidden", timeout=20_000)
    assert steps_of(app, ticket)[-3:] == ["accept", "attach", "note"]

    # Meanwhile the dispatcher changes the case: the worker's next step meets a 409, shown with the note kept.
    with app.app_context():
        version = db.session.scalars(select(Incident.version).where(Incident.ticket == ticket)).one()
        apply_action(db_session(), DESK, ticket, "note", version=version, note="请同时联系村委会")
        db.session.commit()
    case.locator("[name=note]").fill("双方已同意划界")
    case.locator("button[value=note]").click()
    refusal = case.locator(".refusal")
    refusal.wait_for()
    assert "已被他人修改" in refusal.inner_text()
    assert case.locator("[name=note]").input_value() == "双方已同意划界"
    page.screenshot(path=artifacts / "my-conflict-phone.png")
    case.locator("button[value=note]").click()  # sent again, knowingly, over the dispatcher's note
    wait_until(page, f"document.querySelector('li#{ticket} .history').textContent.includes('双方已同意划界')")
    assert steps_of(app, ticket)[-2:] == ["note", "note"]
    context.close()
    assert log.blocked == [] and log.errors == []


# Each IndexedDB transaction of the page completes 0.7 s late, as on a busy phone.
SLOW_OUTBOX = """() => {
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (...args) {
    const tx = transaction.apply(this, args);
    Object.defineProperty(tx, "oncomplete", {
      set(handler) { tx.addEventListener("complete", () => setTimeout(handler, 700)); },
    });
    return tx;
  };
}"""


def test_a_note_typed_while_the_last_step_is_kept_is_not_cleared(app, browser, live_server):
    ticket, lon, lat = dispatched_case(app, "水渠堵塞", category="livelihood")
    log = PageLog()
    context, page = phone_page(browser, live_server, log, lon, lat)
    open_my_page(page, live_server)
    page.evaluate(SLOW_OUTBOX)
    case = page.locator(f"li#{ticket}")
    case.locator(".case-head").click()
    context.set_offline(True)
    wait_until(page, "navigator.onLine === false")
    case.locator("button[value=accept]").click()
    case.locator("[name=note]").fill("已到场")  # typed before the phone has finished keeping the accept
    page.locator("#outbox", has_text="待发送：1").wait_for()
    assert case.locator("[name=note]").input_value() == "已到场"
    case.locator("button[value=note]").click()
    page.locator("#outbox", has_text="待发送：2").wait_for()
    assert case.locator("[name=note]").input_value() == ""  # what was kept is cleared
    context.close()
    assert log.blocked == [] and log.errors == []


def test_a_stale_second_tab_gets_a_styled_409_that_keeps_the_note(app, browser, live_server, artifacts):
    ticket, lon, lat = dispatched_case(app, "路灯不亮", category="livelihood")
    log = PageLog()
    # Without JavaScript the page posts its plain form: the answer is the styled conflict page.
    context, page = phone_page(browser, live_server, log, lon, lat, java_script_enabled=False)
    page.goto(live_server + "/my")
    with app.app_context():
        version = db.session.scalars(select(Incident.version).where(Incident.ticket == ticket)).one()
        apply_action(db_session(), DESK, ticket, "note", version=version, note="另一标签页的修改")
        db.session.commit()
    case = page.locator(f"li#{ticket}")
    case.locator("[name=note]").fill("已更换灯泡")
    case.locator("button[value=note]").click()
    page.locator(".error-page").wait_for()
    assert page.locator(".error-code").inner_text() == "409"
    assert "内容已被他人修改" in page.locator("h2").inner_text()
    assert page.locator(".kept textarea[name=note]").input_value() == "已更换灯泡"
    page.screenshot(path=artifacts / "my-409-phone.png")
    page.locator(".kept button[value=note]").click()  # sent again from the page, with the current version
    page.wait_for_url(lambda url: url.split("#")[0].endswith("/my"))
    assert steps_of(app, ticket)[-2:] == ["note", "note"]
    context.close()
    assert log.blocked == []
