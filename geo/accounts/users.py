"""Managing accounts: creating, changing and disabling users in the manager's jurisdiction, ending their access."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from geo.accounts.callers import forget_on_commit
from geo.accounts.capabilities import Capability
from geo.accounts.models import ApiToken, Role, User
from geo.accounts.principal import Principal
from geo.core.audit import ACTORS_WITHOUT_ACCOUNT, record
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.core.models import AuditEvent
from geo.grid.counties import counties_covered, county_codes
from geo.grid.models import ForceMember, Grid, GridWorker, Net

MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,49}$")


def _validate_nets(nets: list[str]) -> list[str]:
    known = {net.value for net in Net}
    unknown = [net for net in nets if net not in known]
    if unknown or not nets:
        raise InvalidInput(
            "nets must be one or more of {choices}; got {value}",
            field="nets",
            choices=", ".join(sorted(known)),
            value=nets,
        )
    return sorted(set(nets))


def _validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password must have at least {limit} characters", field="password", limit=MIN_PASSWORD_LENGTH
        )


def _grid(session: Session, code: str) -> Grid:
    grid = session.scalar(select(Grid).where(Grid.code == code))
    if grid is None:
        raise InvalidInput("no grid with code {code!r}", field="jurisdiction", code=code)
    return grid


def _within_manager(manager: Principal, grid: Grid, nets: list[str]) -> None:
    """Refuse an account reaching beyond its manager: a grid outside their jurisdiction, a net they do not hold."""
    if not manager.covers(grid.code):
        raise InvalidInput(
            "grid {code} is outside your jurisdiction {jurisdiction}",
            field="jurisdiction",
            code=grid.code,
            jurisdiction=manager.jurisdiction_code,
        )
    beyond = sorted(set(nets) - manager.nets)
    if beyond:
        raise InvalidInput("you do not hold the {nets} net: you cannot give it", field="nets", nets=", ".join(beyond))


def _snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "jurisdiction": user.jurisdiction.code if user.jurisdiction else None,
        "nets": list(user.nets),
        "worker": user.worker.code if user.worker else None,
        "force_member": user.force_member_id,
        "is_active": user.is_active,
    }


def accounts_in(session: Session, principal: Principal) -> list[User]:
    """The accounts whose jurisdiction lies in the caller's (a township admin does not list the county's)."""
    return list(
        session.scalars(
            select(User)
            .join(Grid, Grid.id == User.jurisdiction_id)
            .where(principal.scope(Grid.code))
            .order_by(User.username)
        )
    )


def audited_actors(session: Session, principal: Principal) -> Select | None:
    """The usernames of the accounts of the caller's jurisdiction, whose changes they may read wherever made;
    None for a jurisdiction covering every county in the data (the prefecture's over its counties)."""
    if all(principal.covers(county) for county in county_codes(session)):
        return None
    return select(User.username).join(Grid, Grid.id == User.jurisdiction_id).where(principal.scope(Grid.code))


def readable_events(session: Session, principal: Principal) -> ColumnElement[bool] | None:
    """The audit events the caller may read: those of their counties, whoever made them (the scheduler,
    residents, the prefecture), and those made by their jurisdiction's accounts; so a county's admin never
    reads another county's. None (every event, the shared settings' and the installation's as well) for a
    jurisdiction covering every county."""
    actors = audited_actors(session, principal)
    if actors is None:
        return None
    counties = [county.code for county in counties_covered(session, principal.jurisdiction_code)]
    return or_(AuditEvent.county_code.in_(counties), AuditEvent.actor.in_(actors))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no user {username!r}", username=username)
    return user


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    jurisdiction: str,
    nets: list[str],
    display_name: str = "",
    worker_code: str | None = None,
    force_member_code: str | None = None,
    actor: str,
    address: str | None = None,
    is_demo: bool = False,
    by: Principal | None = None,
) -> User:
    """Create an account after checking every field; the creation is audited.

    ``by`` is the admin creating it from the users page: the account's grid (the one named, or its
    worker's or force member's) must lie in their jurisdiction and its nets among theirs. The command
    line creates accounts as the operator, without ``by``.
    """
    if by is not None:
        by.require(Capability.ACCOUNT_MANAGE)
    if not _USERNAME.match(username):
        raise InvalidInput("username must be 3-50 lowercase letters, digits, '.', '_' or '-'", field="username")
    # The app's own actors are taken too: an account so named would pass for the scheduler or residents.
    if username in ACTORS_WITHOUT_ACCOUNT or session.scalar(select(User.id).where(User.username == username)):
        raise InvalidInput("username {username!r} is taken", field="username", username=username)
    role_value = one_of(Role, role, "role")
    _validate_password(password)
    grid = _grid(session, jurisdiction)
    worker = None
    if worker_code:
        worker = session.scalar(select(GridWorker).where(GridWorker.code == worker_code))
        if worker is None:
            raise InvalidInput("no grid worker {code!r}", field="worker", code=worker_code)
        grid = session.get(Grid, worker.grid_id) or grid
    elif role_value is Role.GRID_WORKER:
        raise InvalidInput("a grid worker account must name its grid worker record", field="worker")
    member = None
    if role_value is Role.CO_HANDLER:
        # A co-handler's account is its force member's, in the member's grid.
        member = session.scalar(select(ForceMember).where(ForceMember.code == (force_member_code or "")))
        if member is None:
            raise InvalidInput("a co-handler account must name its force member", field="force_member")
        grid = session.get(Grid, member.grid_id) or grid
    account_nets = _validate_nets(nets)
    if by is not None:
        _within_manager(by, grid, account_nets)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password),
        role=role_value.value,
        jurisdiction=grid,
        nets=account_nets,
        worker=worker,
        force_member_id=member.id if member else None,
        is_active=True,
        session_version=1,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        after=_snapshot(user),
        address=address,
    )
    return user


