"""Administration pages: accounts, the audit trail and the scheduled jobs (admins only)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from sqlalchemy import func, select

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.accounts.users import accounts_in
from geo.core.audit import audit_query
from geo.core.calendar import days_between
from geo.core.clock import now_utc
from geo.core.jobs import status
from geo.dispatch.categories import catalogue
from ops.scheduler import JOBS
from web.access import current_principal, require
from web.input_rules import day_arg, whole_number_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    return day_arg(raw, name) if raw else None


def _page_arg() -> int:
    return whole_number_arg(request.args.get("page", "1"), "page", low=1)


@bp.get("/users")
@require(Capability.ACCOUNT_MANAGE)
def users():
    """The accounts of the admin's jurisdiction with their role, jurisdiction and nets."""
    accounts = accounts_in(db_session(), current_principal())
    return render_template("admin/users.html", users=accounts, lang=str(get_locale()))


@bp.get("/categories")
@require(Capability.CATEGORY_MANAGE)
def categories():
    """The incident categories of the admin's nets: names, deadline, offered to dispatchers, offered to residents."""
    return render_template("admin/categories.html", categories=catalogue(db_session(), current_principal()))


@bp.get("/jobs")
@require(Capability.AUDIT_READ)
def jobs():
    """The scheduled jobs: last run (when, by which process, what it did) and next run, in China Standard Time."""
    return render_template("admin/jobs.html", jobs=status(db_session(), JOBS, now_utc()))


@bp.get("/audit")
@require(Capability.AUDIT_READ)
def audit():
    """The audit trail, newest first, filtered by actor, action, entity and dates (times in China Standard Time)."""
    current_principal().require_county_wide()
    since, until = _date_arg("since"), _date_arg("until")
    start, end = days_between(since, until)
    page = _page_arg()
    query = audit_query(
        actor=request.args.get("actor", "").strip() or None,
        action=request.args.get("action", "").strip() or None,
        entity=request.args.get("entity", "").strip() or None,
        since=start,
        until=end,
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    events = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/audit.html",
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=request.args,
        lang=str(get_locale()),
    )
