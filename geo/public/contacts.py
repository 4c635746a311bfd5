"""网格公示: who answers for a villager group, as the county chooses to publish it (per field)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.models import Role
from geo.accounts.principal import EVERY_COUNTY, Principal
from geo.atlas.lookup import lookup_point
from geo.core.audit import record
from geo.core.errors import InvalidInput, NotFound
from geo.grid.boundaries import generation_in_force, valid_in
from geo.grid.counties import county_codes
from geo.grid.models import Grid, GridBoundary, GridLevel, GridWorker, Net, PartyBranch
from geo.public.models import CONTACT_FIELDS, PublicContactField
from geo.public.places import Place, chain_names

#: The nets whose people the public is told of: the religious net's stay internal.
PUBLIC_NETS = frozenset(net.value for net in Net if net is not Net.RELIGIOUS)
#: How the public looks up a point: every county, the public nets only, changing nothing.
PUBLIC_VIEW = Principal(0, "public", Role.VIEWER, EVERY_COUNTY, PUBLIC_NETS)


@dataclass(frozen=True)
class PublicPerson:
    """A worker or branch secretary as published: a field not published is None."""

    name: str | None
    post: str | None
    phone: str | None


@dataclass(frozen=True)
class GroupBoard:
    """One villager group's 网格公示牌."""

    group: Place
    places: list[Place]
    workers: list[PublicPerson]
    branch: str | None
    secretary: PublicPerson | None
    outline_svg_path: str
    outline_view_box: str


def published_fields(session: Session) -> dict[str, bool]:
    """Which worker fields are published (name and post by default, the phone not)."""
    chosen = {
        row.field: row.published
        for row in session.execute(select(PublicContactField.field, PublicContactField.published))
    }
    return {name: chosen.get(name, default) for name, default in CONTACT_FIELDS.items()}


def set_published(
    session: Session, principal: Principal, changes: dict[str, bool], *, address: str | None = None
) -> dict[str, bool]:
    """Publish or withdraw worker fields (county admins); audited."""
    principal.require_shared_change(county_codes(session))
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise InvalidInput(
            "unknown field {field}; one of {choices}", field=unknown[0], choices=", ".join(CONTACT_FIELDS)
        )
    before = published_fields(session)
    for name, published in changes.items():
        session.merge(PublicContactField(field=name, published=bool(published)))
    session.flush()
    after = published_fields(session)
    record(
        session,
        actor=principal.username,
        action="public.contact_fields",
        entity="public_contact_field",
        entity_id="county",
        before=before,
        after=after,
        address=address,
    )
    return after


def _person(worker: GridWorker, fields: dict[str, bool]) -> PublicPerson:
    return PublicPerson(
        worker.name if fields["name"] else None,
        worker.post if fields["post"] else None,
        worker.phone if fields["phone"] else None,
    )


def group_at(session: Session, lon: float, lat: float) -> str:
    """The villager group covering (lon, lat); NotFound outside the county."""
    found = lookup_point(session, lon, lat, PUBLIC_VIEW)
    if not found.inside_county or not found.chain:
        raise NotFound("no villager group of the counties served here lies here")
    return found.chain[-1].code


def group_board(session: Session, group_code: str) -> GroupBoard:
    """The board of one villager group in force: its people as published, its outline as an SVG path."""
    if not isinstance(group_code, str) or len(group_code) != GridLevel.GROUP.code_length or not group_code.isdigit():
        raise NotFound("no villager group {code}", code=str(group_code)[:15])
    in_force = valid_in(GridBoundary, generation_in_force().scalar_subquery())
    projected = func.ST_Transform(GridBoundary.geom_display, 3857)
    row = session.execute(
        select(
            Grid,
            func.ST_AsSVG(projected, 0, 0),
            func.ST_XMin(projected),
            func.ST_YMax(projected),
            func.ST_XMax(projected) - func.ST_XMin(projected),
            func.ST_YMax(projected) - func.ST_YMin(projected),
        )
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(Grid.code == group_code, *in_force)
    ).first()
    if row is None:
        raise NotFound("no villager group {code}", code=group_code)
    grid, path, xmin, ymax, width, height = row
    fields = published_fields(session)
    workers = session.scalars(select(GridWorker).where(GridWorker.grid_id == grid.id).order_by(GridWorker.code))
    branch = session.scalar(select(PartyBranch).where(PartyBranch.grid_id == grid.id))
    margin = max(width, height) * 0.05
    return GroupBoard(
        group=Place(grid.code, grid.name_zh, grid.name_en, grid.is_demo),
        places=chain_names(session, grid.code),
        workers=[_person(w, fields) for w in workers if not PUBLIC_NETS.isdisjoint(w.nets)],
        branch=branch.name if branch else None,
        secretary=_person(branch.secretary, fields) if branch and branch.secretary else None,
        outline_svg_path=path,
        outline_view_box=f"{xmin - margin:.0f} {-ymax - margin:.0f} {width + 2 * margin:.0f} {height + 2 * margin:.0f}",
    )
