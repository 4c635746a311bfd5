"""A case as the public may see it: its stage, times, deadline, public notes and refusal reason.

Only what is safe for anyone holding a tracking code (or reading Open311) leaves
here: no names, phones or descriptions of reporters or workers, nothing a resident
wrote. The responsible grid is named; the person working in it is not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.core.labels import Label, label
from geo.dispatch.models import Incident, IncidentCategory, IncidentEvent
from geo.dispatch.statuses import FINISHED, Status
from geo.public.places import Place, chain_below_county, places_by_code

#: What each status means to a resident, in plain words (label msgids).
PLAIN_STATUS = {
    Status.REPORTED: label("public_status", "已收到您的反映，正在审核"),
    Status.REGISTERED: label("public_status", "已受理，正在安排网格员"),
    Status.DISPATCHED: label("public_status", "已交给网格员处理"),
    Status.IN_PROGRESS: label("public_status", "网格员正在处理"),
    Status.RESOLVED: label("public_status", "已处理，正在核查结果"),
    Status.CLOSED: label("public_status", "已办结"),
    Status.REJECTED: label("public_status", "不予受理"),
    Status.DUPLICATE: label("public_status", "与已有案件合并办理"),
}
#: The stages shown on the timeline, with the incident's time column for each.
STAGES = (
    (Status.REPORTED, "reported_at"),
    (Status.REGISTERED, "registered_at"),
    (Status.DISPATCHED, "dispatched_at"),
    (Status.IN_PROGRESS, "started_at"),
    (Status.RESOLVED, "resolved_at"),
    (Status.CLOSED, "closed_at"),
)


@dataclass(frozen=True)
class PublicNote:
    at: datetime
    action: str
    note: str


@dataclass(frozen=True)
class PublicCase:
    """The public face of one case."""

    id: int
    ticket: str
    status: Status
    is_open: bool
    category: IncidentCategory
    lon: float
    lat: float
    places: list[Place]
    reported_at: datetime
    updated_at: datetime
    due_at: datetime | None
    stages: list[tuple[Status, datetime | None]]
    notes: list[PublicNote]
    refusal: str | None
    resident_reports: int
    reopen_count: int

    @property
    def plain_status(self) -> Label:
        return PLAIN_STATUS[self.status]

    @property
    def place_name_zh(self) -> str:
        return " ".join(place.name_zh for place in self.places)

    def place_name(self, lang: str) -> str:
        return " ".join(place.name(lang) for place in self.places)


def followed(session: Session, incident: Incident) -> Incident:
    """The case a resident follows: a case merged as a duplicate is followed through the one it joined."""
    if incident.status == Status.DUPLICATE.value and incident.duplicate_of_id:
        return session.get_one(Incident, incident.duplicate_of_id)
    return incident


def public_case(session: Session, incident: Incident) -> PublicCase:
    """The public face of ``incident``."""
    return public_cases(session, [incident])[0]


def public_cases(session: Session, incidents: Sequence[Incident]) -> list[PublicCase]:
    """The public faces of ``incidents``, in their order: their notes and places read in one query each."""
    notes: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    for incident_id, at, action, note in session.execute(
        select(IncidentEvent.incident_id, IncidentEvent.at, IncidentEvent.action, IncidentEvent.note)
        .where(
            IncidentEvent.incident_id.in_([incident.id for incident in incidents]),
            IncidentEvent.is_public,
            IncidentEvent.note != "",
        )
        .order_by(IncidentEvent.id)
    ):
        notes[incident_id].append((at, action, note))
    places = places_by_code(session, {incident.group_code for incident in incidents})
    return [_public_case(incident, notes[incident.id], places) for incident in incidents]


def _public_case(incident: Incident, notes: list[tuple[datetime, str, str]], places: dict[str, Place]) -> PublicCase:
    status = Status(incident.status)
    refusal = next((note for _, action, note in reversed(notes) if action == "reject"), None)
    if status in (Status.REJECTED, Status.DUPLICATE):
        # A refused or merged case stops where it was stopped: no work stages it never went through.
        reached = [(stage, getattr(incident, column)) for stage, column in STAGES[:2] if getattr(incident, column)]
        stages = [*reached, (status, incident.closed_at)]
    else:
        stages = [(stage, getattr(incident, column)) for stage, column in STAGES]
    point = to_shape(incident.location)
    return PublicCase(
        id=incident.id,
        ticket=incident.ticket,
        status=status,
        is_open=status not in FINISHED,
        category=incident.category,
        lon=round(point.x, 6),
        lat=round(point.y, 6),
        places=[places[code] for code in chain_below_county(incident.group_code) if code in places],
        reported_at=incident.reported_at,
        updated_at=incident.updated_at,
        due_at=incident.due_at,
        stages=stages,
        notes=[PublicNote(at, action, note) for at, action, note in notes if action != "reject"],
        refusal=refusal if status is Status.REJECTED else None,
        resident_reports=incident.resident_reports,
        reopen_count=incident.reopen_count,
    )
