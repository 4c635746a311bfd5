"""A township admin records a 主题党日 with a photo from a phone, at the phone's position, and finds it on the map."""

import struct
import zlib

import pytest
from playwright.sync_api import FilePayload
from sqlalchemy import delete, select

from extensions import db, db_session
from geo.accounts.models import LoginSession, Role, User
from geo.accounts.principal import Principal
from geo.accounts.users import create_user
from geo.core.clock import now_utc
from geo.core.models import AuditEvent
from geo.grid.models import PartyBranch
from geo.party.members import MemberInput, add_member
from geo.party.members import update_member as change_member
from geo.party.models import PartyActivity, PartyMember, VillageBranch
from tests.browser.conftest import PageLog, offline_context, sign_in, wait_until

pytestmark = pytest.mark.browser

# The seat of 奔子栏镇, where the phone is.
SEAT = {"latitude": 28.2446, "longitude": 99.2991}


def red_png(width: int = 8, height: int = 8) -> bytes:
    rows = b"".join(b"\x00" + b"\xc5\x1b\x1b" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def township_admin(app):
    """An admin account of 奔子栏镇 on the live server (committed), removed afterwards."""
    with app.app_context():
        create_user(
            db_session(), username="benzilan-admin", password="benzilan-admin-demo-2026", role=Role.ADMIN,
            jurisdiction="533422102", nets=["social", "rural"], actor="test",
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
    yield "benzilan-admin"
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "benzilan-admin"))
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
        db.session.execute(delete(User).where(User.id == user_id))
        db.session.commit()
        db.session.remove()


def test_a_township_admin_records_a_theme_day_from_a_phone_and_sees_it_on_the_map(
    app, browser, live_server, artifacts, township_admin
):
    log = PageLog()
    context, page = offline_context(
        browser, live_server, log, viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
        timezone_id="Asia/Shanghai", geolocation=SEAT, permissions=["geolocation"],
    )  # fmt: skip
    sign_in(page, live_server, township_admin)
    page.goto(live_server + "/party/record")
    # The place comes from the phone.
    wait_until(page, "document.querySelector('input[name=lon]').value !== ''")
    assert page.input_value("input[name=lat]") == "28.244600"
    page.select_option("select[name=kind]", "theme_day")
    page.fill("input[name=topic]", "主题党日：学习民族团结进步条例")
    page.fill("input[name=attendance]", "17")
    page.fill("input[name=place_name]", "奔子栏镇党群服务中心")
    photo: FilePayload = {"name": "dang-ri.png", "mimeType": "image/png", "buffer": red_png()}
    page.set_input_files("input[name=file]", files=[photo])
    page.screenshot(path=artifacts / "party-record-phone.png", full_page=True)
    page.click("form.party-record button[type=submit]")
    page.wait_for_url(lambda url: "recorded=" in url)

    # Back on the party map, the month's layer holds it, with its popup open.
    assert "活动已记录" in page.locator("#recorded").inner_text()
    wait_until(page, "document.querySelector('.leaflet-popup-content') !== null")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "主题党日" in popup and "学习民族团结进步条例" in popup and "17 人参加" in popup and "1 张照片" in popup
    page.screenshot(path=artifacts / "party-map-phone.png")
    with app.app_context():
        recorded = db.session.scalars(
            select(PartyActivity).where(PartyActivity.topic.contains("民族团结进步条例"))
        ).one()
        assert (recorded.kind, recorded.attendance, recorded.area_code[:9], len(recorded.photos)) == (
            "theme_day", 17, "533422102", 1,
        )  # fmt: skip
        db.session.remove()
    assert log.blocked == [] and log.errors == []
    context.close()


ASKED_FOR_POSITION = """
window.positionAsked = 0;
const ask = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
navigator.geolocation.getCurrentPosition = (...args) => { window.positionAsked += 1; return ask(...args); };
"""


