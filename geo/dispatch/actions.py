"""The steps of the work cycle: who may take each, from which statuses, to which, and what each needs."""

from __future__ import annotations

from dataclasses import dataclass

from geo.accounts.capabilities import Capability
from geo.dispatch.statuses import RUNNING, Status


@dataclass(frozen=True)
class Action:
    """A workflow step: from which statuses, to which (None = unchanged), stamping what, and who besides the desk."""

    sources: tuple[Status, ...]
    target: Status | None
    stamp: str | None = None
    assignee_may: bool = False  # the assigned grid worker may do it too
    needs: Capability = Capability.CASE_DESK
    #: The worker's own step (接收, 办结反馈): offered on the worker's phone page, not at the dispatcher's desk.
    workers_step: bool = False
    #: The step needs a note saying why or what was done (refusal, escalation, reassignment, resolution).
    needs_note: bool = False

    def offered_at_desk(self, status: Status) -> bool:
        return status in self.sources and not self.workers_step

    def offered_to_assignee(self, status: Status) -> bool:
        """On the assigned worker's phone page: their own steps and what else the assignment lets them do."""
        return status in self.sources and self.assignee_may


ACTIONS: dict[str, Action] = {
    "register": Action((Status.REPORTED,), Status.REGISTERED, "registered_at"),
    "dispatch": Action((Status.REGISTERED,), Status.DISPATCHED, "dispatched_at"),
    "accept": Action((Status.DISPATCHED,), Status.IN_PROGRESS, "started_at", assignee_may=True, workers_step=True),
    "resolve": Action(
        (Status.DISPATCHED, Status.IN_PROGRESS),
        Status.RESOLVED,
        "resolved_at",
        assignee_may=True,
        workers_step=True,
        needs_note=True,
    ),
    "verify": Action((Status.RESOLVED,), Status.CLOSED, "closed_at"),
    "reopen": Action((Status.RESOLVED, Status.CLOSED), Status.DISPATCHED),
    "reject": Action((Status.REPORTED, Status.REGISTERED), Status.REJECTED, "closed_at", needs_note=True),
    "duplicate": Action((Status.REPORTED, Status.REGISTERED), Status.DUPLICATE, "closed_at"),
    "reassign": Action((Status.REPORTED, Status.REGISTERED, *RUNNING), None, needs_note=True),
    "escalate": Action(RUNNING, None, needs_note=True),
    "note": Action((Status.REPORTED, Status.REGISTERED, *RUNNING, Status.RESOLVED), None, assignee_may=True),
}


def offered_actions(status: Status, *, at_desk: bool, assignee: bool) -> list[str]:
    """The steps offered now to a caller at the desk (``at_desk``) and/or assigned to the case (``assignee``)."""
    return [
        name
        for name, action in ACTIONS.items()
        if (at_desk and action.offered_at_desk(status)) or (assignee and action.offered_to_assignee(status))
    ]
