"""The loaded demo atlas matches the county's published figures and tiles exactly."""

from collections import Counter

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from geo.demo.generate import TOWNSHIPS
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import AdminArea, Grid, GridBoundary, GridLevel, GridWorker, PartyBranch
from geo.grid.tiling import validate_tiling


def outlines(session, level):
    generation = current_generation(session)
    assert generation is not None
    rows = session.execute(
        select(Grid.code, Grid.parent_id, GridBoundary.geom)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(GridBoundary.level == level.value, *valid_in(GridBoundary, generation))
    )
    return [(code, to_shape(geom)) for code, _, geom in rows]


def test_grid_counts_per_level(session):
    counts = dict(session.execute(select(Grid.level, func.count()).group_by(Grid.level)).all())
    assert counts == {"county": 1, "township": 8, "village": 49, "group": 480}


def test_real_township_and_village_names_and_codes(session):
    townships = dict(session.execute(select(Grid.code, Grid.name_zh).where(Grid.level == "township")).all())
    assert townships == {f"533422{t.code}": t.name for t in TOWNSHIPS}
    villages = session.execute(select(Grid.code, Grid.name_zh).where(Grid.level == "village")).all()
    expected = {name for t in TOWNSHIPS for name in t.villages}
    assert {name for _, name in villages} == expected
    for code, name in villages:
        village_number = int(code[9:])
        # National statistical convention: communities 001-199, village committees 200+.
        assert (village_number < 200) == name.endswith("社区"), (code, name)


def test_group_codes_have_fifteen_digits_under_their_village(session):
    parent = aliased(Grid)
    rows = session.execute(
        select(Grid.code, parent.code).join(parent, parent.id == Grid.parent_id).where(Grid.level == "group")
    ).all()
    assert len(rows) == 480
    for code, parent_code in rows:
        assert len(code) == 15 and code.isdigit() and code.startswith(parent_code)


def test_workers_match_published_figures(session):
    levels = dict(
        session.execute(
            select(Grid.level, func.count(GridWorker.id)).join(Grid, Grid.id == GridWorker.grid_id).group_by(Grid.level)
        ).all()
    )
    assert levels == {"county": 4, "township": 13, "village": 49, "group": 479}
    assert sum(levels.values()) == 545
    per_group = Counter(
        session.scalars(
            select(GridWorker.grid_id).join(Grid, Grid.id == GridWorker.grid_id).where(Grid.level == "group")
        )
    )
    assert max(per_group.values()) == 1


def test_every_worker_serves_at_least_one_known_net(session):
    for nets in session.scalars(select(GridWorker.nets)):
        assert nets and set(nets) <= {"social", "religious", "rural"}
    county_nets = set()
    for nets in session.scalars(select(GridWorker.nets).join(Grid).where(Grid.level == "county")):
        county_nets.update(nets)
    assert county_nets == {"social", "religious", "rural"}


def test_479_of_480_groups_have_a_branch_led_by_the_group_leader(session):
    branches = session.scalars(select(PartyBranch)).all()
    assert len(branches) == 479
    assert len({b.grid_id for b in branches}) == 479
    for branch in branches:
        # 一肩挑: the branch secretary is the group's own grid worker (the group leader).
        assert branch.secretary is not None and branch.secretary.grid_id == branch.grid_id


@pytest.mark.parametrize("level", [GridLevel.TOWNSHIP, GridLevel.VILLAGE, GridLevel.GROUP])
def test_every_level_tiles_its_parent_exactly(session, level):
    parents = dict(outlines(session, level.parent))
    children = outlines(session, level)
    by_parent: dict[str, list] = {}
    for code, geometry in children:
        by_parent.setdefault(code[: level.parent.code_length], []).append((code, geometry))
    assert set(by_parent) == set(parents)
    for parent_code, members in by_parent.items():
        problems = validate_tiling([g for _, g in members], [c for c, _ in members], parents[parent_code], parent_code)
        assert problems == []
    assert shapely.coverage_is_valid([g for _, g in children])


def test_county_grid_is_the_real_outline(session):
    county = dict(outlines(session, GridLevel.COUNTY))["533422"]
    real = to_shape(session.scalar(select(AdminArea.geom).where(AdminArea.is_home_county)))
    assert shapely.symmetric_difference(county, real).area < 1e-6 * real.area


def test_township_areas_are_within_a_quarter_of_the_known_ones(session):
    known = {"升平镇": 765, "燕门乡": 581, "云岭乡": 908, "佛山乡": 914, "奔子栏镇": 1164, "羊拉乡": 1145}
    rows = session.execute(
        select(Grid.name_zh, GridBoundary.area_km2)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(Grid.level == "township")
    ).all()
    for name, area in rows:
        if name in known:
            assert abs(area - known[name]) <= 0.25 * known[name], (name, area)


def test_eight_real_neighbours_all_touch_the_county(session):
    home = to_shape(session.scalar(select(AdminArea.geom).where(AdminArea.is_home_county)))
    neighbours = session.execute(select(AdminArea.name_zh, AdminArea.geom).where(AdminArea.is_home_county.is_(False)))
    names = []
    for name, geom in neighbours:
        names.append(name)
        assert shapely.distance(home, to_shape(geom)) < 0.001, name
    assert len(names) == 8
