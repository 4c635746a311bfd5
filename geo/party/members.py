"""A branch's members: post, party duty, contact, and the households each keeps in touch with (党员联系户).

A member's phone and households are personal data: they are shown only to callers whose
jurisdiction covers the member's villager group (``Principal.sees_phones``); members of
branches outside the jurisdiction are not found at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.errors import InvalidInput, NotFound
from geo.party.branches import changeable_branch, get_branch, require_version
from geo.party.models import LinkedHousehold, PartyMember

#: The households one member may list (the county's practice is a handful; the count may say more).
MAX_HOUSEHOLDS = 50


@dataclass(frozen=True)
class Household:
    name: str
    address: str = ""


@dataclass(frozen=True)
class MemberInput:
    name: str
    post: str = ""
    duty: str = ""
    phone: str = ""
    household_count: int = 0
    households: tuple[Household, ...] = field(default_factory=tuple)


def _check(data: MemberInput) -> None:
    if not data.name.strip():
        raise InvalidInput("{field} is required", field="name")
    if len(data.households) > MAX_HOUSEHOLDS:
        raise InvalidInput("a member lists at most {limit} households", field="households", limit=MAX_HOUSEHOLDS)
    if data.household_count < len(data.households):
        raise InvalidInput(
            "the household count ({count}) is smaller than the {listed} households listed",
            field="household_count",
            count=data.household_count,
            listed=len(data.households),
        )


def member_dict(member: PartyMember, principal: Principal) -> dict:
    """A member as the caller may see them: phone and households only inside the jurisdiction."""
    personal = principal.sees_phones(member.area_code)
    return {
        "id": member.id,
        "branch_id": member.branch_id,
        "group_code": member.area_code,
        "name": member.name,
        "post": member.post,
        "duty": member.duty,
        "phone": member.phone if personal else None,
        "household_count": member.household_count,
        "households": [{"name": h.name, "address": h.address} for h in member.households] if personal else None,
        "demo": member.is_demo,
        "version": member.version,
    }


def _audit_view(member: PartyMember) -> dict:
    """A member for the audit trail: what changed, without the phone number itself."""
    return {
        "branch": member.branch_id,
        "name": member.name,
        "post": member.post,
        "duty": member.duty,
        "has_phone": bool(member.phone),
        "household_count": member.household_count,
        "households": len(member.households),
    }


def branch_members(session: Session, principal: Principal, branch_id: int) -> list[PartyMember]:
    """The members of a branch the caller may see, by name."""
    branch, _code = get_branch(session, principal, branch_id)
    return list(session.scalars(select(PartyMember).where(PartyMember.branch_id == branch.id).order_by(PartyMember.id)))


def get_member(session: Session, principal: Principal, member_id: int) -> PartyMember:
    member = session.scalar(
        select(PartyMember).where(PartyMember.id == member_id, principal.scope(PartyMember.area_code))
    )
    if member is None:
        raise NotFound("no party member {member} in your jurisdiction", member=member_id)
    get_branch(session, principal, member.branch_id)  # the capability check
    return member


def add_member(
    session: Session,
    principal: Principal,
    branch_id: int,
    data: MemberInput,
    now: datetime,
    *,
    address: str | None = None,
) -> PartyMember:
    """Enter a member of a branch inside the jurisdiction; audited from ``address``."""
    _check(data)
    branch, code = changeable_branch(session, principal, branch_id)
    member = PartyMember(
        branch_id=branch.id,
        area_code=code,
        name=data.name.strip(),
        post=data.post.strip(),
        duty=data.duty.strip(),
        phone=data.phone.strip(),
        household_count=data.household_count,
        households=[LinkedHousehold(name=h.name.strip(), address=h.address.strip()) for h in data.households],
        updated_at=now,
    )
    session.add(member)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.member.create",
        entity="party_member",
        entity_id=member.id,
        after=_audit_view(member),
        address=address,
    )
    return member


def update_member(
    session: Session,
    principal: Principal,
    member_id: int,
    version: int,
    data: MemberInput,
    now: datetime,
    *,
    address: str | None = None,
) -> PartyMember:
    """Replace a member's fields and households; 409 if someone changed them since ``version``."""
    _check(data)
    member = get_member(session, principal, member_id)
    changeable_branch(session, principal, member.branch_id)
    require_version("member", member.id, version, member.version)
    before = _audit_view(member)
    member.name, member.post, member.duty = data.name.strip(), data.post.strip(), data.duty.strip()
    member.phone, member.household_count = data.phone.strip(), data.household_count
    member.households = [LinkedHousehold(name=h.name.strip(), address=h.address.strip()) for h in data.households]
    member.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.member.update",
        entity="party_member",
        entity_id=member.id,
        before=before,
        after=_audit_view(member),
        address=address,
    )
    return member


def remove_member(
    session: Session, principal: Principal, member_id: int, version: int, *, address: str | None = None
) -> None:
    """Remove a member (left the branch, moved away); 409 if someone changed them since ``version``."""
    member = get_member(session, principal, member_id)
    changeable_branch(session, principal, member.branch_id)
    require_version("member", member.id, version, member.version)
    before = _audit_view(member)
    county = member.county_code  # the event's: the row is gone when it is written
    session.delete(member)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.member.delete",
        entity="party_member",
        entity_id=member_id,
        before=before,
        address=address,
        county_code=county,
    )
