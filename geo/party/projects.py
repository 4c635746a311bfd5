"""书记领航 projects: a branch secretary leads a project over some grids, milestone by milestone, with linked cases.

A project belongs to its branch's group (``area_code``) for who sees it; the grids it concerns must
lie inside the jurisdiction of whoever writes it, and the cases it takes up must be cases they see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.calendar import EARLIEST_DAY, LATEST_DAY
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.dispatch.models import Incident
from geo.dispatch.scope import visible
from geo.grid.boundaries import generation_in_force, valid_in
from geo.grid.models import Grid, GridBoundary, PartyBranch
from geo.party.branches import changeable_branch, require_version
from geo.party.models import LeadProject, ProjectStatus

MAX_MILESTONES = 30
MAX_GRIDS = 50
MAX_INCIDENTS = 100


@dataclass(frozen=True)
class Milestone:
    title: str
    due: date | None = None
    done: bool = False
    done_on: date | None = None

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "due": self.due.isoformat() if self.due else None,
            "done": self.done,
            "done_on": self.done_on.isoformat() if self.done_on else None,
        }


@dataclass(frozen=True)
class ProjectInput:
    title: str
    goal: str = ""
    status: str = ProjectStatus.PLANNED.value
    progress: int = 0
    grid_codes: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = field(default_factory=tuple)
    incident_tickets: tuple[str, ...] = ()


def _check(session: Session, principal: Principal, data: ProjectInput) -> None:
    one_of(ProjectStatus, data.status, "status")
    if not data.title.strip():
        raise InvalidInput("{field} is required", field="title")
    if not 0 <= data.progress <= 100:
        raise InvalidInput("{field} must be 0 to {limit}", field="progress", limit=100)
    for name, values, limit in (
        ("grid_codes", data.grid_codes, MAX_GRIDS),
        ("milestones", data.milestones, MAX_MILESTONES),
        ("incident_tickets", data.incident_tickets, MAX_INCIDENTS),
    ):
        if len(values) > limit:
            raise InvalidInput("{field} holds at most {limit} items", field=name, limit=limit)
    for milestone in data.milestones:
        if not milestone.title.strip():
            raise InvalidInput("every milestone needs a title", field="milestones")
        for day in (milestone.due, milestone.done_on):
            if day is not None and not EARLIEST_DAY <= day < LATEST_DAY:
                raise InvalidInput("a milestone's day lies outside {earliest}–{latest}", field="milestones",
                                   earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat())  # fmt: skip
    for code in data.grid_codes:
        principal.require_change(code)
    known = set(session.scalars(select(Grid.code).where(Grid.code.in_(data.grid_codes))))
    missing = sorted(set(data.grid_codes) - known)
    if missing:
        raise InvalidInput("no grid {codes}", field="grid_codes", codes=", ".join(missing[:5]))
    seen = set(
        session.scalars(select(Incident.ticket).where(Incident.ticket.in_(data.incident_tickets), visible(principal)))
    )
    unseen = sorted(set(data.incident_tickets) - seen)
    if unseen:
        raise InvalidInput(
            "no incident {tickets} in your jurisdiction", field="incident_tickets", tickets=", ".join(unseen[:5])
        )


def project_dict(project: LeadProject, secretary: str | None = None) -> dict:
    return {
        "id": project.id,
        "branch_id": project.branch_id,
        "area_code": project.area_code,
        "secretary": secretary,
        "title": project.title,
        "goal": project.goal,
        "status": project.status,
        "progress": project.progress,
        "grid_codes": list(project.grid_codes),
        "milestones": list(project.milestones),
        "incident_tickets": list(project.incident_tickets),
        "demo": project.is_demo,
        "version": project.version,
    }


def _apply(project: LeadProject, data: ProjectInput) -> None:
    project.title, project.goal, project.status = data.title.strip(), data.goal.strip(), data.status
    project.progress = data.progress
    project.grid_codes = list(dict.fromkeys(data.grid_codes))
    project.milestones = [m.as_dict() for m in data.milestones]
    project.incident_tickets = list(dict.fromkeys(data.incident_tickets))


def get_project(session: Session, principal: Principal, project_id: int) -> LeadProject:
    principal.require(Capability.PARTY_VIEW)
    project = session.scalar(
        select(LeadProject).where(LeadProject.id == project_id, principal.scope(LeadProject.area_code))
    )
    if project is None:
        raise NotFound("no project {project} in your jurisdiction", project=project_id)
    return project


def create_project(
    session: Session,
    principal: Principal,
    branch_id: int,
    data: ProjectInput,
    now: datetime,
    *,
    address: str | None = None,
) -> LeadProject:
    """Start a 书记领航 project of a branch inside the jurisdiction, led by its secretary; audited."""
    branch, code = changeable_branch(session, principal, branch_id)
    data = data if data.grid_codes else ProjectInput(**{**data.__dict__, "grid_codes": (code,)})
    _check(session, principal, data)
    project = LeadProject(branch_id=branch.id, area_code=code, created_by=principal.username, updated_at=now)
    _apply(project, data)
    session.add(project)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.project.create",
        entity="party_project",
        entity_id=project.id,
        after=project_dict(project),
        address=address,
    )
    return project


def update_project(
    session: Session,
    principal: Principal,
    project_id: int,
    version: int,
    data: ProjectInput,
    now: datetime,
    *,
    address: str | None = None,
) -> LeadProject:
    """Replace a project's fields (progress, milestones ticked off …); 409 if changed since ``version``."""
    project = get_project(session, principal, project_id)
    changeable_branch(session, principal, project.branch_id)
    require_version("project", project.id, version, project.version)
    _check(session, principal, data)
    before = project_dict(project)
    _apply(project, data)
    project.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.project.update",
        entity="party_project",
        entity_id=project.id,
        before=before,
        after=project_dict(project),
        address=address,
    )
    return project


