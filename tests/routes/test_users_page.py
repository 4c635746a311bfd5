"""Admins create accounts on the users page: in their jurisdiction and nets, every field checked by name, audited."""

import pytest
from sqlalchemy import select

from extensions import db, db_session
from geo.accounts.models import Role, User
from geo.accounts.users import create_user
from geo.core.models import AuditEvent
from geo.grid.models import ForceMember, Grid
from tests.conftest import csrf_token_of, sign_in

BENZILAN = "533422102"
PASSWORD = "new-account-2026"


@pytest.fixture
def township_admin(app):
    """An admin of 奔子栏镇 holding the social and rural nets, signed in; rolled back with the test."""
    with app.app_context():
        create_user(
            db_session(), username="bzl-users-admin", password="bzl-users-admin-2026", role=Role.ADMIN,
            jurisdiction=BENZILAN, nets=["social", "rural"], actor="test",
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "bzl-users-admin", "bzl-users-admin-2026").status_code == 302
    return client


def create(client, **fields):
    form = {"username": "new-ranger", "password": PASSWORD, "role": "viewer", "jurisdiction": BENZILAN,
            "nets": ["social"], "csrf_token": csrf_token_of(client, "/admin/users")} | fields  # fmt: skip
    return client.post("/admin/users?lang=zh", data=form)


def account(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def ranger_of(app, township: str) -> tuple[str, str]:
    with app.app_context():
        code, grid = db.session.execute(
            select(ForceMember.code, Grid.code)
            .join(Grid, Grid.id == ForceMember.grid_id)
            .where(ForceMember.kind == "forest_ranger", Grid.code.startswith(township))
            .order_by(ForceMember.code)
            .limit(1)
        ).one()
    return code, grid


def test_an_admin_creates_a_co_handler_account_for_a_force_member_audited(app, township_admin):
    ranger, grid = ranger_of(app, BENZILAN)
    page = township_admin.get("/admin/users").get_data(as_text=True)
    assert ranger in page  # offered in the form
    answer = create(township_admin, username="bzl-ranger", role="co_handler", nets=["social", "rural"],
                    force_member=ranger, display_name="护林员")  # fmt: skip
    assert answer.status_code == 302 and "created=bzl-ranger" in answer.headers["Location"]
    user = account(app, "bzl-ranger")
    assert user is not None and user.role == "co_handler" and user.nets == ["rural", "social"]
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.jurisdiction.code == grid  # the member's grid
        audited = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.create", AuditEvent.actor == "bzl-users-admin")
        ).all()
        assert [(a.after or {}).get("username") for a in audited] == ["bzl-ranger"]
        assert "password" not in str(audited[0].after)
    assert "bzl-ranger" in township_admin.get("/admin/users?created=bzl-ranger").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"username": "Bad Name"}, "用户名"),
        ({"password": "short"}, "密码"),
        ({"role": "superuser"}, "role"),
        ({"jurisdiction": "533422101"}, "533422101"),  # 升平镇: outside 奔子栏
        ({"jurisdiction": "12x"}, "jurisdiction"),
        ({"nets": ["religious"]}, "religious"),  # a net the admin does not hold
        ({"nets": []}, "nets"),
        ({"role": "co_handler"}, "force_member"),
        ({"role": "grid_worker"}, "worker"),
        ({"username": "x" * 300}, "username"),
    ],
)
def test_a_refused_account_names_the_problem_in_the_pages_language_and_writes_nothing(
    app, township_admin, fields, named
):
    answer = create(township_admin, **fields)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "账户未创建" in page
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.username == fields.get("username", "new-ranger"))) is None
    assert named in page or named in page.replace("&#39;", "'"), page[page.find("账户未创建") :][:300]


def test_an_existing_username_is_refused(app, township_admin):
    assert create(township_admin, username="bzl-twice").status_code == 302
    again = create(township_admin, username="bzl-twice")
    assert again.status_code == 400 and "bzl-twice" in again.get_data(as_text=True)


def test_without_the_csrf_token_nothing_is_created(app, township_admin):
    answer = township_admin.post(
        "/admin/users", data={"username": "no-token", "password": PASSWORD, "role": "viewer",
                              "jurisdiction": BENZILAN, "nets": ["social"]},
    )  # fmt: skip
    assert answer.status_code == 400 and account(app, "no-token") is None


@pytest.mark.parametrize("username", ["dispatcher", "viewer", "worker", "ranger"])
def test_only_admins_create_accounts(client_as, username):
    client = client_as(username)
    form = {"username": "sneaky", "password": PASSWORD, "role": "admin", "jurisdiction": "533422",
            "nets": ["social"], "csrf_token": csrf_token_of(client, "/")}  # fmt: skip
    assert client.post("/admin/users", data=form).status_code == 403
