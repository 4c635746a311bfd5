"""Accounts: who a user is, where they may look (jurisdiction) and which nets they hold.

Jurisdiction is one grid; grid codes nest (county 6 digits, township 9, village
12, group 15), so "this grid and everything below it" is simply "codes that
start with this code" (``codes_under``, one indexed range). A prefecture (533400)
holds the counties that share its first four digits (``code_prefix``); there is no
other way across counties. Every query that returns grid-bound data filters with
``Principal.scope``; routes never decide visibility themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from geo.accounts.capabilities import GRANTS, Capability, roles_with
from geo.accounts.models import Role
from geo.core.errors import GridError
from geo.grid.models import GridLevel, Net, codes_under, is_under

#: The jurisdiction of internal jobs: every county in the data (every code starts with the empty string).
EVERY_COUNTY = ""


class AccessDenied(GridError):
    """The user is known but their role or nets do not allow this."""

    status = 403


@dataclass(frozen=True)
class Principal:
    """The caller as the access rules see them."""

    user_id: int
    username: str
    role: Role
    jurisdiction_code: str
    nets: frozenset[str]
    worker_code: str | None = None  # the grid-worker record of a grid worker's account
    force_member_id: int | None = None  # the force member behind a co-handler's account

    @classmethod
    def everything(cls, username: str = "system") -> Principal:
        """Every county, every net: for the command line and internal jobs, never for a request."""
        return cls(0, username, Role.ADMIN, EVERY_COUNTY, frozenset(net.value for net in Net))

    def covers(self, grid_code: str) -> bool:
        """True when ``grid_code`` is the jurisdiction or lies below it."""
        return is_under(grid_code, self.jurisdiction_code)

    def may_change(self, grid_code: str) -> bool:
        """True when the caller may change what belongs to ``grid_code``.

        Seeing reaches up (a county-wide zone shows in every township it covers);
        changing does not: only inside the jurisdiction, and never for viewers.
        """
        return self.role is not Role.VIEWER and self.covers(grid_code)

    def require_writer(self) -> None:
        """Refuse (403) any change by a viewer, before anything else is looked at."""
        if self.role is Role.VIEWER:
            raise AccessDenied("viewers may look but not change anything")

    def require_county_wide(self) -> None:
        """Refuse (403) what has no grid to scope it by (the audit trail) to anyone below the county."""
        if self.jurisdiction_code != EVERY_COUNTY and GridLevel.of_code(self.jurisdiction_code) is not GridLevel.COUNTY:
            raise AccessDenied("this is kept for the whole county; only the county's staff may read it")

    def require_change(self, grid_code: str) -> None:
        """Refuse (403) a change to what belongs to ``grid_code`` unless ``may_change`` allows it."""
        self.require_writer()
        if not self.covers(grid_code):
            raise AccessDenied(
                "grid {code} is outside your jurisdiction {jurisdiction}: you may see it but not change it",
                code=grid_code,
                jurisdiction=self.jurisdiction_code,
            )

    def require_shared_change(self, county_codes: list[str]) -> None:
        """Refuse (403) a change to what every county shares (the category catalogue, the duty list, points
        rules, published contact fields) unless the jurisdiction covers each of ``county_codes``."""
        for county in county_codes:
            self.require_change(county)

    def sees_phones(self, grid_code: str) -> bool:
        """Phone numbers of people answering for ``grid_code`` are shown only inside the jurisdiction, and
        never to a co-handler (协办): an outside force working a few cases is not the grid's staff."""
        return self.role is not Role.CO_HANDLER and self.covers(grid_code)

    def scope(self, code_column):
        """SQL condition: ``code_column`` lies in this principal's jurisdiction."""
        return codes_under(code_column, self.jurisdiction_code)

    def above(self, code_column):
        """SQL condition: ``code_column`` is a grid holding the jurisdiction (its code is a prefix of it)."""
        return func.strpos(self.jurisdiction_code, code_column) == 1

    def has_net(self, net: Net | str) -> bool:
        return str(net) in self.nets

    def sees_worker(self, worker_nets: list[str]) -> bool:
        """A worker is visible when they serve at least one of the caller's nets."""
        return not self.nets.isdisjoint(worker_nets)

    def shown_nets(self, worker_nets: list[str]) -> list[str]:
        """The nets of a worker the caller may be told of: those the caller holds (religious only with it)."""
        return [net for net in worker_nets if net in self.nets]

    def can(self, capability: Capability | str) -> bool:
        """Whether the caller's role is granted ``capability`` (an unknown name is an error, not a no)."""
        return Capability(capability) in GRANTS[self.role]

    def require(self, capability: Capability) -> None:
        """Refuse (403) unless the caller's role is granted ``capability``."""
        if not self.can(capability):
            raise AccessDenied(
                "this needs one of the roles {roles}; you are {role}", roles=roles_with(capability), role=self.role
            )

    def require_net(self, net: Net | str) -> None:
        if not self.has_net(net):
            raise AccessDenied("this needs the {net} net", net=str(net))
