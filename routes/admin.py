"""Administration pages: accounts, the audit trail and the scheduled jobs (admins only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.accounts.models import Role, User
from geo.accounts.users import accounts_in, audited_actors, create_user, readable_events
from geo.core.audit import ACTORS_WITHOUT_ACCOUNT, audit_query, changes
from geo.core.calendar import days_between
from geo.core.clock import now_utc
from geo.core.errors import GridError
from geo.core.jobs import status
from geo.dispatch.categories import catalogue
from geo.grid.models import Net
from geo.workforce.forces import forces
from ops.scheduler import JOBS
from web.access import current_principal, require
from web.errors import localized_message, localized_problems
from web.input_rules import ApiBlueprint, day_arg, whole_number_arg
from web.page_strings import label_of

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
AUDIT_ENTITIES = sorted(
    {*AUDIT_LINKS, "county", "party_activity", "party_member", "party_project", "public_contact_field"}
)


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


class AccountForm(Schema):
    """The users page's form for a new account: every field bounded here, every rule in ``create_user``."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=50))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf([role.value for role in Role]))
    jurisdiction = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6,15}$"))
    nets = fields.List(
        fields.String(validate=validate.OneOf([net.value for net in Net])),
        required=True,
        validate=validate.Length(min=1, max=len(Net)),
    )
    worker = fields.String(load_default="", validate=validate.Length(max=20))
    force_member = fields.String(load_default="", validate=validate.Length(max=20))


def _users_page(refused: str | None = None, typed: dict | None = None, status: int = 200):
    principal = current_principal()
    page = render_template(
        "admin/users.html",
        users=accounts_in(db_session(), principal),
        roles=[(role.value, label_of(role)) for role in Role],
        nets=[net.value for net in Net if principal.has_net(net)],
        force_members=forces(db_session(), principal),
        created=request.args.get("created", "")[:50],
        refused=refused,
        typed=typed or {},
        lang=str(get_locale()),
    )
    return page, status


@bp.get("/users")
@require(Capability.ACCOUNT_MANAGE)
def users():
    """The accounts of the admin's jurisdiction with their role, jurisdiction and nets, and a form for a new one."""
    return _users_page()


@bp.post("/users")
@require(Capability.ACCOUNT_MANAGE)
def user_create():
    """Create an account in the admin's jurisdiction and nets (form with CSRF); audited as the admin."""
    typed: dict[str, object] = {
        name: request.form.get(name, "")[:200] for name in ("username", "display_name", "role", "jurisdiction")
    }
    typed |= {name: request.form.get(name, "")[:20] for name in ("worker", "force_member")}
    typed["nets"] = request.form.getlist("nets")[:5]
    try:
        form = ApiBlueprint.ARGUMENTS_PARSER.parse(AccountForm, request, location="form", unknown=EXCLUDE)
    except HTTPException as error:
        problems = (getattr(error, "data", None) or {}).get("messages", {}).get("form", {})
        if not problems:
            raise
        return _users_page(localized_problems(problems), typed, 400)
    principal = current_principal()
    try:
        user = create_user(
            db_session(),
            username=form["username"],
            password=form["password"],
            role=form["role"],
            jurisdiction=form["jurisdiction"],
            nets=form["nets"],
            display_name=form["display_name"],
            worker_code=form["worker"] or None,
            force_member_code=form["force_member"] or None,
            actor=principal.username,
            address=request.remote_addr,
            by=principal,
        )
    except GridError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        return _users_page(localized_message(error), typed, error.status)
    db.session.commit()
    return redirect(url_for("admin.users", created=user.username))


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
    principal = current_principal()
    principal.require_county_wide()
    actors = audited_actors(db_session(), principal)
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
        readable=readable_events(db_session(), principal),
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    events = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/audit.html",
        events=[
            (event, changes(event.before, event.after), _record_link(event.entity, event.entity_id)) for event in events
        ],
        entities=AUDIT_ENTITIES,
        actors=[
            *ACTORS_WITHOUT_ACCOUNT,
            *db.session.scalars((actors if actors is not None else select(User.username)).order_by(User.username)),
        ],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=request.args,
        lang=str(get_locale()),
    )