def test_a_township_admin_records_a_village_organisations_own_meeting_from_its_page(
    app, browser, live_server, artifacts, township_admin
):
    with app.app_context():
        village_id, village_name = db.session.execute(
            select(VillageBranch.id, VillageBranch.name)
            .where(VillageBranch.code.startswith("V533422102"))
            .order_by(VillageBranch.code)
            .limit(1)
        ).one()
        db.session.remove()
    log = PageLog()
    context, page = offline_context(
        browser, live_server, log, viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
        timezone_id="Asia/Shanghai", geolocation=SEAT, permissions=["geolocation"],
    )  # fmt: skip
    context.add_init_script(ASKED_FOR_POSITION)
    sign_in(page, live_server, township_admin)
    page.goto(f"{live_server}/party/villages/{village_id}")
    page.wait_for_load_state("load")
    assert page.evaluate("window.positionAsked") == 0  # reading the page asks for nothing; the form is folded

    page.locator("details.village-record summary").click()
    form = page.locator("#activity-record")
    wait_until(page, "document.querySelector('#activity-record input[name=lon]').value !== ''")
    assert page.evaluate("window.positionAsked") == 1
    assert form.locator("select[name=branch]").input_value() == f"v:{village_id}"
    form.locator("select[name=kind]").select_option("meeting")
    form.locator("input[name=topic]").fill("党总支委员会：虫草季值守安排")
    form.locator("input[name=attendance]").fill("7")
    page.screenshot(path=artifacts / "party-village-record-phone.png", full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "recorded=" in url)
    assert "虫草季值守安排" in page.locator("main").inner_text()
    with app.app_context():
        recorded = db.session.scalars(select(PartyActivity).where(PartyActivity.topic.contains("虫草季值守安排"))).one()
        assert (recorded.village_branch_id, recorded.branch_id, recorded.kind, recorded.attendance) == (
            village_id, None, "meeting", 7,
        )  # fmt: skip
        db.session.execute(delete(PartyActivity).where(PartyActivity.id == recorded.id))
        db.session.commit()
        db.session.remove()
    assert village_name in page.locator("main").inner_text()
    context.close()
    assert log.blocked == [] and log.errors == []


def test_the_party_pages_at_desktop_size(offline_page, live_server, artifacts):
    page, log = offline_page
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/party?lang=zh")
    wait_until(page, "document.querySelector('#activity-count').textContent !== ''")
    assert page.locator("table.party-branches tbody tr").count() == 100
    page.screenshot(path=artifacts / "party-desktop.png")
    page.click("table.party-branches tbody tr:first-child a")
    page.wait_for_url(lambda url: "/party/branches/" in url)
    assert page.locator("h3").first.inner_text() in ("指标", "Indicators")
    # An admin enters a member with a household from the console.
    page.click("#member-add summary")
    page.fill("#member-form input[name=name]", "测试党员格桑")
    page.fill("#member-form input[name=phone]", "17000000009")
    page.fill("#member-form input[name=household_count]", "2")
    page.fill("#member-form textarea[name=households]", "次仁，一组 8 号")
    page.click("#member-form button[type=submit]")
    wait_until(page, "document.body.innerText.includes('测试党员格桑')")
    assert "次仁（一组 8 号）" in page.locator("main").inner_text()
    page.screenshot(path=artifacts / "party-branch-desktop.png", full_page=True)
    assert log.blocked == [] and log.errors == []


