"""Users, their API tokens and their signed-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.labels import Labelled, label
from geo.core.models import Base
from geo.grid.models import CountyBound, Grid, GridWorker


class Role(Labelled):
    """What a user may do; where they may do it is their jurisdiction."""

    ADMIN = "admin", label("role", "管理员")  # users, plan approval, at any level (the jurisdiction says which)
    DISPATCHER = "dispatcher", label("role", "调度员")
    PLANNER = "planner", label("role", "规划员")
    PATROL_LEADER = "patrol_leader", label("role", "巡逻队长")
    GRID_WORKER = "grid_worker", label("role", "网格员")
    VIEWER = "viewer", label("role", "领导查看")  # read-only
    CO_HANDLER = "co_handler", label("role", "协办人员")  # a member of another force: only the cases it co-handles


class User(CountyBound, Base):
    """An account, bound to one grid (its jurisdiction) and holding one or more nets.

    Its ``county_code`` is its jurisdiction's county, or the prefecture's code for a prefecture's account.
    """

    __tablename__ = "app_user"
    __county_grid__ = ("jurisdiction", "jurisdiction_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    nets: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"))
    #: The force member (police, ranger, mediator…) behind a co-handler's account.
    force_member_id: Mapped[int | None] = mapped_column(ForeignKey("force_member.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password reset, disabling or a change of scope: sessions begun under an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    jurisdiction: Mapped[Grid] = relationship()
    worker: Mapped[GridWorker | None] = relationship()


class ApiToken(Base):
    """A per-user token for scripts and phone apps; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """One signed-in browser. Its cookie carries a random key; only the key's SHA-256 is stored.

    Signing out deletes the row, so a copied cookie stops working at once. The
    row remembers the user's session version at sign-in, so bumping that version
    ends every session of the user without touching the rows.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
