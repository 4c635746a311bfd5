"""Incidents, their categories, their history and their photos."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    String,
    Text,
    false,
    literal_column,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.core.models import Base
from geo.dispatch.statuses import FINISHED, RUNNING
from geo.grid.models import ForceMember, Grid, GridWorker, county_code_from
from geo.grid.tickets import TICKET_LENGTH


class IncidentCategory(Base):
    """A kind of incident within one net, with its deadline; admins edit the catalogue."""

    __tablename__ = "incident_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    net: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    sla_hours: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Offered to residents on /report and through Open311 (religious-affairs categories are not, by default).
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Resolving a case of this category needs a photo taken while handling it (处置前后照片).
    photo_on_resolve: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CategoryDuty(Base):
    """The duty list (责任清单) of one category: the post that leads it in its net, and who supports.

    Intake routes a case to the nearest worker of the category's net holding the lead post (else as
    before, the nearest worker of the net); the supporting nets and forces are shown with the case.
    """

    __tablename__ = "category_duty"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("incident_category.id"), unique=True)
    lead_post: Mapped[str] = mapped_column(String(50), default="")
    supporting_nets: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    supporting_forces: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    category: Mapped[IncidentCategory] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it at class creation)


INCIDENT_CHANGE_SEQ = Sequence("incident_change_seq", metadata=Base.metadata)


class Incident(Base):
    """A case through the digital grid-management cycle (信息采集 → … → 核查结案).

    ``version`` guards against lost updates: a change names the version it saw
    and is refused (409) if another change came first. ``change_seq`` grows with
    every change, so the live map asks only for what changed since its last poll.
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(TICKET_LENGTH), unique=True)
    net: Mapped[str] = mapped_column(String(10), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("incident_category.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    #: The zoom-17 web-map tile holding the point, as a Morton code (``geo.publishing.tiles.TILE_KEY_ZOOM``):
    #: a lower zoom's tile is one range of keys, so its counts come from ``ix_incident_tile_key`` alone.
    tile_key: Mapped[int] = mapped_column(
        BigInteger, Computed("point_tile_key(ST_X(location), ST_Y(location))", persisted=True)
    )
    address: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    reporter_name: Mapped[str] = mapped_column(String(50), default="")
    reporter_phone: Mapped[str] = mapped_column(String(30), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    # Byte-wise ("C"), so its index serves the jurisdiction ranges of geo.grid.models.codes_under.
    group_code: Mapped[str] = mapped_column(String(15, collation="C"))
    county_code: Mapped[str] = county_code_from("group_code")
    generation: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"), index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    suspected_duplicate_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(50))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: Digest of the report that came with ``idempotency_key``: the same key with another report is refused.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Reported by a resident (/report or Open311), not by staff.
    from_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: How many residents raised the case: its own public report and those joined to it (并单).
    resident_reports: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The reporter agreed to be called back (回访) about the result.
    callback_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: When the report was made: on a phone without signal, the phone's time of making (``intake``).
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: When the report reached the server (NULL for cases reported before this was kept).
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    category: Mapped[IncidentCategory] = relationship()
    assignee: Mapped[GridWorker | None] = relationship()
    group: Mapped[Grid] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once by SQLAlchemy)  # noqa: RUF012  (SQLAlchemy reads it at class creation)
    __table_args__ = (Index("ix_incident_idempotency", "created_by", "idempotency_key", unique=True),)


#: SQL condition: the incident still needs work. The statuses are written into the statement, not
#: bound, so the planner matches the partial indexes below in every plan, prepared ones included
#: (a generic plan cannot prove ``status NOT IN ($1, $2, $3)`` implies an index's predicate).
def is_open(cases=None) -> ColumnElement[bool]:
    """SQL condition: the case (``Incident`` or an alias of it) still needs work."""
    cases = Incident if cases is None else cases
    return cases.status.not_in([literal_column(f"'{status.value}'") for status in FINISHED])


OPEN_INCIDENT = is_open(Incident)

# Measured on a million incidents (issue #13), each index names the query it serves.
# Lists and exports page newest first. Hotspots read a season's points from this index alone
# (jurisdiction, net, category and location included): 129,000 points in 0.05 s, not 0.4 s from the table.
Index(
    "ix_incident_reported_at",
    Incident.reported_at.desc(),
    Incident.id.desc(),
    postgresql_include=["group_code", "net", "category_id", "location"],
)
# Jurisdiction ranges (geo.grid.models.codes_under); with the net, a list's capped total is counted
# from this index alone.
Index("ix_incident_group_code", Incident.group_code, postgresql_include=["net"])
# Queue counts read only open cases (8 % of them at a million): from this index alone, the id included
# for the cross-net queue's pairs (``geo.dispatch.cross_net``).
Index(
    "ix_incident_open_scope",
    Incident.group_code,
    postgresql_include=[
        "id",
        "net",
        "status",
        "assignee_id",
        "due_at",
        "escalation_level",
        "suspected_duplicate_id",
    ],
    postgresql_where=OPEN_INCIDENT,
)
# The duplicate check at intake looks for open cases near the point and within 48 hours: both in
# one index (btree_gist), since at the county seat hundreds of open cases lie within the radius.
Index(
    "ix_incident_open_location",
    Incident.location,
    Incident.reported_at,
    postgresql_using="gist",
    postgresql_where=OPEN_INCIDENT,
)
# The count judged now (超期未处置) of a period reads the running cases by deadline: 64,000 of ten million.
Index(
    "ix_incident_running_due_at",
    Incident.due_at,
    postgresql_include=["group_code", "assignee_id", "created_by", "net", "category_id"],
    postgresql_where=Incident.status.in_([literal_column(f"'{status.value}'") for status in RUNNING]),
)
# Deleting or merging a case finds the cases that point at it.
Index("ix_incident_duplicate_of_id", Incident.duplicate_of_id, postgresql_where=Incident.duplicate_of_id.is_not(None))
Index(
    "ix_incident_suspected_duplicate_id",
    Incident.suspected_duplicate_id,
    postgresql_where=Incident.suspected_duplicate_id.is_not(None),
)
# A low-zoom tile's counts per cell (geo.publishing.tiles): jurisdiction, net and status in the index.
Index("ix_incident_tile_key", Incident.tile_key, postgresql_include=["group_code", "net", "status"])
# The console's recent closures.
Index("ix_incident_closed_at", Incident.closed_at)
# A period's indicators (geo.evaluation.indicators) read the cases with any stage time in it: with the
# indexes on reported_at, due_at and closed_at, these let one month of two years be read alone.
Index("ix_incident_registered_at", Incident.registered_at)
Index("ix_incident_dispatched_at", Incident.dispatched_at)
Index("ix_incident_resolved_at", Incident.resolved_at)


class IncidentCrossNetPair(Base):
    """An open case has a partner (跨网重复) in this grid and net: an open case of another net reported at the
    same place and time (``geo.dispatch.nearness``). ``partner_id`` names one of them, the witness.

    Kept by the database as cases are written (the triggers of migration ``d06e0e7b0019``): rows are written
    when a case is reported, moved or reopened, and a row whose witness closes takes another partner of that
    grid and net, or goes. One row per grid and net, not per partner: however crowded a place, a case has a
    few, and the console's queue reads them instead of asking every open case for a partner nearby (12.3 s at
    a million incidents). ``geo.dispatch.cross_net`` reads and rechecks them.
    """

    __tablename__ = "incident_cross_net"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    #: The grid and net of the partners: who may see one is read from the row alone.
    partner_group_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    partner_net: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: No foreign key: a deleted witness is replaced by the trigger, not cascaded away with its row.
    partner_id: Mapped[int | None] = mapped_column(Integer, index=True)


class IncidentEvent(Base):
    """One step in an incident's history; like the audit trail, never altered."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict | None] = mapped_column(JSONB)
    #: The note is shown to the residents following the case; notes are internal unless marked.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class IncidentAttachment(Base):
    """A photo attached to an incident (kept in the database: small, few, and backed up with the case)."""

    __tablename__ = "incident_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IncidentCoHandler(Base):
    """A force member co-handling (协办) an incident; a co-handler's account sees only these incidents."""

    __tablename__ = "incident_co_handler"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("force_member.id"), index=True)
    added_by: Mapped[str] = mapped_column(String(50))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    member: Mapped[ForceMember] = relationship()

    __table_args__ = (Index("ix_incident_co_handler_pair", "incident_id", "member_id", unique=True),)
