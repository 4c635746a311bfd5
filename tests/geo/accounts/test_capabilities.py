import pytest

from geo.accounts.capabilities import GRANTS, Capability, roles_with
from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal

CHANGING = {
    Capability.CASE_DESK,
    Capability.CATEGORY_MANAGE,
    Capability.PLAN_EDIT,
    Capability.PLAN_REVIEW,
    Capability.ZONE_EDIT,
    Capability.TASK_ASSIGN,
    Capability.CHECK_IN,
    Capability.ACCOUNT_MANAGE,
    Capability.WORKFORCE_EDIT,
    Capability.POINTS_MANAGE,
}


def principal(role: Role) -> Principal:
    return Principal(1, "someone", role, "533422", frozenset({"social"}))


def test_every_role_has_grants_and_every_capability_a_role():
    assert set(GRANTS) == set(Role)
    assert all(roles_with(capability) for capability in Capability)


def test_a_viewer_reads_but_changes_nothing():
    assert not GRANTS[Role.VIEWER] & CHANGING
    assert principal(Role.VIEWER).can(Capability.CASE_CONSOLE)


def test_an_admin_does_everything_but_a_grid_workers_or_co_handlers_own_cases():
    assert GRANTS[Role.ADMIN] == frozenset(Capability) - {Capability.CASE_MINE, Capability.CASE_CO_HANDLE}


def test_a_co_handler_only_works_its_co_handled_cases():
    assert GRANTS[Role.CO_HANDLER] == {Capability.CASE_CO_HANDLE}


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (Role.DISPATCHER, Capability.CASE_DESK, True),
        (Role.PLANNER, Capability.CASE_DESK, False),
        (Role.PLANNER, Capability.PLAN_EDIT, True),
        (Role.PLANNER, Capability.PLAN_REVIEW, False),
        (Role.PATROL_LEADER, Capability.ZONE_EDIT, True),
        (Role.GRID_WORKER, Capability.ZONE_EDIT, False),
        (Role.GRID_WORKER, Capability.CHECK_IN, True),
    ],
)
def test_require_follows_the_grants(role, capability, allowed):
    if allowed:
        principal(role).require(capability)
    else:
        with pytest.raises(AccessDenied, match="one of the roles"):
            principal(role).require(capability)


def test_an_unknown_capability_is_an_error_not_a_refusal():
    with pytest.raises(ValueError):
        principal(Role.ADMIN).can("plan.edti")
