"""Signing in: passwords, API tokens and sessions, and who a request's caller is."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import String, bindparam, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo.accounts.callers import cache_for, forget_on_commit
from geo.accounts.models import ApiToken, LoginSession, Role, User
from geo.accounts.principal import Principal
from geo.accounts.users import get_user
from geo.core.audit import record
from geo.core.errors import GridError
from geo.core.sql import FRESH, CompiledQuery
from geo.grid.models import Grid, GridWorker

TOKEN_PREFIX = "gm_"


class AuthenticationFailed(GridError):
    """Unknown user or wrong password (the two are not told apart)."""

    status = 401


class AccountDisabled(GridError):
    """The password was right but the account is disabled."""

    status = 403


@cache
def _dummy_hash() -> str:
    """A fixed hash to check against when the user is unknown, so both failures take the same time.

    Made on first use: hashing costs 0.3 s, which every worker and command paid at import.
    """
    return generate_password_hash("not-a-real-password")


def authenticate(session: Session, username: str, password: str, *, address: str | None = None) -> User:
    """Return the user if the password is right; audit the attempt either way."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not check_password_hash(user.password_hash, password):
        if user is None:
            check_password_hash(_dummy_hash(), password)
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
            User.force_member_id,
        )
        .join(Grid, Grid.id == User.jurisdiction_id)
        .outerjoin(GridWorker, GridWorker.id == User.worker_id)
        .where(User.is_active)
    )


_CALLER_BY_SESSION = CompiledQuery(
    lambda: (
        _caller_query()
        .add_columns(LoginSession.expires_at)
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


def _caller(row) -> Caller:
    user_id, username, role, code, nets, display_name, worker_code, force_member_id = row
    principal = Principal(user_id, username, Role(role), code, frozenset(nets), worker_code, force_member_id)
    return Caller(principal, display_name)


def caller_for_session(session: Session, session_key: str) -> Caller | None:
    """Return the active account behind a login session that has not ended, expired or been outdated."""
    digest = _digest(session_key)

    def load() -> tuple[Caller, datetime] | None:
        row = _CALLER_BY_SESSION.execute(session.connection(bind_arguments=FRESH), digest=digest).first()
        return None if row is None else (_caller(row[:-1]), row[-1])

    # From the primary, as the cache's notices: a standby could still show a session just ended.
    return cache_for(session.get_bind(**FRESH).engine).get("session", digest, load)


def caller_for_token(primary: Engine, read_with: Callable[[], Session], token: str) -> Caller | None:
    """Return the active account owning ``token`` (an unrevoked one), or None.

    ``primary`` is the engine whose notices the kept callers follow; ``read_with`` gives the session
    to ask it with, and is called only when the caller is not kept already: a program calling
    again costs no Session (issue #13).
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(token)

    def load() -> tuple[Caller, None] | None:
        row = _CALLER_BY_TOKEN.execute(read_with().connection(bind_arguments=FRESH), digest=digest).first()
        return None if row is None else (_caller(row), None)

    return cache_for(primary).get("token", digest, load)


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
    forget_on_commit(session)
    if ended is not None:
        record(session, actor=actor, action="logout", entity="user", entity_id=ended, address=address)