def test_an_admin_corrects_and_removes_a_member_on_the_branch_page_and_a_stale_edit_is_refused(
    app, offline_page, live_server, artifacts
):
    page, log = offline_page
    with app.app_context():
        branch = db.session.scalars(select(PartyBranch).order_by(PartyBranch.id)).first()
        assert branch is not None
        member = add_member(
            db_session(), Principal.everything("test"), branch.id, MemberInput("测试党员卓玛", phone="17000000010"),
            now_utc(),
        )  # fmt: skip
        branch_id, member_id = branch.id, member.id
        db.session.commit()
        db.session.remove()
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/party/branches/{branch_id}?lang=zh")
    row = f'tr[data-member="{member_id}"]'

    page.click(f"{row} .member-edit")
    assert page.input_value("#member-form input[name=name]") == "测试党员卓玛"
    page.fill("#member-form input[name=duty]", "组织委员")
    page.fill("#member-form input[name=household_count]", "1")
    page.fill("#member-form textarea[name=households]", "格桑，二组 3 号")
    page.click("#member-form button[type=submit]")
    wait_until(page, f"(document.querySelector('{row}') || {{}}).innerText?.includes('组织委员')")
    assert "格桑（二组 3 号）" in page.locator(row).inner_text()
    # The row is drawn before the reloaded page's script binds its buttons; on a loaded machine a click
    # in between did nothing (seen once in a full run).
    page.wait_for_load_state("load")

    # Someone else changes the member after the page was read: the edit is refused, nothing overwritten.
    page.click(f"{row} .member-edit")
    with app.app_context():
        current = db.session.get(PartyMember, member_id)
        assert current is not None
        change_member(
            db_session(), Principal.everything("test"), member_id, current.version,
            MemberInput("测试党员卓玛", duty="宣传委员"), now_utc(),
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
    page.fill("#member-form input[name=post]", "村民小组长")
    page.click("#member-form button[type=submit]")
    wait_until(page, "document.querySelector('#party-message').textContent !== ''")
    message = page.locator("#party-message").inner_text()
    assert "已被修改" in message or "changed since you read it" in message
    page.screenshot(path=artifacts / "party-member-stale.png", full_page=True)
    with app.app_context():
        kept = db.session.get(PartyMember, member_id)
        assert kept is not None
        assert (kept.duty, kept.post) == ("宣传委员", "")
        db.session.remove()

    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{row} .member-remove")
    wait_until(page, f"document.querySelector('{row}') === null")
    with app.app_context():
        assert db.session.get(PartyMember, member_id) is None
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "party_member", AuditEvent.entity_id == str(member_id))
        ).all()
        assert {"party.member.update", "party.member.delete"} <= set(actions)
        db.session.remove()
    # The browser logs the refused edit's 409 itself; nothing else went wrong.
    assert log.blocked == [] and [e for e in log.errors if "409" not in e] == []


def test_an_activity_recorded_without_signal_is_kept_on_the_phone_and_sent_once(
    app, browser, live_server, artifacts, township_admin
):
    log = PageLog()
    context, page = offline_context(
        browser, live_server, log, viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
        timezone_id="Asia/Shanghai", geolocation=SEAT, permissions=["geolocation"],
    )  # fmt: skip
    sign_in(page, live_server, township_admin)
    page.goto(live_server + "/party/record")
    wait_until(page, "document.querySelector('input[name=lon]').value !== ''")

    context.set_offline(True)
    wait_until(page, "navigator.onLine === false")
    page.fill("input[name=topic]", "山上无信号的主题党日")
    page.fill("input[name=attendance]", "9")
    photo: FilePayload = {"name": "shan-shang.png", "mimeType": "image/png", "buffer": red_png(6, 6)}
    page.set_input_files("input[name=file]", files=[photo])
    page.click("form.party-record button[type=submit]")
    page.locator("#outbox", has_text="待发送：1").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=artifacts / "party-record-offline-phone.png")

    def kept() -> list[int]:
        with app.app_context():
            found = db.session.scalars(select(PartyActivity).where(PartyActivity.topic == "山上无信号的主题党日")).all()
            photos = [len(a.photos) for a in found]
            db.session.remove()
        return photos

    assert kept() == []

    # The signal returns, but the answer to the first sending is lost on the way back: the server recorded it,
    # the phone does not know, and sends it again with the same key.
    lost: list[str] = []

    def answer_lost(route):
        if route.request.method == "POST" and not lost:
            route.fetch()
            lost.append(route.request.headers.get("idempotency-key"))
            route.abort()
        else:
            route.fallback()

    page.route("**/api/party/activities", answer_lost)
    context.set_offline(False)
    wait_until(page, "navigator.onLine === true")
    for _ in range(200):  # the route handler runs while the page is waited on
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost and lost[0] and kept() == [0]
    assert "待发送：1" in page.locator("#outbox").inner_text()  # still kept: the phone heard nothing back
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the connection comes back once more
    page.wait_for_url(lambda url: "recorded=" in url, timeout=20_000)
    assert kept() == [1]  # one activity, its photo once
    wait_until(page, "document.querySelector('.leaflet-popup-content') !== null")
    assert "山上无信号的主题党日" in page.locator(".leaflet-popup-content").inner_text()
    context.close()
    assert log.blocked == [] and log.errors == []
