"""A township admin records a 主题党日 with a photo from a phone, at the phone's position, and finds it on the map."""

import struct
import zlib

import pytest
from playwright.sync_api import FilePayload
from sqlalchemy import delete, select

from extensions import db, db_session
from geo.accounts.models import LoginSession, Role, User
from geo.accounts.users import create_user
from geo.party.models import PartyActivity
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
