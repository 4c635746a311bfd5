"""The category admin page: admins see their nets' categories and change them through the category API."""

from tests.conftest import csrf_token_of


def test_admins_see_and_change_the_catalogue(client_as):
    admin = client_as("admin")
    page = admin.get("/admin/categories")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-code="dispute"' in html and "群众可报" in html
    token = csrf_token_of(admin, "/admin/categories")
    changed = admin.patch("/api/categories/dispute", json={"is_public": False}, headers={"X-CSRFToken": token})
    assert changed.status_code == 200 and changed.get_json()["is_public"] is False
    assert 'name="is_public" >' in admin.get("/admin/categories").get_data(as_text=True).split('data-code="dispute"')[1]


def test_only_category_managers_see_the_page(client_as):
    assert client_as("dispatcher").get("/admin/categories").status_code == 403
    assert "/admin/categories" not in client_as("dispatcher").get("/dispatch").get_data(as_text=True)
