"""Principals and hand-made forces shared by the workforce tests."""

from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.grid.models import ForceMember, Grid
from geo.workforce.forces import ForceInput, add_force
from tests.geo.dispatch.cases import ALL

ADMIN = Principal(0, "county-admin", Role.ADMIN, "533422", ALL)


def village_of(group_code: str) -> str:
    return group_code[:12]


def ranger_in(session, grid_code: str, name: str = "测试护林员") -> ForceMember:
    """A forest ranger registered for ``grid_code`` (rolled back with the test)."""
    return add_force(session, ADMIN, ForceInput(kind="forest_ranger", name=name, grid=grid_code, phone="13900000000"))


def co_handler_of(member: ForceMember, nets=frozenset({"social", "rural"})) -> Principal:
    """The principal of a co-handler account linked to ``member``, its jurisdiction the member's grid."""
    grid_code = member.grid.code
    return Principal(0, f"co-{member.code}", Role.CO_HANDLER, grid_code, frozenset(nets), None, member.id)


def group_codes(session, prefix: str, count: int) -> list[str]:
    return list(
        session.scalars(
            select(Grid.code)
            .where(Grid.level == "group", Grid.code.startswith(prefix))
            .order_by(Grid.code)
            .limit(count)
        )
    )
