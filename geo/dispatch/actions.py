"""The steps of the work cycle: who may take each, from which statuses, to which."""

from __future__ import annotations

from dataclasses import dataclass

from geo.accounts.models import Role
from geo.dispatch.statuses import RUNNING, Status


@dataclass(frozen=True)
class Action:
    """A workflow step: from which statuses, to which (None = unchanged), by whom, stamping what."""

    sources: tuple[Status, ...]
    target: Status | None
    roles: tuple[Role, ...]
    stamp: str | None = None
    assignee_may: bool = False  # the assigned grid worker may do it too


_DESK = (Role.DISPATCHER, Role.ADMIN)
ACTIONS: dict[str, Action] = {
    "register": Action((Status.REPORTED,), Status.REGISTERED, _DESK, "registered_at"),
    "dispatch": Action((Status.REGISTERED,), Status.DISPATCHED, _DESK, "dispatched_at"),
    "accept": Action((Status.DISPATCHED,), Status.IN_PROGRESS, _DESK, "started_at", assignee_may=True),
    "resolve": Action((Status.DISPATCHED, Status.IN_PROGRESS), Status.RESOLVED, _DESK, "resolved_at", True),
    "verify": Action((Status.RESOLVED,), Status.CLOSED, _DESK, "closed_at"),
    "reopen": Action((Status.RESOLVED, Status.CLOSED), Status.DISPATCHED, _DESK),
    "reject": Action((Status.REPORTED, Status.REGISTERED), Status.REJECTED, _DESK, "closed_at"),
    "duplicate": Action((Status.REPORTED, Status.REGISTERED), Status.DUPLICATE, _DESK, "closed_at"),
    "reassign": Action((Status.REPORTED, Status.REGISTERED, *RUNNING), None, _DESK),
    "escalate": Action(RUNNING, None, _DESK),
    "note": Action((Status.REPORTED, Status.REGISTERED, *RUNNING, Status.RESOLVED), None, _DESK, assignee_may=True),
}