def remove_project(
    session: Session, principal: Principal, project_id: int, version: int, *, address: str | None = None
) -> None:
    project = get_project(session, principal, project_id)
    changeable_branch(session, principal, project.branch_id)
    require_version("project", project.id, version, project.version)
    before = project_dict(project)
    county = project.county_code  # the event's: the row is gone when it is written
    session.delete(project)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="party.project.delete",
        entity="party_project",
        entity_id=project_id,
        before=before,
        address=address,
        county_code=county,
    )


def list_projects(
    session: Session, principal: Principal, *, branch_id: int | None = None, limit: int = 500
) -> list[dict]:
    """The jurisdiction's projects (of one branch if given), with their secretary's name."""
    principal.require(Capability.PARTY_VIEW)
    query = select(LeadProject).where(principal.scope(LeadProject.area_code)).order_by(LeadProject.id).limit(limit)
    if branch_id is not None:
        query = query.where(LeadProject.branch_id == branch_id)
    projects = list(session.scalars(query))
    branches = {
        b.id: b for b in session.scalars(select(PartyBranch).where(PartyBranch.id.in_({p.branch_id for p in projects})))
    }
    return [project_dict(p, _secretary(branches.get(p.branch_id))) for p in projects]


def _secretary(branch: PartyBranch | None) -> str | None:
    return branch.secretary.name if branch is not None and branch.secretary else None


def projects_geojson(session: Session, principal: Principal) -> dict:
    """The jurisdiction's projects as points on their branch's group (the map layer ``party-projects``)."""
    principal.require(Capability.PARTY_VIEW)
    rows = session.execute(
        select(LeadProject, func.ST_AsGeoJSON(func.ST_PointOnSurface(GridBoundary.geom_display), 6))
        .join(PartyBranch, PartyBranch.id == LeadProject.branch_id)
        .join(GridBoundary, GridBoundary.grid_id == PartyBranch.grid_id)
        .where(principal.scope(LeadProject.area_code), *valid_in(GridBoundary, generation_in_force().scalar_subquery()))
        .order_by(LeadProject.id)
    ).all()
    features = [
        {
            "type": "Feature",
            "id": p.id,
            "geometry": json.loads(point),
            "properties": {
                "id": p.id,
                "title": p.title,
                "status": p.status,
                "progress": p.progress,
                "branch_id": p.branch_id,
                "demo": p.is_demo,
            },
        }
        for p, point in rows
    ]
    return {"type": "FeatureCollection", "features": features}
