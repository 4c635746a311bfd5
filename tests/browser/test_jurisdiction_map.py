"""A township dispatcher's map shows only that township."""

import pytest
from sqlalchemy import func, select

from extensions import db
from geo.grid.models import Grid
from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

PATHS = ".leaflet-overlay-pane path.leaflet-interactive"


def test_township_dispatcher_sees_only_their_township(app, offline_page, live_server, artifacts):
    with app.app_context():
        groups = db.session.scalars(
            select(func.count()).select_from(Grid).where(Grid.level == "group", Grid.code.startswith("533422102"))
        ).one()
    page, log = offline_page
    sign_in(page, live_server, "benzilan")
    # 8 neighbours + the real county outline + 1 township.
    wait_until(page, f"document.querySelectorAll('{PATHS}').length === 10")
    assert page.locator(".leaflet-tooltip.area-label", has_text="奔子栏镇").count() == 1
    assert page.locator(".leaflet-tooltip.area-label", has_text="升平镇").count() == 0
    labels = " ".join(page.locator(".leaflet-control-layers label").all_inner_texts())
    assert "宗教事务网" not in labels  # benzilan does not hold the religious net
    page.get_by_text("村民小组网格（演示）").click()
    wait_until(page, f"document.querySelectorAll('{PATHS}').length === {10 + groups}")
    page.wait_for_timeout(300)
    page.screenshot(path=artifacts / "benzilan-dispatcher.png")
    assert "奔子栏镇调度员" in page.locator(".topbar").inner_text()
    assert log.blocked == [] and log.errors == []
