"""Cross-net duplicates: one problem reported twice, in two nets, at the same place and time.

Intake flags a suspected duplicate only within one category. The paper's "tasks
done twice" are cases of different nets: a landslide reported by the social net's
worker and by the rural net's. Two open cases of different nets within intake's
duplicate distance and time (``geo.dispatch.nearness``; who has such a partner
is kept by the database, ``geo.dispatch.cross_net``) are offered to the dispatcher as one
problem, with a merge that closes one as the other's duplicate;
the console's queue 跨网重复 (``geo.dispatch.queues``) holds the cases of such pairs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, true, tuple_
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput
from geo.dispatch.cross_net import partner_condition, partnered, partners_of
from geo.dispatch.intake import clean_text
from geo.dispatch.models import OPEN_INCIDENT, Incident
from geo.dispatch.scope import visible
from geo.dispatch.statuses import FINISHED, Status
from geo.dispatch.views import get_incident, incident_detail
from geo.dispatch.workflow import InvalidTransition, StaleVersion, record_event, touch
from geo.grid.models import codes_under

#: Pairs one answer lists at most.
PAIR_LIMIT = 200


def cross_net_pairs(session: Session, principal: Principal, *, grid: str | None = None) -> list[dict]:
    """Open cases of different nets reported at the same place and time, both visible to the caller.

    Each pair names the earlier case first (the one a merge keeps by default) and their distance in metres.
    """
    principal.require(Capability.CASE_CONSOLE)
    if grid and (not grid.isdigit() or len(grid) > 15):
        raise InvalidInput("grid must be a grid code (digits)", field="grid")
    # The later case of each pair is the outer one and its earlier partners are found for it alone (a lateral
    # join), a batch of the newest cases with partners at a time until PAIR_LIMIT pairs are found: joining every
    # pair and then sorting took 30 s at 10,000,000 incidents, where each crowded case has hundreds of partners
    # (the planner, expecting one partner a case, would not stop early by itself).
    earlier = aliased(Incident, name="earlier")
    found = (
        select(earlier.ticket, earlier.net, earlier.title, earlier.version, earlier.location, earlier.reported_at)
        .where(
            partner_condition(principal, Incident, earlier),
            (earlier.reported_at < Incident.reported_at)
            | ((earlier.reported_at == Incident.reported_at) & (earlier.id < Incident.id)),
            *([codes_under(earlier.group_code, grid)] if grid else []),
        )
        .order_by(earlier.reported_at.desc(), earlier.id.desc())
        .limit(PAIR_LIMIT)
        .lateral("earlier")
    )
    query = (
        select(
            found.c.ticket,
            found.c.net,
            found.c.title,
            found.c.version,
            Incident.ticket,
            Incident.net,
            Incident.title,
            Incident.version,
            func.ST_Distance(func.Geography(found.c.location), func.Geography(Incident.location)),
        )
        .select_from(Incident)
        .join(found, true())
        .order_by(Incident.reported_at.desc(), Incident.id.desc(), found.c.reported_at.desc())
    )
    newest = (
        select(Incident.id, Incident.reported_at)
        .where(visible(principal), OPEN_INCIDENT, partnered(principal))  # the few cases with partners
        .order_by(Incident.reported_at.desc(), Incident.id.desc())
        .limit(PAIR_LIMIT)
    )
    rows: list = []
    while len(rows) < PAIR_LIMIT:
        batch = session.execute(newest).all()
        if not batch:
            break
        in_batch = query.where(Incident.id.in_([case_id for case_id, _ in batch]))
        rows += session.execute(in_batch.limit(PAIR_LIMIT - len(rows))).all()
        (last_id, last_at) = batch[-1]
        newest = newest.where(tuple_(Incident.reported_at, Incident.id) < tuple_(last_at, last_id))
    return [
        {
            "first": {"ticket": a, "net": a_net, "title": a_title, "version": a_version},
            "second": {"ticket": b, "net": b_net, "title": b_title, "version": b_version},
            "distance_m": round(distance, 1),
        }
        for a, a_net, a_title, a_version, b, b_net, b_title, b_version, distance in rows
    ]


def cross_net_partners(session: Session, principal: Principal, incident: Incident) -> list[str]:
    """The tickets of visible open cases of other nets reported at the same place and time as ``incident``."""
    return [partner.ticket for partner in session.scalars(partners_of(principal, incident.id))]


def merge_cross_net(
    session: Session,
    principal: Principal,
    keep: str,
    merged: str,
    *,
    keep_version: int,
    merged_version: int,
    note: str = "",
    address: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Merge ``merged`` into ``keep``: one problem reported in two nets; ``merged`` closes as a duplicate.

    Both must be open, in different nets and within the duplicate distance and time; both versions
    must be those the dispatcher read (409 otherwise). The residents who raised ``merged`` count on
    ``keep``. Both histories and the audit trail record it.
    """
    now = now or now_utc()
    principal.require(Capability.CASE_DESK)
    kept, gone = get_incident(session, principal, keep), get_incident(session, principal, merged)
    for incident, version in ((kept, keep_version), (gone, merged_version)):
        principal.require_change(incident.group_code)
        if incident.version != version:
            raise StaleVersion(
                "incident {ticket} changed since you read it (version {version}, now {current})",
                details=incident_detail(session, incident, principal),
                ticket=incident.ticket,
                version=version,
                current=incident.version,
            )
        if incident.status in {s.value for s in FINISHED}:
            raise InvalidTransition("cannot merge an incident that is {status}", status=incident.status)
    if kept.net == gone.net:
        raise InvalidInput(
            "both incidents are in the {net} net: mark one a duplicate instead", field="merged", net=kept.net
        )
    if gone.ticket not in cross_net_partners(session, principal, kept):
        raise InvalidInput(
            "{first} and {second} were not reported at the same place and time",
            field="merged",
            first=keep,
            second=merged,
        )
    text = clean_text(note, "note")
    before = {"status": gone.status, "version": gone.version, "duplicate_of": None}
    gone_status = gone.status
    gone.status = Status.DUPLICATE.value
    gone.duplicate_of_id = kept.id
    gone.closed_at = now
    kept.resident_reports += gone.resident_reports
    touch(gone, now)
    touch(kept, now)
    record_event(session, gone, principal.username, "merge", gone_status, now, text, {"into": kept.ticket})
    record_event(
        session, kept, principal.username, "merge", kept.status, now, text, {"from": gone.ticket, "net": gone.net}
    )
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleVersion("an incident was changed at the same moment; reload and try again") from None
    record(
        session,
        actor=principal.username,
        action="incident.merge",
        entity="incident",
        entity_id=gone.ticket,
        before=before,
        after={"status": gone.status, "duplicate_of": kept.ticket, "net": gone.net, "into_net": kept.net}
        | ({"note": text} if text else {}),
        address=address,
    )
    return kept
