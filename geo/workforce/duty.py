"""The duty list (责任清单): per category, the post that leads it and the nets and forces that support.

Intake routes a case to the lead post (``geo.dispatch.routing.route_in_chain``);
here the county's admins keep the list, and the console reads who supports a case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, NotFound, one_of
from geo.dispatch.models import CategoryDuty, Incident, IncidentCategory
from geo.grid.counties import county_codes
from geo.grid.models import ForceKind, ForceMember, Grid, GridWorker, Net, chain_codes
from geo.workforce.cohandling import co_handlers_of


class StaleDuty(GridError):
    """Someone changed the category's duty entry since the caller read it."""

    status = 409


def _entry(category: IncidentCategory, duty: CategoryDuty | None, principal: Principal) -> dict:
    return {
        "category": category.code,
        "category_zh": category.name_zh,
        "category_en": category.name_en,
        "lead_net": category.net,
        "lead_post": duty.lead_post if duty else "",
        # Religious-net facts only with that net: a supporting net is named to those who hold it.
        "supporting_nets": principal.shown_nets(duty.supporting_nets) if duty else [],
        "supporting_forces": list(duty.supporting_forces) if duty else [],
        "note": duty.note if duty else "",
        "version": duty.version if duty else 0,
    }


def duty_list(session: Session, principal: Principal) -> list[dict]:
    """Every active category of the caller's nets with its lead and supporters (an empty entry if none set)."""
    principal.require(Capability.WORKFORCE_VIEW)
    rows = session.execute(
        select(IncidentCategory, CategoryDuty)
        .outerjoin(CategoryDuty, CategoryDuty.category_id == IncidentCategory.id)
        .where(IncidentCategory.is_active, IncidentCategory.net.in_(sorted(principal.nets)))
        .order_by(IncidentCategory.net, IncidentCategory.code)
    ).all()
    return [_entry(category, duty, principal) for category, duty in rows]


def _clean_list(values: list[str], enum, field: str) -> list[str]:
    if not isinstance(values, list) or len(values) > 20:
        raise InvalidInput("{field} must be a list of at most {limit} codes", field=field, limit=20)
    return sorted({one_of(enum, value, field).value for value in values})


def set_duty(
    session: Session,
    principal: Principal,
    category_code: str,
    *,
    lead_post: str,
    supporting_nets: list[str],
    supporting_forces: list[str],
    note: str = "",
    version: int = 0,
    address: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Set a category's duty entry (county admins holding its net); ``version`` 0 creates it; audited."""
    now = now or now_utc()
    principal.require(Capability.POINTS_MANAGE)
    principal.require_shared_change(county_codes(session))  # one list for every county
    category = session.scalar(select(IncidentCategory).where(IncidentCategory.code == category_code))
    if category is None or not principal.has_net(category.net):
        raise NotFound("no category {category!r}", category=category_code[:40])
    lead_post = (lead_post or "").strip()
    if len(lead_post) > 50:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="lead_post", limit=50)
    if lead_post and not session.scalar(
        select(GridWorker.id).where(GridWorker.post == lead_post, GridWorker.nets.contains([category.net])).limit(1)
    ):
        raise InvalidInput(
            "no grid worker of the {net} net holds the post {post!r}",
            field="lead_post",
            net=category.net,
            post=lead_post,
        )
    nets = _clean_list(supporting_nets, Net, "supporting_nets")
    if category.net in nets:
        raise InvalidInput("the lead net {net} cannot also support", field="supporting_nets", net=category.net)
    for net in nets:
        principal.require_net(net)
    kinds = _clean_list(supporting_forces, ForceKind, "supporting_forces")
    if len(note or "") > 200:
        raise InvalidInput("{field} must have 1 to {limit} characters", field="note", limit=200)
    values = {
        "lead_post": lead_post,
        "supporting_nets": nets,
        "supporting_forces": kinds,
        "note": (note or "").strip(),
        "updated_by": principal.username,
        "updated_at": now,
    }
    duty = session.scalar(select(CategoryDuty).where(CategoryDuty.category_id == category.id))
    before = _entry(category, duty, principal) if duty else None
    if duty is None:
        if version:
            raise StaleDuty("the duty entry of {category} was removed; reload", category=category.code)
        made = session.scalar(
            pg_insert(CategoryDuty)
            .values(category_id=category.id, version=1, **values)
            .on_conflict_do_nothing(index_elements=["category_id"])
            .returning(CategoryDuty.id)
        )
        if made is None:
            raise StaleDuty("the duty entry of {category} was set at the same moment; reload", category=category.code)
        duty = session.get(CategoryDuty, made)
    else:
        if duty.version != version:
            raise StaleDuty(
                "the duty entry of {category} changed since you read it (version {version}, now {current})",
                category=category.code,
                version=version,
                current=duty.version,
            )
        for name, value in values.items():
            setattr(duty, name, value)
        try:
            session.flush()
        except StaleDataError:
            raise StaleDuty(
                "the duty entry of {category} was set at the same moment; reload", category=category.code
            ) from None
    after = _entry(category, duty, principal)
    record(
        session,
        actor=principal.username,
        action="duty.set",
        entity="category",
        entity_id=category.code,
        before=before,
        after=after,
        address=address,
    )
    return after


def support_for(session: Session, principal: Principal, incident: Incident) -> dict:
    """Who leads and who supports ``incident`` (an incident the caller sees): its duty entry, co-handlers and
    the registered forces of the supporting kinds in its grid's chain (no contact data)."""
    category = session.get(IncidentCategory, incident.category_id)
    duty = session.scalar(select(CategoryDuty).where(CategoryDuty.category_id == incident.category_id))
    entry = _entry(category, duty, principal) if category else {}
    kinds = entry.get("supporting_forces") or []
    available = session.execute(
        select(ForceMember.code, ForceMember.kind, ForceMember.name, ForceMember.organisation, Grid.code)
        .join(Grid, Grid.id == ForceMember.grid_id)
        .where(Grid.code.in_(chain_codes(incident.group_code)), ForceMember.is_active)
        .order_by(ForceMember.kind.in_(kinds).desc(), Grid.code.desc(), ForceMember.code)
        .limit(50)
    ).all()
    return {
        **entry,
        "co_handlers": co_handlers_of(session, incident),
        "forces": [
            {
                "code": code,
                "kind": kind,
                "name": name,
                "organisation": org,
                "grid_code": grid,
                "supports": kind in kinds,
            }
            for code, kind, name, org, grid in available
        ],
    }