def update_user(
    session: Session,
    username: str,
    *,
    role: str | None = None,
    jurisdiction: str | None = None,
    nets: list[str] | None = None,
    actor: str,
    address: str | None = None,
) -> User:
    """Change role, jurisdiction or nets; audited with before and after."""
    user = get_user(session, username)
    before = _snapshot(user)
    if role is not None:
        user.role = one_of(Role, role, "role").value
    if jurisdiction is not None:
        user.jurisdiction = _grid(session, jurisdiction)
    if nets is not None:
        user.nets = _validate_nets(nets)
    _end_access(session, user, actor=actor, address=address)  # a changed scope takes effect at once
    session.flush()
    record(
        session,
        actor=actor,
        action="user.update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=_snapshot(user),
        address=address,
    )
    return user


def reset_password(session: Session, username: str, password: str, *, actor: str, address: str | None = None) -> None:
    """Set a new password, end the user's sessions and revoke their API tokens."""
    user = get_user(session, username)
    _validate_password(password)
    user.password_hash = generate_password_hash(password)
    _end_access(session, user, actor=actor, address=address)
    record(session, actor=actor, action="user.reset_password", entity="user", entity_id=user.id, address=address)


def set_active(session: Session, username: str, active: bool, *, actor: str, address: str | None = None) -> None:
    """Disable (or re-enable) an account; disabling ends its sessions and revokes its tokens for good."""
    user = get_user(session, username)
    before = _snapshot(user)
    user.is_active = active
    forget_on_commit(session)
    if not active:
        _end_access(session, user, actor=actor, address=address)
    record(
        session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        entity="user",
        entity_id=user.id,
        before=before,
        after=_snapshot(user),
        address=address,
    )


def _revoke_all_tokens(session: Session, user: User, *, actor: str, address: str | None) -> int:
    forget_on_commit(session)
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = datetime.now(UTC)
    record(
        session,
        actor=actor,
        action="token.revoke",
        entity="user",
        entity_id=user.id,
        after={"revoked": len(tokens)},
        address=address,
    )
    return len(tokens)


def _end_access(session: Session, user: User, *, actor: str, address: str | None) -> None:
    """End every session of ``user`` and revoke their tokens: their password, scope or standing changed.

    Revoked tokens stay revoked (enabling an account again does not revive them);
    the user signs in afresh and gets new tokens.
    """
    user.session_version += 1
    _revoke_all_tokens(session, user, actor=actor, address=address)


def revoke_tokens(session: Session, username: str, *, actor: str, address: str | None = None) -> int:
    """Revoke every API token of ``username`` (a lost phone, a leaked script); return how many."""
    return _revoke_all_tokens(session, get_user(session, username), actor=actor, address=address)


def demo_accounts_exist(session: Session) -> bool:
    """Whether the demonstration accounts are loaded (the sign-in page then says how to use them)."""
    return bool(session.scalar(select(exists().where(User.is_demo, User.is_active))))
