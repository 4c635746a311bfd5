"""Administration pages: accounts, the audit trail and the scheduled jobs (admins only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.accounts.models import User
from geo.accounts.users import accounts_in
from geo.core.audit import audit_query, changes
from geo.core.calendar import days_between
from geo.core.clock import now_utc
from geo.core.jobs import status
from geo.dispatch.categories import catalogue
from ops.scheduler import JOBS
from web.access import current_principal, require
from web.input_rules import day_arg, whole_number_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50

#: What the audit trail records changes to, and the page each record opens on (by its entity id).
AUDIT_LINKS: dict[str, Callable[[str], str]] = {
    "incident": lambda ticket: url_for("dispatch.console", ticket=ticket),
    "plan": lambda plan_id: url_for("plan.plan_editor", plan_id=int(plan_id)),
    "assessment": lambda assessment_id: url_for("assessment_pages.assessment_page", assessment_id=int(assessment_id)),
    "scoring_scheme": lambda _: url_for("assessment_pages.scheme_page"),
    "party_branch": lambda branch_id: url_for("party_pages.branch_page", branch_id=int(branch_id)),
    "user": lambda _: url_for("admin.users"),
    "category": lambda _: url_for("admin.categories"),
    "zone": lambda _: url_for("patrol_pages.patrol_map"),
    "patrol_task": lambda _: url_for("patrol_pages.patrol_map"),
}
AUDIT_ENTITIES = sorted({*AUDIT_LINKS, "party_activity", "party_member", "party_project", "public_contact_field"})


def _record_link(entity: str, entity_id: str | None) -> str | None:
    link = AUDIT_LINKS.get(entity)
    if link is None or not entity_id:
        return None
    try:
        return link(entity_id)
    except (ValueError, BuildError):  # an id the page cannot take (a removed record, an old format)
        return None


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
        entity_id=request.args.get("entity_id", "").strip()[:50] or None,
        since=start,
        until=end,
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    events = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/audit.html",
        events=[
            (event, changes(event.before, event.after), _record_link(event.entity, event.entity_id)) for event in events
        ],
        entities=AUDIT_ENTITIES,
        actors=db.session.scalars(select(User.username).order_by(User.username)).all(),
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=request.args,
        lang=str(get_locale()),
    )
