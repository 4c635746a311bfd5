"""Cross-net partners (跨网重复): open cases of different nets reported at the same place and time.

Who has a partner is kept by the database as cases are written (``IncidentCrossNetPair``: a row per open case
and grid and net it has partners in, the triggers of migration ``d06e0e7b0019``), so the queue 跨网重复 reads a
few rows instead of asking every open case for a partner nearby. The partners themselves are found when asked
(``partners_of``), by ``geo.dispatch.nearness.reported_near``, for one case or the few that have them.

Two reports written at the same moment in two transactions cannot see each other, so neither pairs them, and a
partner closing as the other is reported can leave a row with a closed witness. ``recheck_pairs`` (the
scheduler, every five minutes) pairs the recently changed cases again and replaces or drops such rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ARRAY, ColumnElement, Integer, and_, bindparam, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from geo.accounts.principal import Principal
from geo.dispatch.models import Incident, IncidentCrossNetPair, is_open
from geo.dispatch.nearness import reported_near
from geo.dispatch.scope import visible, visible_by_place_and_net

#: How far back ``recheck_pairs`` looks: longer than any intake transaction, and than two runs' interval.
RECHECK_WINDOW = timedelta(minutes=15)


def partner_condition(principal: Principal, case, partner) -> ColumnElement[bool]:
    """SQL condition: ``partner`` is an open case of another net reported at the same place and time as
    ``case`` (each ``Incident`` or an alias), and the caller may see it."""
    return and_(
        partner.id != case.id,
        partner.net != case.net,
        reported_near(case, partner),
        is_open(partner),
        visible(principal, partner),
    )


def partnered(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on ``Incident``: an open case of another net, visible to the caller, is its partner.

    The partner must be visible too: a desk without the religious net must not learn of a religious case
    from its own case's queue. Where place and net decide who sees a case, that is read from the rows' grids
    and nets, uncorrelated, so a count over every open case reads them once (a hashed subplan). A grid
    worker's or co-handler's sight depends on the partner itself: among the cases with rows, theirs is asked.
    """
    pair = IncidentCrossNetPair
    seen = visible_by_place_and_net(principal, pair.partner_group_code, pair.partner_net)
    if seen is not None:
        return Incident.id.in_(select(pair.incident_id).where(seen))
    partner = aliased(Incident, name="partner")
    return and_(
        Incident.id.in_(select(pair.incident_id)),
        exists().where(partner_condition(principal, Incident, partner)),
    )


def partners_of(principal: Principal, incident_id: int, *, limit: int = 20):
    """A query for the visible open partners of one case (``Incident`` rows), earliest first."""
    case, partner = aliased(Incident, name="case"), aliased(Incident, name="partner")
    return (
        select(partner)
        .join(case, partner_condition(principal, case, partner))
        .where(case.id == incident_id)
        .order_by(partner.reported_at, partner.id)
        .limit(limit)
    )


def recheck_pairs(session: Session, now: datetime) -> dict:
    """Drop the rows of finished cases, give rows with a finished witness another, and pair again the open
    cases changed within ``RECHECK_WINDOW``. Idempotent: rows already right are left as they are."""
    ids = bindparam("ids", type_=ARRAY(Integer))
    forgotten = session.execute(
        delete(IncidentCrossNetPair).where(~exists().where(Incident.id == IncidentCrossNetPair.incident_id, is_open()))
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult for a DELETE
    gone_witnesses = session.scalars(
        select(IncidentCrossNetPair.partner_id)
        .where(~exists().where(Incident.id == IncidentCrossNetPair.partner_id, is_open()))
        .distinct()
    ).all()
    if gone_witnesses:
        forgotten += session.scalar(select(func.unpair_cross_net(ids)), {"ids": list(gone_witnesses)})
    # The newest changes have the highest change numbers: walk them back to the first older than the window.
    before_window = (
        select(Incident.change_seq)
        .where(Incident.updated_at < now - RECHECK_WINDOW)
        .order_by(Incident.change_seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    recent = session.scalars(
        select(Incident.id).where(Incident.change_seq > func.coalesce(before_window, 0), is_open())
    ).all()
    paired = session.scalar(select(func.pair_cross_net(ids)), {"ids": list(recent)}) if recent else 0
    return {"forgotten": forgotten, "rewitnessed": len(gone_witnesses), "paired": paired}
