"""What each role may do: the one table that the domain's checks, the routes' guards and the navigation read.

A rule such as "planners and admins edit plans" is written here once, as a
capability granted to roles; code asks ``principal.can(Capability.PLAN_EDIT)``
(or ``require``) and never compares roles itself. Jurisdiction and nets are
separate questions, answered by the principal's ``covers``/``scope`` and
``has_net``.
"""

from __future__ import annotations

from enum import StrEnum

from geo.accounts.models import Role


class Capability(StrEnum):
    CASE_CONSOLE = "case.console"  # the dispatch console: the jurisdiction's cases on the map and in lists
    CASE_DESK = "case.desk"  # the dispatcher's steps: register, dispatch, verify, reject, escalate…
    CASE_CALLBACK = "case.callback"  # recording a closed case's call-back (回访) and sending it back (返工)
    CASE_MINE = "case.mine"  # a grid worker's own cases (我的事件)
    CATEGORY_MANAGE = "category.manage"
    PLAN_EDIT = "plan.edit"  # drafts, their exports and the history of generations
    PLAN_REVIEW = "plan.review"  # approving or rejecting someone else's plan, activation
    PATROL_VIEW = "patrol.view"  # the patrol map: zones, hotspots, briefings
    ZONE_EDIT = "zone.edit"
    TASK_ASSIGN = "task.assign"
    TASK_LIST = "task.list"
    CHECK_IN = "check_in"
    ACCOUNT_MANAGE = "account.manage"
    AUDIT_READ = "audit.read"
    PUBLIC_CONTACTS = "public.contacts"  # which grid workers' fields /grid and the boards publish
    DASHBOARD = "dashboard"  # the leaders' dashboard: indicators, scores, issued assessments of the jurisdiction
    ASSESSMENT_ISSUE = "assessment.issue"  # issuing (freezing) a period's assessment
    SCHEME_MANAGE = "scheme.manage"  # new weights and grade thresholds for the scores
    PARTY_VIEW = "party.view"  # branches, their members (phones inside the jurisdiction), activities, projects
    PARTY_EDIT = "party.edit"  # recording members, activities and 书记领航 projects of the jurisdiction's branches
    CASE_CO_HANDLE = "case.co_handle"  # a co-handler's (协办) cases: only those it was added to
    WORKFORCE_VIEW = "workforce.view"  # grid workers' profiles, training, points; the forces registry; duty list
    WORKFORCE_EDIT = "workforce.edit"  # training records and their import, commendations, profiles, forces
    POINTS_MANAGE = "points.manage"  # new points rules (积分) and duty list (责任清单) entries


GRANTS: dict[Role, frozenset[Capability]] = {
    # An admin may do everything but work cases as a grid worker, which needs a worker behind the account.
    # Co-handling needs a force member behind the account.
    Role.ADMIN: frozenset(Capability) - {Capability.CASE_MINE, Capability.CASE_CO_HANDLE},
    Role.DISPATCHER: frozenset(
        {
            Capability.CASE_CONSOLE,
            Capability.CASE_DESK,
            Capability.CASE_CALLBACK,
            Capability.PATROL_VIEW,
            Capability.TASK_LIST,
            Capability.DASHBOARD,
            Capability.PARTY_VIEW,
            Capability.WORKFORCE_VIEW,
        }
    ),
    Role.VIEWER: frozenset(
        {
            Capability.CASE_CONSOLE,
            Capability.PATROL_VIEW,
            Capability.TASK_LIST,
            Capability.DASHBOARD,
            Capability.PARTY_VIEW,
            Capability.WORKFORCE_VIEW,
        }
    ),
    Role.PLANNER: frozenset({Capability.PLAN_EDIT, Capability.PATROL_VIEW, Capability.ZONE_EDIT, Capability.TASK_LIST}),
    Role.PATROL_LEADER: frozenset(
        {
            Capability.PATROL_VIEW,
            Capability.ZONE_EDIT,
            Capability.TASK_ASSIGN,
            Capability.TASK_LIST,
            Capability.CHECK_IN,
        }
    ),
    Role.GRID_WORKER: frozenset({Capability.CASE_MINE, Capability.TASK_LIST, Capability.CHECK_IN}),
    Role.CO_HANDLER: frozenset({Capability.CASE_CO_HANDLE}),
}


def roles_with(capability: Capability) -> list[Role]:
    """The roles granted ``capability``, in the order of ``Role`` (for messages and documentation)."""
    return [role for role in Role if capability in GRANTS[role]]
