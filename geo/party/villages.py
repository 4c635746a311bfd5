"""Village and community party organisations (党总支/党委) over their villager groups' branches, rolled up.

A ``VillageBranch`` stands for one village grid; the group branches under it are those whose grid
code starts with the village's. Its figures are theirs, summed in SQL over the caller's jurisdiction:
group branches, declared and entered members, branches quiet for ``QUIET_MONTHS`` months, and
activities this quarter; beside them the organisation's own activities (a 党总支's meeting, the whole
village's 主题党日, recorded through ``geo.party.activities`` like a branch's). A township admin sees the
villages of the township; a village's own staff see their village's organisation; a group's staff see the
organisation above their group by name only: no secretary, no figures, no activities (``_seen`` decides it
for the detail, the branch pages and the activities alike).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.errors import GridError, InvalidInput, NotFound, one_of
from geo.grid.models import Grid, GridLevel, PartyBranch
from geo.party.branches import quiet_since, require_version
from geo.party.indicators import quarter_start
from geo.party.models import PartyActivity, PartyMember, VillageBranch, VillageOrganisation

#: A village code is the first 12 digits of its groups' codes (county 6 + township 3 + village 3).
VILLAGE_DIGITS = 12
NAME_MAX = 100
SECRETARY_MAX = 50


class VillageBranchExists(GridError):
    """The village already has its party organisation (one per village)."""

    status = 409


_NO_FIGURES = {"branches": 0, "members": 0, "members_entered": 0, "quiet_branches": 0, "activities": 0}


def _summary(branch: VillageBranch, code: str, grid_name: str, rollup: dict | None, today: date) -> dict:
    figures = {**_NO_FIGURES, "own_activities": 0, "last_activity": None, **(rollup or {})}
    last = figures.pop("last_activity")
    return {
        "id": branch.id,
        "code": branch.code,
        "name": branch.name,
        "kind": branch.kind,
        "secretary": branch.secretary or None,
        "grid_code": code,
        "village": grid_name,
        **figures,
        "last_activity": last.isoformat() if last else None,
        "quiet": last is None or last < quiet_since(today),
        "demo": branch.is_demo,
        "version": branch.version,
    }


def _rollups(session: Session, principal: Principal, today: date, villages: list[str]) -> dict[str, dict]:
    """The group branches' figures per village code, inside the caller's jurisdiction, with the organisation's own
    activities (this quarter's and its last)."""
    if not villages:
        return {}
    village = func.left(Grid.code, VILLAGE_DIGITS)
    entered = select(PartyMember.branch_id, func.count().label("n")).group_by(PartyMember.branch_id).subquery("entered")
    this_quarter = PartyActivity.held_on >= quarter_start(today)
    held = (
        select(
            PartyActivity.branch_id,
            func.max(PartyActivity.held_on).label("last"),
            func.count().filter(this_quarter).label("quarter"),
        )
        .where(PartyActivity.branch_id.is_not(None), PartyActivity.held_on <= today)
        .group_by(PartyActivity.branch_id)
        .subquery("held")
    )
    quiet = held.c.last.is_(None) | (held.c.last < quiet_since(today))
    rows = session.execute(
        select(
            village,
            func.count(PartyBranch.id),
            func.coalesce(func.sum(PartyBranch.members), 0),
            func.coalesce(func.sum(entered.c.n), 0),
            func.count().filter(quiet),
            func.coalesce(func.sum(held.c.quarter), 0),
        )
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .outerjoin(entered, entered.c.branch_id == PartyBranch.id)
        .outerjoin(held, held.c.branch_id == PartyBranch.id)
        .where(principal.scope(Grid.code), village.in_(villages))
        .group_by(village)
    ).all()
    figures: dict[str, dict] = {
        code: {
            "branches": branches,
            "members": int(members),
            "members_entered": int(entered_count),
            "quiet_branches": quiet_count,
            "activities": int(activities),
        }
        for code, branches, members, entered_count, quiet_count, activities in rows
    }
    own = session.execute(
        select(PartyActivity.area_code, func.count().filter(this_quarter), func.max(PartyActivity.held_on))
        .where(
            PartyActivity.village_branch_id.is_not(None),
            PartyActivity.held_on <= today,
            principal.scope(PartyActivity.area_code),
            PartyActivity.area_code.in_(villages),
        )
        .group_by(PartyActivity.area_code)
    ).all()
    for code, quarter, last in own:
        figures[code] = {**figures.get(code, _NO_FIGURES), "own_activities": quarter, "last_activity": last}
    return figures


def list_village_branches(session: Session, principal: Principal, today: date, under: str | None = None) -> list[dict]:
    """The village organisations of the jurisdiction (below ``under`` if given), each with its groups' figures."""
    principal.require(Capability.PARTY_VIEW)
    where = [principal.scope(Grid.code)] + ([Grid.code.startswith(under)] if under else [])
    rows = session.execute(
        select(VillageBranch, Grid.code, Grid.name_zh)
        .join(Grid, Grid.id == VillageBranch.grid_id)
        .where(*where)
        .order_by(Grid.code)
    ).all()
    rollups = _rollups(session, principal, today, [code for _, code, _ in rows])
    return [_summary(branch, code, name, rollups.get(code), today) for branch, code, name in rows]


def _seen(session: Session, principal: Principal, where) -> tuple[VillageBranch, str, str, bool] | None:
    """The village organisation ``where`` picks, with its village's code and name, and whether the caller sees it
    whole (it lies in the jurisdiction) or by name only (a group's staff below it); None to anyone else.

    The one rule of who sees what of a village organisation: its detail, the branch pages below it and its
    activities all ask it here.
    """
    inside = principal.scope(Grid.code)
    found = session.execute(
        select(VillageBranch, Grid.code, Grid.name_zh, inside.label("inside"))
        .join(Grid, Grid.id == VillageBranch.grid_id)
        .where(where, inside | principal.above(Grid.code))
    ).first()
    return None if found is None else (found[0], found[1], found[2], bool(found[3]))


def _name_only(branch: VillageBranch, code: str, grid_name: str) -> dict:
    return {
        "id": branch.id,
        "code": branch.code,
        "name": branch.name,
        "kind": branch.kind,
        "grid_code": code,
        "village": grid_name,
        "demo": branch.is_demo,
        "name_only": True,
    }


def village_branch_detail(session: Session, principal: Principal, branch_id: int, today: date) -> dict:
    """One village organisation with its groups' figures, if it lies in the jurisdiction; by name only (no
    secretary, no figures, ``name_only``) to a group's staff below it."""
    principal.require(Capability.PARTY_VIEW)
    found = _seen(session, principal, VillageBranch.id == branch_id)
    if found is None:
        raise NotFound("no village party organisation {branch} in your jurisdiction", branch=branch_id)
    branch, code, name, whole = found
    if not whole:
        return _name_only(branch, code, name)
    return _summary(branch, code, name, _rollups(session, principal, today, [code]).get(code), today)


def get_village_branch(session: Session, principal: Principal, branch_id: int) -> tuple[VillageBranch, str]:
    """The village organisation ``branch_id`` and its village's code, if the caller sees it whole (its secretary,
    figures and activities); NotFound otherwise, to a group's staff below it too (they see it by name only)."""
    principal.require(Capability.PARTY_VIEW)
    found = _seen(session, principal, VillageBranch.id == branch_id)
    if found is None or not found[3]:
        raise NotFound("no village party organisation {branch} in your jurisdiction", branch=branch_id)
    return found[0], found[1]


def village_branch_of(session: Session, principal: Principal, group_code: str) -> dict | None:
    """The village organisation above the group ``group_code`` as the caller may see it: its name, kind and
    secretary, or by name only (``name_only``, no secretary) to a group's staff; None if there is none."""
    found = _seen(session, principal, Grid.code == group_code[:VILLAGE_DIGITS])
    if found is None:
        return None
    branch, code, name, whole = found
    if not whole:
        return _name_only(branch, code, name)
    return {"id": branch.id, "name": branch.name, "kind": branch.kind, "secretary": branch.secretary or None}


def _text(changes: dict, field: str, most: int, *, required: bool) -> str:
    """``changes[field]`` stripped: text (else "must be text"), at most ``most`` characters, not empty if
    ``required``; the refusal names the field and what is wrong with it."""
    value = changes[field]
    if not isinstance(value, str):
        raise InvalidInput("{field} must be text", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput("{field} is required", field=field)
    if len(value) > most:
        raise InvalidInput("{field} must hold at most {most} characters", field=field, most=most)
    return value


def _fields(changes: dict) -> dict:
    """The organisation's fields from ``changes`` (any of name, kind, secretary), checked; names the bad one."""
    unknown = sorted(set(changes) - {"name", "kind", "secretary"})
    if unknown:
        raise InvalidInput("{field} is not a field of a village party organisation", field=str(unknown[0])[:40])
    checked: dict = {}
    if "name" in changes:
        checked["name"] = _text(changes, "name", NAME_MAX, required=True)
    if "kind" in changes:
        if not isinstance(changes["kind"], str):
            raise InvalidInput("{field} must be text", field="kind")
        checked["kind"] = one_of(VillageOrganisation, changes["kind"], "kind").value
    if "secretary" in changes:
        checked["secretary"] = _text(changes, "secretary", SECRETARY_MAX, required=False)
    return checked


def _as_dict(branch: VillageBranch) -> dict:
    return {"name": branch.name, "kind": branch.kind, "secretary": branch.secretary}


def create_village_branch(
    session: Session, principal: Principal, village_code: str, changes: dict, now: datetime, *, address: str | None
) -> VillageBranch:
    """Found the party organisation of the village ``village_code`` (inside the jurisdiction); 409 if it has one."""
    principal.require(Capability.PARTY_EDIT)
    fields = _fields({"secretary": "", **changes})
    if "name" not in fields or "kind" not in fields:
        raise InvalidInput("{field} is required", field="name" if "name" not in fields else "kind")
    grid = session.scalar(
        select(Grid).where(Grid.code == village_code, Grid.level == GridLevel.VILLAGE.value, principal.scope(Grid.code))
    )
    if grid is None:
        raise NotFound("no village {code} in your jurisdiction", code=village_code, field="village")
    principal.require_change(grid.code)
    if session.scalar(select(VillageBranch.id).where(VillageBranch.grid_id == grid.id)) is not None:
        raise VillageBranchExists("village {code} already has its party organisation", code=grid.code)
    branch = VillageBranch(code=f"V{grid.code}", grid_id=grid.id, is_demo=False, **fields)
    try:
        with session.begin_nested():  # two admins founding it at once: the second is told, not given a 500
            session.add(branch)
            session.flush()
    except IntegrityError:
        raise VillageBranchExists("village {code} already has its party organisation", code=grid.code) from None
    record(
        session,
        actor=principal.username,
        action="party.village.create",
        entity="party_village_branch",
        entity_id=branch.id,
        before=None,
        after={**_as_dict(branch), "village": grid.code, "at": now.isoformat()},
        address=address,
    )
    return branch


def update_village_branch(
    session: Session,
    principal: Principal,
    branch_id: int,
    version: int,
    changes: dict,
    now: datetime,
    *,
    address: str | None = None,
) -> VillageBranch:
    """Rename the organisation, change its kind or secretary; 409 if someone changed it since ``version``."""
    principal.require(Capability.PARTY_EDIT)
    found = session.execute(
        select(VillageBranch, Grid.code)
        .join(Grid, Grid.id == VillageBranch.grid_id)
        .where(VillageBranch.id == branch_id, principal.scope(Grid.code))
    ).first()
    if found is None:
        raise NotFound("no village party organisation {branch} in your jurisdiction", branch=branch_id)
    branch, code = found
    principal.require_change(code)
    require_version("village branch", branch.id, version, branch.version)
    fields = _fields(changes)
    before = _as_dict(branch)
    for name, value in fields.items():
        setattr(branch, name, value)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.village.update",
        entity="party_village_branch",
        entity_id=branch.id,
        before=before,
        after={**_as_dict(branch), "at": now.isoformat()},
        address=address,
    )
    return branch


def villages_without_organisation(session: Session, principal: Principal) -> list[dict]:
    """The jurisdiction's villages that have group branches and no organisation yet (code and name), to found one."""
    principal.require(Capability.PARTY_VIEW)
    village = func.left(Grid.code, VILLAGE_DIGITS)
    with_branches = select(village).join(PartyBranch, PartyBranch.grid_id == Grid.id).where(principal.scope(Grid.code))
    rows = session.execute(
        select(Grid.code, Grid.name_zh)
        .outerjoin(VillageBranch, VillageBranch.grid_id == Grid.id)
        .where(
            Grid.level == GridLevel.VILLAGE.value,
            principal.scope(Grid.code),
            VillageBranch.id.is_(None),
            Grid.code.in_(with_branches),
        )
        .order_by(Grid.code)
    ).all()
    return [{"code": code, "name": name} for code, name in rows]
