"""Cross-net pairs (跨网重复): open cases of different nets reported at the same place and time.

The database keeps the pairs as cases are written (``IncidentCrossNetPair``, the trigger of migration
``d06e0e7b0019``), so the queue 跨网重复 and its list read a few pairs instead of asking every open case
for a partner nearby. Two reports written at the same moment in two transactions cannot see each other,
so neither pairs them; ``recheck_pairs`` (the scheduler, every five minutes) pairs the recently changed
cases again by ``geo.dispatch.nearness.reported_near`` and forgets pairs with a finished case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, func, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from geo.accounts.principal import Principal
from geo.dispatch.models import Incident, IncidentCrossNetPair, is_open
from geo.dispatch.nearness import reported_near
from geo.dispatch.scope import visible, visible_by_place_and_net

#: How far back ``recheck_pairs`` looks: longer than any intake transaction, and than two runs' interval.
RECHECK_WINDOW = timedelta(minutes=15)


def partnered(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on ``Incident``: an open case of another net, visible to the caller, is its pair.

    The partner must be visible too: a desk without the religious net must not learn of a religious case
    from its own case's queue. Where place and net decide who sees a case, that is read from the pair's own
    copy of the partner's grid and net; uncorrelated, so a count over every open case reads the pairs once (a
    hashed subplan) instead of probing them case by case. A pair whose partner closed in the same moment as it
    was written stays until ``recheck_pairs`` (five minutes at most); the list and the merge check the
    partner itself (``partners_of``).
    """
    pair = IncidentCrossNetPair
    seen = visible_by_place_and_net(principal, pair.partner_group_code, pair.partner_net)
    if seen is not None:
        return Incident.id.in_(select(pair.incident_id).where(seen))
    partner = aliased(Incident, name="partner")
    return Incident.id.in_(
        select(pair.incident_id)
        .join(partner, partner.id == pair.partner_id)
        .where(is_open(partner), visible(principal, partner))
    )


def partners_of(principal: Principal, incident_id: int, *, limit: int = 20):
    """A query for the visible open partners of one case (``Incident`` rows), earliest first."""
    partner = aliased(Incident, name="partner")
    return (
        select(partner)
        .join(IncidentCrossNetPair, IncidentCrossNetPair.partner_id == partner.id)
        .where(IncidentCrossNetPair.incident_id == incident_id, is_open(partner), visible(principal, partner))
        .order_by(partner.reported_at, partner.id)
        .limit(limit)
    )


def recheck_pairs(session: Session, now: datetime) -> dict:
    """Forget the pairs with a finished case; pair again the open cases changed within ``RECHECK_WINDOW``.

    Idempotent (a pair already kept is left as it is), so the scheduler may run it as often as it likes.
    """
    forgotten = session.execute(
        delete(IncidentCrossNetPair).where(
            ~exists().where(Incident.id == IncidentCrossNetPair.incident_id, is_open())
            | ~exists().where(Incident.id == IncidentCrossNetPair.partner_id, is_open())
        )
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult for a DELETE
    # The newest changes have the highest change numbers: walk them back to the first older than the window.
    before_window = (
        select(Incident.change_seq)
        .where(Incident.updated_at < now - RECHECK_WINDOW)
        .order_by(Incident.change_seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    recent, partner = aliased(Incident, name="recent"), aliased(Incident, name="partner")
    found = (
        select(
            recent.id.label("a"),
            recent.group_code.label("a_group"),
            recent.net.label("a_net"),
            partner.id.label("b"),
            partner.group_code.label("b_group"),
            partner.net.label("b_net"),
        )
        .join(partner, and_(partner.id != recent.id, partner.net != recent.net, reported_near(recent, partner)))
        .where(recent.change_seq > func.coalesce(before_window, 0), is_open(recent), is_open(partner))
        .subquery()
    )
    both_ways = union(
        select(found.c.a, found.c.b, found.c.b_group, found.c.b_net),
        select(found.c.b, found.c.a, found.c.a_group, found.c.a_net),
    ).subquery()
    paired = session.scalars(
        insert(IncidentCrossNetPair)
        .from_select(
            ["incident_id", "partner_id", "partner_group_code", "partner_net"],
            select(both_ways).order_by(*list(both_ways.c)[:2]),
        )
        .on_conflict_do_nothing()
        .returning(IncidentCrossNetPair.incident_id)
    ).all()
    return {"forgotten": forgotten, "paired": len(paired)}
