"""Branches as the party pages see them: each group's standing branch and the harvest hills' temporary ones.

A branch belongs to its group's grid code; a temporary branch to its zone's smallest grid. Every
lookup here filters by ``Principal.scope``, so a branch outside the jurisdiction is NotFound,
exactly as one that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.errors import GridError, NotFound, Problem, error_template
from geo.grid.models import Grid, GridWorker, PartyBranch, codes_under
from geo.party.models import PartyActivity, PartyMember
from geo.patrol.models import SeasonalZone, TemporaryBranch

#: A branch without an activity for this many months is flagged (the county's rule for 主题党日).
QUIET_MONTHS = 3


class StaleRecord(GridError):
    """Someone changed the record since the caller read it."""

    status = 409


#: The party records a change can find stale, each named in the page's language (the ``errors`` catalogue).
_RECORDS = {
    "member": error_template("party member {id}"),
    "branch": error_template("party branch {id}"),
    "village branch": error_template("village party organisation {id}"),
    "activity": error_template("party activity {id}"),
    "project": error_template("secretary-led project {id}"),
}


def require_version(kind: str, record_id: int, version: int, current: int) -> None:
    """Refuse (409) a change made against ``version`` when the ``kind`` record (a key of ``_RECORDS``) is at
    ``current``."""
    if version != current:
        raise StaleRecord(
            "{record} changed since you read it (version {version}, now {current}); read it again",
            record=Problem(_RECORDS[kind], id=record_id),
            version=version,
            current=current,
        )


def quiet_since(today: date) -> date:
    """The first day of the window a branch must have had an activity in (``QUIET_MONTHS`` back from ``today``)."""
    month = today.month - QUIET_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(today.day, 28))


def get_branch(session: Session, principal: Principal, branch_id: int) -> tuple[PartyBranch, str]:
    """The standing branch ``branch_id`` and its group's code, if the caller may see it."""
    principal.require(Capability.PARTY_VIEW)
    found = session.execute(
        select(PartyBranch, Grid.code)
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .where(PartyBranch.id == branch_id, principal.scope(Grid.code))
    ).first()
    if found is None:
        raise NotFound("no party branch {branch} in your jurisdiction", branch=branch_id)
    return found[0], found[1]


def changeable_branch(session: Session, principal: Principal, branch_id: int) -> tuple[PartyBranch, str]:
    """``get_branch`` for a change: the caller must hold PARTY_EDIT and the group be inside the jurisdiction."""
    principal.require(Capability.PARTY_EDIT)
    branch, code = get_branch(session, principal, branch_id)
    principal.require_change(code)
    return branch, code


def get_temporary_branch(session: Session, principal: Principal, branch_id: int) -> tuple[TemporaryBranch, str]:
    """A harvest hill's temporary branch and its zone's grid code, if the caller may see it."""
    principal.require(Capability.PARTY_VIEW)
    found = session.execute(
        select(TemporaryBranch, SeasonalZone.area_code)
        .join(SeasonalZone, SeasonalZone.id == TemporaryBranch.zone_id)
        .where(TemporaryBranch.id == branch_id, principal.scope(SeasonalZone.area_code))
    ).first()
    if found is None:
        raise NotFound("no temporary party branch {branch} in your jurisdiction", branch=branch_id)
    return found[0], found[1]


def branch_summary(branch: PartyBranch, code: str, secretary: str | None, entered: int, last: date | None, today: date):
    """What a list row or a detail page shows of a branch."""
    return {
        "id": branch.id,
        "code": branch.code,
        "name": branch.name,
        "grid_code": code,
        "secretary": secretary,
        "members": branch.members,
        "members_entered": entered,
        "last_activity": last.isoformat() if last else None,
        "quiet": last is None or last < quiet_since(today),
        "demo": branch.is_demo,
        "version": branch.version,
    }


def list_branches(
    session: Session, principal: Principal, today: date, under: str | None = None, *, limit: int = 500, offset: int = 0
) -> tuple[list[dict], int]:
    """Branches of the jurisdiction (below ``under`` if given), with members entered and their last activity."""
    principal.require(Capability.PARTY_VIEW)
    entered = (
        select(func.count()).where(PartyMember.branch_id == PartyBranch.id).correlate(PartyBranch).scalar_subquery()
    )
    last = (
        select(func.max(PartyActivity.held_on))
        .where(PartyActivity.branch_id == PartyBranch.id)
        .correlate(PartyBranch)
        .scalar_subquery()
    )
    where = [principal.scope(Grid.code)] + ([codes_under(Grid.code, under)] if under else [])
    total = session.scalar(
        select(func.count()).select_from(PartyBranch).join(Grid, Grid.id == PartyBranch.grid_id).where(*where)
    )
    rows = session.execute(
        select(PartyBranch, Grid.code, GridWorker.name, entered, last)
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .outerjoin(GridWorker, GridWorker.id == PartyBranch.secretary_id)
        .where(*where)
        .order_by(Grid.code)
        .limit(limit)
        .offset(offset)
    ).all()
    return [branch_summary(b, code, secretary, n, held, today) for b, code, secretary, n, held in rows], total or 0


def list_temporary_branches(session: Session, principal: Principal) -> list[dict]:
    """The harvest hills' temporary branches of the jurisdiction, with their zone and their last activity."""
    principal.require(Capability.PARTY_VIEW)
    last = (
        select(func.max(PartyActivity.held_on))
        .where(PartyActivity.temporary_branch_id == TemporaryBranch.id)
        .correlate(TemporaryBranch)
        .scalar_subquery()
    )
    rows = session.execute(
        select(TemporaryBranch, SeasonalZone.name_zh, SeasonalZone.area_code, last)
        .join(SeasonalZone, SeasonalZone.id == TemporaryBranch.zone_id)
        .where(principal.scope(SeasonalZone.area_code))
        .order_by(SeasonalZone.area_code, TemporaryBranch.id)
    ).all()
    return [
        {
            "id": branch.id,
            "name": branch.name,
            "zone": zone,
            "area_code": code,
            "secretary": branch.secretary,
            "starts": branch.starts.isoformat() if branch.starts else None,
            "ends": branch.ends.isoformat() if branch.ends else None,
            "last_activity": held.isoformat() if held else None,
        }
        for branch, zone, code, held in rows
    ]


def branch_detail(session: Session, principal: Principal, branch_id: int, today: date) -> dict:
    """One branch as its list row shows it."""
    branch, code = get_branch(session, principal, branch_id)
    entered = session.scalar(select(func.count()).where(PartyMember.branch_id == branch.id)) or 0
    last = session.scalar(select(func.max(PartyActivity.held_on)).where(PartyActivity.branch_id == branch.id))
    secretary = branch.secretary.name if branch.secretary else None
    return branch_summary(branch, code, secretary, entered, last, today)


def update_branch(
    session: Session,
    principal: Principal,
    branch_id: int,
    version: int,
    changes: dict,
    now: datetime,
    *,
    address: str | None = None,
) -> PartyBranch:
    """Rename a branch or change its declared member count; 409 if someone changed it since ``version``."""
    branch, _code = changeable_branch(session, principal, branch_id)
    require_version("branch", branch.id, version, branch.version)
    before = {"name": branch.name, "members": branch.members}
    for name in ("name", "members"):
        if name in changes:
            setattr(branch, name, changes[name])
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.branch.update",
        entity="party_branch",
        entity_id=branch.id,
        before=before,
        after={"name": branch.name, "members": branch.members, "at": now.isoformat()},
        address=address,
    )
    return branch
