"""Plan approvals at the same moment, on their own connections, still make one consistent chain of generations."""

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extensions import db
from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.grid.boundaries import valid_in
from geo.grid.models import Generation, Grid, GridBoundary, GridLevel, GridLookupPart
from geo.planning.editing import create_plan, edit_plan
from geo.planning.models import Plan
from geo.planning.review import review_plan, submit_plan

ALL = frozenset({"social", "religious", "rural"})
PLANNER = Principal(0, "race-planner", Role.PLANNER, "533422", frozenset({"social", "rural"}))
ADMIN = Principal(0, "race-admin", Role.ADMIN, "533422", ALL)
#: One village in each of four townships, every group of them staffed (so a rename can be submitted).
VILLAGES = ("533422101202", "533422201201", "533422203202", "533422205203")
APPROVALS = len(VILLAGES)


def groups_in_force(session, generation: int) -> tuple[int, int]:
    """(group outlines, distinct groups that points are looked up in) valid in ``generation``."""
    outlines = session.scalar(
        select(func.count(func.distinct(GridBoundary.grid_id))).where(
            GridBoundary.level == GridLevel.GROUP.value, *valid_in(GridBoundary, generation)
        )
    )
    looked_up = session.scalar(
        select(func.count(func.distinct(GridLookupPart.grid_id))).where(*valid_in(GridLookupPart, generation))
    )
    return outlines, looked_up


def submitted_renames(session, now) -> list[int]:
    """One submitted plan per village, each renaming a group."""
    ids = []
    for village in VILLAGES:
        plan = create_plan(session, PLANNER, village, f"并发改名 {village}", "", now)
        code = plan.grids[0].code
        edit_plan(
            session,
            PLANNER,
            plan.id,
            version=plan.version,
            operation="rename",
            arguments={"code": code, "name_zh": f"并发测试组 {code}"},
            preview=False,
            sliver_m2=2000.0,
            now=now,
        )
        submit_plan(session, PLANNER, plan.id, version=plan.version, sliver_m2=2000.0, now=now)
        ids.append(plan.id)
    session.commit()
    return ids


def test_concurrent_approvals_leave_every_generation_with_every_group(app, atlas_restored_afterwards):
    now = datetime.now(UTC)
    with app.app_context():
        with Session(db.engine) as session:
            before = session.scalars(select(func.max(Generation.id))).one()
            expected = groups_in_force(session, before)
            plan_ids = submitted_renames(session, now)
            versions = dict(session.execute(select(Plan.id, Plan.version).where(Plan.id.in_(plan_ids))).all())
        start = threading.Barrier(APPROVALS)
        failures: list[BaseException] = []

        def approve(plan_id: int) -> None:
            with app.app_context(), Session(db.engine) as own:
                try:
                    start.wait(timeout=30)
                    review_plan(
                        own,
                        ADMIN,
                        plan_id,
                        version=versions[plan_id],
                        approve=True,
                        comment="同意",
                        effective_from=None,
                        today=county_day(now),
                        now=now,
                    )
                    own.commit()
                except BaseException as error:  # handed to the test's own thread below
                    failures.append(error)

        threads = [threading.Thread(target=approve, args=(plan_id,)) for plan_id in plan_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        with Session(db.engine) as session:
            generations = session.scalars(select(Generation.id).where(Generation.id > before)).all()
            assert len(generations) == APPROVALS
            assert {g: groups_in_force(session, g) for g in generations} == {g: expected for g in generations}
            # The last generation holds every rename; each earlier one those approved before it.
            renamed = session.scalars(select(Grid.code).where(Grid.name_zh.startswith("并发测试组"))).all()
            assert len(renamed) == APPROVALS
            latest = max(generations)
            in_force = session.scalar(
                select(func.count())
                .select_from(GridBoundary)
                .join(Grid, Grid.id == GridBoundary.grid_id)
                .where(Grid.code.in_(renamed), GridBoundary.generation_low > before, *valid_in(GridBoundary, latest))
            )
            assert in_force == APPROVALS
