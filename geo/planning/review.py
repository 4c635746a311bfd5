"""Submission, review and activation of plans as a new generation of boundaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import shapely
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import AccessDenied, Principal
from geo.core.audit import SYSTEM_ACTOR, record
from geo.core.errors import GridError, InvalidInput, Problem
from geo.dispatch.rerouting import reroute_open_incidents
from geo.grid.boundaries import (
    DISPLAY_TOLERANCE,
    GridIdentity,
    Outline,
    current_generation,
    lock_generations,
    new_generation,
    put_grids,
    write_outlines,
)
from geo.grid.models import Grid, GridBoundary, GridLevel, GridLookupPart, GridWorker, PartyBranch, county_of
from geo.planning.drafts import DraftGrid, TilingError
from geo.planning.editing import check_version, require_owned_draft, validate_plan, validation_context
from geo.planning.impact import surviving_codes
from geo.planning.models import Plan, PlanStatus
from geo.planning.plans import (
    PlanStateError,
    _children_in,
    _identical,
    base_grids,
    draft_of,
    get_plan,
    plan_summary,
    touched_codes,
)


class PlanConflict(GridError):
    """Another change touches the same grids; ``details`` names them."""

    status = 409


def conflicts(session: Session, plan: Plan) -> dict:
    """Grids changed since the plan's base generation, and submitted plans touching the same grids."""
    base = base_grids(session, plan)
    generation = current_generation(session)
    assert generation is not None
    now_rows = _children_in(session, plan.parent_code, GridLevel(plan.child_level), generation)
    base_rows = _children_in(session, plan.parent_code, GridLevel(plan.child_level), plan.base_generation)
    changed_since = sorted({(r.code, r.id) for r in now_rows} ^ {(r.code, r.id) for r in base_rows})
    mine = touched_codes(base, draft_of(plan))
    clashing = []
    others = session.scalars(
        select(Plan).where(
            Plan.id != plan.id,
            Plan.status.in_([PlanStatus.SUBMITTED.value, PlanStatus.SCHEDULED.value]),
            Plan.parent_code == plan.parent_code,
        )
    )
    for other in others:
        shared = sorted(mine & touched_codes(base_grids(session, other), draft_of(other)))
        if shared:
            clashing.append({"plan": other.id, "title": other.title, "owner": other.owner, "grids": shared})
    return {"changed_since_base": sorted({code for code, _ in changed_since}), "plans": clashing}


def _refuse_conflicts(session: Session, plan: Plan) -> None:
    found = conflicts(session, plan)
    clashes = []
    if found["changed_since_base"]:
        clashes.append(
            Problem(
                "grids {grids} changed after this plan was started; start a new plan", grids=found["changed_since_base"]
            )
        )
    for other in found["plans"]:
        clashes.append(
            Problem(
                "plan {plan} ({owner}) also changes {grids}",
                plan=other["plan"],
                owner=other["owner"],
                grids=other["grids"],
            )
        )
    if clashes:
        raise PlanConflict("the plan clashes with other changes: {conflicts}", details=found, conflicts=clashes)


def submit_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    sliver_m2: float,
    now: datetime,
    address: str | None = None,
) -> Plan:
    """Send a valid, complete, conflict-free draft for approval."""
    plan = get_plan(session, principal, plan_id)
    require_owned_draft(plan, principal, version)
    grids = draft_of(plan)
    if not touched_codes(base_grids(session, plan), grids):
        raise InvalidInput("the plan changes nothing yet", field="plan")
    report = validate_plan(plan, grids, validation_context(session, plan), sliver_m2)
    if not report.ok:
        raise TilingError(report, "the plan cannot be submitted: {problems}", report.errors + report.todo)
    _refuse_conflicts(session, plan)
    plan.status = PlanStatus.SUBMITTED.value
    plan.submitted_at = now
    plan.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.username,
        action="plan.submit",
        entity="plan",
        entity_id=plan.id,
        after=plan_summary(plan),
        address=address,
    )
    return plan


@dataclass(frozen=True)
class Activation:
    generation: int
    rerouted: int
    branches_left: list[str]


