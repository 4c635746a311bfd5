"""Accounts: who a user is, where they may look (jurisdiction) and which nets they hold.

Jurisdiction is one grid; grid codes nest (county 6 digits, township 9, village
12, group 15), so "this grid and everything below it" is simply "codes that
start with this code". Every query that returns grid-bound data filters with
``Principal.scope``; routes never decide visibility themselves.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, bindparam, delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo.audit import record
from geo.errors import GridError, InvalidInput, NotFound, one_of
from geo.models import ApiToken, Grid, GridWorker, LoginSession, Net, Role, User
from geo.sql import CompiledQuery

COUNTY_CODE = "533422"
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "gm_"
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,49}$")


class AuthenticationFailed(GridError):
    """Unknown user or wrong password (the two are not told apart)."""

    status = 401


class AccountDisabled(GridError):
    """The password was right but the account is disabled."""

    status = 403


class AccessDenied(GridError):
    """The user is known but their role or nets do not allow this."""

    status = 403


@dataclass(frozen=True)
class Principal:
    """The caller as the access rules see them."""

    user_id: int
    username: str
    role: Role
    jurisdiction_code: str
    nets: frozenset[str]
    worker_code: str | None = None  # the grid-worker record of a grid worker's account

    @classmethod
    def everything(cls, username: str = "system") -> Principal:
        """County-wide, every net: for the command line and internal jobs, never for a request."""
        return cls(0, username, Role.ADMIN, COUNTY_CODE, frozenset(net.value for net in Net))

    def covers(self, grid_code: str) -> bool:
        """True when ``grid_code`` is the jurisdiction or lies below it."""
        return grid_code.startswith(self.jurisdiction_code)

    def may_change(self, grid_code: str) -> bool:
        """True when the caller may change what belongs to ``grid_code``.

        Seeing reaches up (a county-wide zone shows in every township it covers);
        changing does not: only inside the jurisdiction, and never for viewers.
        """
        return self.role is not Role.VIEWER and self.covers(grid_code)

    def require_writer(self) -> None:
        """Refuse (403) any change by a viewer, before anything else is looked at."""
        if self.role is Role.VIEWER:
            raise AccessDenied("viewers may look but not change anything")

    def require_change(self, grid_code: str) -> None:
        """Refuse (403) a change to what belongs to ``grid_code`` unless ``may_change`` allows it."""
        self.require_writer()
        if not self.covers(grid_code):
            raise AccessDenied(
                "grid {code} is outside your jurisdiction {jurisdiction}: you may see it but not change it",
                code=grid_code,
                jurisdiction=self.jurisdiction_code,
            )

    def sees_phones(self, grid_code: str) -> bool:
        """Phone numbers of people answering for ``grid_code`` are shown only inside the jurisdiction."""
        return self.covers(grid_code)

    def scope(self, code_column):
        """SQL condition: ``code_column`` lies in this principal's jurisdiction."""
        return code_column.startswith(self.jurisdiction_code, autoescape=True)

    def above(self, code_column):
        """SQL condition: ``code_column`` is a grid holding the jurisdiction (its code is a prefix of it)."""
        return func.strpos(self.jurisdiction_code, code_column) == 1

    def has_net(self, net: Net | str) -> bool:
        return str(net) in self.nets

    def sees_worker(self, worker_nets: list[str]) -> bool:
        """A worker is visible when they serve at least one of the caller's nets."""
        return not self.nets.isdisjoint(worker_nets)

    def shown_nets(self, worker_nets: list[str]) -> list[str]:
        """The nets of a worker the caller may be told of: those the caller holds (religious only with it)."""
        return [net for net in worker_nets if net in self.nets]

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise AccessDenied("this needs one of the roles {roles}; you are {role}", roles=list(roles), role=self.role)

    def require_net(self, net: Net | str) -> None:
        if not self.has_net(net):
            raise AccessDenied("this needs the {net} net", net=str(net))


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


def _snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "jurisdiction": user.jurisdiction.code if user.jurisdiction else None,
        "nets": list(user.nets),
        "worker": user.worker.code if user.worker else None,
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
    actor: str,
    address: str | None = None,
    is_demo: bool = False,
) -> User:
    """Create an account after checking every field; the creation is audited."""
    if not _USERNAME.match(username):
        raise InvalidInput("username must be 3-50 lowercase letters, digits, '.', '_' or '-'", field="username")
    if session.scalar(select(User.id).where(User.username == username)):
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
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password),
        role=role_value.value,
        jurisdiction=grid,
        nets=_validate_nets(nets),
        worker=worker,
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


