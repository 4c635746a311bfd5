"""What residents leave with us, the Open311 client keys, and which worker contacts are published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.models import Base
from geo.dispatch.models import Incident


class Open311Client(Base):
    """A client application allowed to POST requests through Open311; only its key's digest is kept."""

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PublicReport(Base):
    """One resident's report: the case it opened, or the open case it joined as a supporting report (并单).

    The tracking code is never stored, only its digest: a leaked table does not let anyone follow
    a case. The reporter's name and phone are protected data, shown only to staff of the
    jurisdiction (through the case they raised), never to another resident.
    """

    __tablename__ = "public_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    is_supporting: Mapped[bool] = mapped_column(Boolean)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Open311's token for a request posted through it (tokens/{token}).
    open311_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("open311_client.id"))
    reporter_name: Mapped[str] = mapped_column(String(50))
    reporter_phone: Mapped[str] = mapped_column(String(30))
    callback_consent: Mapped[bool] = mapped_column(Boolean)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    incident: Mapped[Incident] = relationship()


class PublicContactField(Base):
    """Whether a grid worker's field (name, post, phone) is shown on /grid and the boards; admins choose."""

    __tablename__ = "public_contact_field"

    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    published: Mapped[bool] = mapped_column(Boolean)


#: The worker fields that may be published, and whether they are by default.
CONTACT_FIELDS = {"name": True, "post": True, "phone": False}