def review_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    approve: bool,
    comment: str,
    effective_from: date | None,
    today: date,
    now: datetime,
    address: str | None = None,
) -> Activation | None:
    """Approve (activating now, or on ``effective_from``) or reject a submitted plan.

    One review or activation at a time: a second one waits, then sees what the first did.
    """
    lock_generations(session)
    plan = get_plan(session, principal, plan_id)
    before = plan_summary(plan)
    principal.require(Capability.PLAN_REVIEW)
    principal.require_change(plan.parent_code)
    if plan.owner == principal.username:
        raise AccessDenied("a plan is reviewed by someone other than its author")
    if plan.status != PlanStatus.SUBMITTED:
        raise PlanStateError(
            "plan {plan} is {plan_status}; only submitted plans are reviewed", plan=plan.id, plan_status=plan.status
        )
    check_version(plan, version)
    plan.reviewed_by = principal.username
    plan.reviewed_at = now
    plan.review_comment = comment.strip()
    plan.updated_at = now
    activation = None
    if not approve:
        if not comment.strip():
            raise InvalidInput("say why the plan is rejected", field="comment")
        plan.status = PlanStatus.REJECTED.value
    else:
        effective_from = effective_from or today
        if effective_from < today:
            raise InvalidInput(
                "effective date {date} is in the past; choose {today} or later",
                field="effective_from",
                date=effective_from.isoformat(),
                today=today.isoformat(),
            )
        plan.effective_from = effective_from
        plan.status = PlanStatus.SCHEDULED.value
        if effective_from == today:
            activation = activate_plan(session, plan, actor=principal.username, now=now, address=address)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="plan.approve" if approve else "plan.reject",
        entity="plan",
        entity_id=plan.id,
        before=before,
        after=plan_summary(plan),
        address=address,
    )
    return activation


def activate_due_plans(session: Session, today: date, now: datetime) -> list[tuple[int, Activation]]:
    """Activate every scheduled plan whose day has come (for cron; running it twice does nothing more)."""
    lock_generations(session)
    due = session.scalars(
        select(Plan).where(Plan.status == PlanStatus.SCHEDULED.value, Plan.effective_from <= today).order_by(Plan.id)
    ).all()
    return [(plan.id, activate_plan(session, plan, actor=plan.reviewed_by or SYSTEM_ACTOR, now=now)) for plan in due]


def activate_plan(session: Session, plan: Plan, *, actor: str, now: datetime, address: str | None = None) -> Activation:
    """Put the plan's grids in force in a new generation; re-route open incidents if the plan says so.

    Under the generation lock, so the conflicts checked and the rows closed are those of the generation in force.
    """
    lock_generations(session)
    _refuse_conflicts(session, plan)
    base = base_grids(session, plan)
    grids = draft_of(plan)
    touched = touched_codes(base, grids)
    level = GridLevel(plan.child_level)
    # Read under the lock: the generation in force is the one this one follows, whoever activated it a moment ago.
    previous = current_generation(session)
    generation = new_generation(
        session,
        f"plan {plan.id}: {plan.title}",
        county_code=county_of(plan.parent_code),
        effective_from=plan.effective_from,
        activated_by=actor,
    )

    # Besides the changed grids, neighbours whose shared edge was noded are rewritten too,
    # so the stored outlines keep matching vertex for vertex.
    written = [g for g in grids if g.code in touched or not _identical(base[g.code].geometry, g.geometry)]
    rewritten = {g.code for g in written} | touched
    closing = (
        select(GridBoundary.id)
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(
            Grid.code.in_(sorted(rewritten)), GridBoundary.level == level.value, GridBoundary.generation_high.is_(None)
        )
    )
    closed_ids = list(session.scalars(closing))
    session.execute(update(GridBoundary).where(GridBoundary.id.in_(closed_ids)).values(generation_high=previous))
    session.execute(
        update(GridLookupPart).where(GridLookupPart.boundary_id.in_(closed_ids)).values(generation_high=previous)
    )

    parent_id = session.scalar(select(Grid.id).where(Grid.code == plan.parent_code))
    known = put_grids(
        session, level, [GridIdentity(g.code, g.name_zh, g.name_en, g.is_demo, parent_id) for g in written]
    )
    # Display outlines: simplified together with the unchanged siblings so shared edges stay shared;
    # the parent's outer edge is kept as is because the neighbours outside were simplified without us.
    display = shapely.coverage_simplify(
        np.array([g.geometry for g in grids], dtype=object), DISPLAY_TOLERANCE[level], simplify_boundary=False
    )
    shown = {g.code: d for g, d in zip(grids, display, strict=True)}
    outlines = [Outline(g.code, g.geometry, shown[g.code]) for g in written]
    write_outlines(session, level, generation.id, outlines, {code: grid.id for code, grid in known.items()})

    branches_left = _move_staff(session, base, grids, known)
    rerouted = 0
    if plan.reroute_open_incidents and level is GridLevel.GROUP:
        rerouted = reroute_open_incidents(
            session, plan.parent_code, generation.id, actor=actor, note=f"plan {plan.id}: {plan.title}", now=now
        )
    plan.status = PlanStatus.ACTIVE.value
    plan.generation_id = generation.id
    plan.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="plan.activate",
        entity="plan",
        entity_id=plan.id,
        after={"generation": generation.id, "grids": sorted(touched), "rerouted": rerouted},
        address=address,
    )
    return Activation(generation.id, rerouted, branches_left)