# A fixed hash to check against when the user is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def authenticate(session: Session, username: str, password: str, *, address: str | None = None) -> User:
    """Return the user if the password is right; audit the attempt either way."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not check_password_hash(user.password_hash, password):
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
        record(
            session,
            actor=username[:50],
            action="login.failed",
            entity="user",
            entity_id=user.id if user else "-",
            address=address,
        )
        raise AuthenticationFailed("wrong username or password")
    if not user.is_active:
        raise AccountDisabled("this account is disabled")
    record(session, actor=user.username, action="login", entity="user", entity_id=user.id, address=address)
    return user


def _digest(secret: str) -> str:
    """What is stored of a token or session key: enough to recognise it, useless to present."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, username: str, name: str, *, actor: str, address: str | None = None) -> str:
    """Create an API token for ``username`` and return it; only its digest is kept."""
    user = get_user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=_digest(token)))
    session.flush()
    record(
        session,
        actor=actor,
        action="token.create",
        entity="user",
        entity_id=user.id,
        after={"name": name},
        address=address,
    )
    return token


@dataclass(frozen=True)
class Caller:
    """A signed-in account as a request needs it: the principal and a name to show."""

    principal: Principal
    display_name: str


def _caller_query():
    # One row with everything a request needs: this runs on every authenticated request.
    return (
        select(
            User.id,
            User.username,
            User.role,
            Grid.code,
            User.nets,
            User.display_name,
            GridWorker.code,
        )
        .join(Grid, Grid.id == User.jurisdiction_id)
        .outerjoin(GridWorker, GridWorker.id == User.worker_id)
        .where(User.is_active)
    )


_CALLER_BY_SESSION = CompiledQuery(
    lambda: (
        _caller_query()
        .join(
            LoginSession,
            (LoginSession.user_id == User.id) & (LoginSession.session_version == User.session_version),
        )
        .where(LoginSession.key_hash == bindparam("digest", type_=String), LoginSession.expires_at > func.now())
    )
)
_CALLER_BY_TOKEN = CompiledQuery(
    lambda: (
        _caller_query()
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("digest", type_=String), ApiToken.revoked_at.is_(None))
    )
)


def _caller(row) -> Caller | None:
    if row is None:
        return None
    user_id, username, role, code, nets, display_name, worker_code = row
    principal = Principal(user_id, username, Role(role), code, frozenset(nets), worker_code)
    return Caller(principal, display_name)


def caller_for_session(session: Session, session_key: str) -> Caller | None:
    """Return the active account behind a login session that has not ended, expired or been outdated."""
    result = _CALLER_BY_SESSION.execute(session.connection(), digest=_digest(session_key))
    return _caller(result.first())


def caller_for_token(session: Session, token: str) -> Caller | None:
    """Return the active account owning ``token`` (an unrevoked one), or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return _caller(_CALLER_BY_TOKEN.execute(session.connection(), digest=_digest(token)).first())


def start_session(session: Session, user: User, lifetime: timedelta) -> str:
    """Begin a login session for ``user`` and return its key, for the session cookie only."""
    now = datetime.now(UTC)
    # Expired and outdated sessions of this user are dead anyway; sweeping them here keeps the table small.
    session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            (LoginSession.expires_at <= now) | (LoginSession.session_version != user.session_version),
        )
    )
    key = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user.id, key_hash=_digest(key), session_version=user.session_version, expires_at=now + lifetime
        )
    )
    session.flush()
    return key


def end_session(session: Session, session_key: str, *, actor: str, address: str | None = None) -> None:
    """Sign out: the session's key stops working at once, on every copy of its cookie."""
    ended = session.scalar(
        delete(LoginSession).where(LoginSession.key_hash == _digest(session_key)).returning(LoginSession.user_id)
    )
    if ended is not None:
        record(session, actor=actor, action="logout", entity="user", entity_id=ended, address=address)


def _revoke_all_tokens(session: Session, user: User, *, actor: str, address: str | None) -> int:
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
