"""The party organisation's indicators for any grid at any level, the caller's jurisdiction applied, all in SQL.

- activities per branch per quarter: activities of the standing branches and village organisations below
  the grid in each of the last four quarters (county days), divided by those branches;
- quiet branches: standing branches and village organisations without an activity in the last
  ``QUIET_MONTHS`` months (a flag);
- members per group: members entered ÷ villager groups with a branch;
- households per member: linked households (党员联系户, the stated counts) ÷ members entered.

A village organisation (党总支/党委) holds activities of its own, the whole village's 主题党日, and counts
here as one branch more; it has no members of its own (they are its groups'). Harvest hills' temporary
branches are seasonal and stay out of these ratios. Formulas are listed in
docs/indicators.md.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, and_, cast, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.errors import NotFound
from geo.grid.models import Grid, PartyBranch, codes_under
from geo.party.branches import QUIET_MONTHS, quiet_since
from geo.party.models import PartyActivity, PartyMember, VillageBranch

QUARTERS = 4
#: Quiet branches listed by name (the count covers them all).
QUIET_LISTED = 50


def quarter_start(day: date) -> date:
    """The first day of the quarter holding ``day``."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarters(today: date) -> list[date]:
    """The first days of the last ``QUARTERS`` quarters, oldest first, the current one last."""
    first = quarter_start(today)
    starts = []
    for _ in range(QUARTERS):
        starts.append(first)
        month = first.month - 3
        first = date(first.year - (month < 1), (month - 1) % 12 + 1, 1)
    return starts[::-1]


def _prefix(principal: Principal, code: str) -> str:
    """The grid the figures cover: ``code``, or the jurisdiction when ``code`` holds it; else NotFound."""
    if principal.covers(code):
        return code
    if principal.jurisdiction_code.startswith(code):
        return principal.jurisdiction_code
    raise NotFound("no grid {code!r} in your jurisdiction", code=code[:20])


def party_indicators(session: Session, principal: Principal, code: str, today: date) -> dict:
    """The four indicators for the grid ``code`` and everything below it."""
    principal.require(Capability.PARTY_VIEW)
    prefix = _prefix(principal, code)
    if session.scalar(select(Grid.id).where(Grid.code == prefix)) is None:
        raise NotFound("no grid {code!r} in your jurisdiction", code=code[:20])
    under = (codes_under(Grid.code, prefix), principal.scope(Grid.code))
    branches = union_all(
        select(PartyBranch.id, Grid.code, PartyBranch.name, false().label("village"))
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .where(*under),
        select(VillageBranch.id, Grid.code, VillageBranch.name, true().label("village"))
        .join(Grid, Grid.id == VillageBranch.grid_id)
        .where(*under),
    ).cte("branches")
    held_by = or_(
        and_(branches.c.village.is_(False), PartyActivity.branch_id == branches.c.id),
        and_(branches.c.village.is_(True), PartyActivity.village_branch_id == branches.c.id),
    )
    branch_count, groups = session.execute(
        select(func.count(), func.count().filter(branches.c.village.is_(False))).select_from(branches)
    ).one()
    starts = _quarters(today)
    quarter = cast(func.date_trunc("quarter", PartyActivity.held_on), Date)
    per_quarter = dict(
        session.execute(
            select(quarter, func.count())
            .join(branches, held_by)
            .where(PartyActivity.held_on >= starts[0], PartyActivity.held_on <= today)
            .group_by(quarter)
        ).all()
    )
    last = (
        select(
            branches.c.id,
            branches.c.code,
            branches.c.name,
            branches.c.village,
            func.max(PartyActivity.held_on).label("last"),
        )
        .outerjoin(PartyActivity, held_by)
        .group_by(branches.c.id, branches.c.code, branches.c.name, branches.c.village)
        .subquery()
    )
    threshold = quiet_since(today)
    quiet_rows = session.execute(
        select(last.c.id, last.c.code, last.c.name, last.c.village, last.c.last)
        .where((last.c.last.is_(None)) | (last.c.last < literal(threshold)))
        .order_by(last.c.code)
    ).all()
    members, households = session.execute(
        select(func.count(PartyMember.id), func.coalesce(func.sum(PartyMember.household_count), 0)).join(
            branches, and_(branches.c.village.is_(False), branches.c.id == PartyMember.branch_id)
        )
    ).one()
    return {
        "code": prefix,
        "branches": branch_count,
        "village_branches": branch_count - groups,
        "activities_per_quarter": [
            {
                "quarter": f"{start.year}Q{(start.month - 1) // 3 + 1}",
                "activities": per_quarter.get(start, 0),
                "per_branch": round(per_quarter.get(start, 0) / branch_count, 2) if branch_count else None,
            }
            for start in starts
        ],
        "quiet_months": QUIET_MONTHS,
        "quiet_since": threshold.isoformat(),
        "quiet_branches": len(quiet_rows),
        "quiet": [
            {"id": i, "grid_code": c, "name": n, "village": v, "last_activity": held.isoformat() if held else None}
            for i, c, n, v, held in quiet_rows[:QUIET_LISTED]
        ],
        "members": members,
        "groups": groups,
        "members_per_group": round(members / groups, 2) if groups else None,
        "households": households,
        "households_per_member": round(households / members, 2) if members else None,
    }