def _move_staff(
    session: Session, base: dict[str, DraftGrid], grids: list[DraftGrid], known: dict[str, Grid]
) -> list[str]:
    """Workers and branches of removed grids go to the grid that took most of the area; new workers are appointed.

    Returns the party branches left on a retired grid because the receiving grid already has one.
    """
    survivors = surviving_codes(base, grids)
    ids = dict(
        session.execute(select(Grid.code, Grid.id).where(Grid.code.in_([*survivors, *survivors.values()]))).all()
    )
    left: list[str] = []
    for old, new in survivors.items():
        session.execute(update(GridWorker).where(GridWorker.grid_id == ids[old]).values(grid_id=ids[new]))
        has_branch = session.scalar(select(func.count()).where(PartyBranch.grid_id == ids[new]))
        if has_branch:
            left.extend(session.scalars(select(PartyBranch.code).where(PartyBranch.grid_id == ids[old])))
        else:
            session.execute(update(PartyBranch).where(PartyBranch.grid_id == ids[old]).values(grid_id=ids[new]))
    appointments = [(g, w) for g in grids for w in g.new_workers]
    if appointments:
        numbers = session.scalars(select(GridWorker.code).where(GridWorker.code.regexp_match(r"^W[0-9]+$")))
        next_number = max((int(c[1:]) for c in numbers), default=0) + 1
        for offset, (grid, worker) in enumerate(appointments):
            session.add(
                GridWorker(
                    code=f"W{next_number + offset:04d}",
                    name=worker["name"],
                    phone=worker.get("phone", ""),
                    post=worker.get("post", "网格员"),
                    grid_id=known[grid.code].id,
                    nets=list(worker["nets"]),
                    is_demo=grid.is_demo,
                )
            )
    session.flush()
    _found_branches(session, grids, known)
    return left


def _found_branches(session: Session, grids: list[DraftGrid], known: dict[str, Grid]) -> None:
    """Found the party branches the plan gives its new villager groups (a group that has one keeps it).

    The secretary is the worker of that name in the group, else its first worker: the group leader (一肩挑).
    """
    for grid in grids:
        if not grid.branch or "name" not in grid.branch or grid.code not in known:
            continue
        grid_id = known[grid.code].id
        if session.scalar(select(func.count()).where(PartyBranch.grid_id == grid_id)):
            continue
        workers = list(session.scalars(select(GridWorker).where(GridWorker.grid_id == grid_id).order_by(GridWorker.id)))
        named = [w for w in workers if grid.branch.get("secretary") and w.name == grid.branch["secretary"]]
        secretary = next(iter(named or workers), None)
        code = f"B{grid.code}"
        taken = set(session.scalars(select(PartyBranch.code).where(PartyBranch.code.startswith(code))))
        # A retired grid's branch may still hold the plain code (a merged group's code reused by a split).
        code = next(c for c in [code, *(f"{code}-{n}" for n in range(2, len(taken) + 3))] if c not in taken)
        session.add(
            PartyBranch(
                code=code,
                name=grid.branch["name"],
                grid_id=grid_id,
                secretary_id=secretary.id if secretary else None,
                members=int(grid.branch.get("members", 0)),
                is_demo=grid.is_demo,
            )
        )
    session.flush()
