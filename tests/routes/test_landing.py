"""Signing in: the page names the product and the demo accounts (when loaded); each role lands on its page."""

import pytest

from tests.conftest import csrf_token_of


def test_the_sign_in_page_names_the_product_and_the_demo_accounts(anonymous):
    page = anonymous.get("/login").get_data(as_text=True)
    assert "德钦县党建引领网格化治理" in page and "dispatcher-demo-2026" in page
    assert "Demonstration data is loaded" in anonymous.get("/login?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("dispatcher", "/dispatch"),
        ("worker", "/my"),
        ("patrol", "/patrol"),
        ("planner", "/plan"),
        ("viewer", "/dashboard"),
    ],
)
def test_each_role_lands_on_the_page_of_its_day(anonymous, username, home):
    token = csrf_token_of(anonymous, "/login")
    answer = anonymous.post(
        "/login", data={"csrf_token": token, "username": username, "password": f"{username}-demo-2026"}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(home)
