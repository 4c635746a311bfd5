"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from extensions import db, db_session, limiter
from geo.accounts.models import Role
from geo.accounts.sessions import (
    AccountDisabled,
    AuthenticationFailed,
    authenticate,
    caller_for_session,
    end_session,
    start_session,
)
from geo.accounts.users import demo_accounts_exist
from web.access import SignedInUser, public

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=50)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


#: Where each role lands after signing in (others: the county map). Leaders land on the dashboard.
#: Where each role lands after signing in: the page of its working day (the county map for admins).
HOME_PAGES = {
    Role.DISPATCHER: "dispatch.console",
    Role.GRID_WORKER: "dispatch.my_incidents",
    Role.PATROL_LEADER: "patrol_pages.patrol_map",
    Role.PLANNER: "plan.plan_list",
    Role.VIEWER: "dashboard.dashboard_page",
    Role.CO_HANDLER: "workforce_pages.co_handler_page",
}


def _safe_next(target: str | None, role: str) -> str:
    """Only same-site paths (an open redirect would help phishing); else the role's home page."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return url_for(HOME_PAGES.get(Role(role), "map.county_map"))
    return target


def _attempted_account() -> str:
    # Prefixed so that no typed name shares a counter with an address; cut to the form's own limit.
    return "account:" + request.form.get("username", "")[:50]


def _failed(response: Response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
# Failures per account from any address: spreading guesses over many addresses does not help.
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    key_func=_attempted_account,
    deduct_when=_failed,
)
def login():
    """The sign-in form; failures answer 401 (or 403 for a disabled account) with the form again."""
    form = LoginForm()
    status = 200
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = authenticate(db_session(), form.username.data, form.password.data, address=request.remote_addr)
            except AuthenticationFailed:
                error, status = _("用户名或密码错误"), 401
            except AccountDisabled:
                error, status = _("该账户已停用"), 403
            else:
                key = start_session(db_session(), user, current_app.permanent_session_lifetime)
                db.session.commit()
                session.clear()
                session.permanent = True
                caller = caller_for_session(db_session(), key)
                assert caller is not None  # the session started just now
                login_user(SignedInUser(caller, key))
                return redirect(_safe_next(request.args.get("next"), user.role))
            db.session.commit()  # keep the audit record of the failure
        else:
            error, status = _("请填写用户名和密码"), 400
    page = render_template(
        "auth/login.html", form=form, error=error, lang=str(get_locale()), demo=demo_accounts_exist(db_session())
    )
    return page, status


@bp.post("/logout")
def logout():
    """End the session here and on the server (POST with the CSRF token, so no other site can sign you out).

    Only this browser's session ends; the user's other devices stay signed in.
    """
    if not current_user.authenticated_by_token:
        end_session(db_session(), current_user.id, actor=current_user.principal.username, address=request.remote_addr)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
