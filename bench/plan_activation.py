"""Activating a plan that moves 10,000 open incidents to a new villager group.

A plan splits a group; 10,000 open incidents are placed in the part that
becomes the new group; the admin's approval activates it (new generation,
outlines, lookup pieces, re-routing of every incident with its history row).
The naive baseline re-routes incident by incident as a request would: point
lookup, worker routing, ORM update and history row each (timed on 1,000 and
scaled). Target: the whole activation <= 5 s. Runs in one transaction on the
local database and rolls it back: nothing is left behind.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import insert, select

from app import create_app
from bench.assign_points import random_points_in
from bench.report import header, row, verdict
from extensions import db, db_session
from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.atlas.lookup import lookup_point
from geo.dispatch.models import INCIDENT_CHANGE_SEQ, Incident, IncidentCategory, IncidentEvent
from geo.dispatch.routing import route_worker
from geo.grid.boundaries import current_generation
from geo.grid.models import Grid
from geo.planning.editing import create_plan, edit_plan
from geo.planning.plans import draft_of
from geo.planning.review import review_plan, submit_plan

INCIDENTS = 10_000
NAIVE_SAMPLE = 1_000
VILLAGE = "533422204201"
GROUP = VILLAGE + "001"
NEW_GROUP = VILLAGE + "099"
NETS = frozenset({"social", "religious", "rural"})
PLANNER = Principal(0, "bench-planner", Role.PLANNER, "533422", NETS)
ADMIN = Principal(0, "bench-admin", Role.ADMIN, "533422", NETS)


def _plan_with_split(session, now):
    plan = create_plan(session, PLANNER, VILLAGE, "基准测试：拆分 benchmark", "", now)
    grid = next(g for g in draft_of(plan) if g.code == GROUP)
    west, _, east, _ = grid.geometry.bounds
    y = grid.geometry.centroid.y
    line = {"type": "LineString", "coordinates": [[west - 0.01, y], [east + 0.01, y]]}
    edit = dict(version=plan.version, preview=False, sliver_m2=2000.0, now=now)
    edit_plan(
        session,
        PLANNER,
        plan.id,
        operation="split",
        arguments={"code": GROUP, "geometry": line, "new_code": NEW_GROUP, "name_zh": "基准新组"},
        **edit,
    )
    worker = {"name": "基准网格员", "phone": "", "nets": ["social", "rural"]}
    edit["version"] = plan.version
    edit_plan(session, PLANNER, plan.id, operation="appoint", arguments={"code": NEW_GROUP, "worker": worker}, **edit)
    return plan


def _place_incidents(session, area, now) -> list[int]:
    x, y = random_points_in(area, INCIDENTS, seed=7)
    group_id = session.scalar(select(Grid.id).where(Grid.code == GROUP))
    category = session.scalar(select(IncidentCategory.id).where(IncidentCategory.code == "dispute"))
    worker = route_worker(session, "social", GROUP, now.date())
    rows = [
        {
            "ticket": f"BENCH-{i:06d}",
            "net": "social",
            "category_id": category,
            "title": "基准测试事件 benchmark",
            "description": "",
            "location": f"SRID=4326;POINT({lon} {lat})",
            "address": "",
            "channel": "phone",
            "priority": "normal",
            "reporter_name": "",
            "reporter_phone": "",
            "status": "dispatched",
            "group_id": group_id,
            "group_code": GROUP,
            "generation": current_generation(session),
            "assignee_id": worker.id if worker else None,
            "escalation_level": 0,
            "due_at": now + timedelta(days=3),
            "reopen_count": 0,
            "created_by": "bench",
            "is_demo": True,
            "reported_at": now,
            "dispatched_at": now,
            "updated_at": now,
            "version": 1,
        }
        for i, (lon, lat) in enumerate(zip(x, y, strict=True))
    ]
    statement = insert(Incident).values(change_seq=INCIDENT_CHANGE_SEQ.next_value()).returning(Incident.id)
    return list(session.scalars(statement, rows))


def _naive_reroute(session, incident_ids, generation, now) -> None:
    """One incident at a time, the way a request handler would do it."""
    for incident_id in incident_ids:
        incident = session.get(Incident, incident_id)
        lon, lat = shapely.get_coordinates(to_shape(incident.location))[0]
        chain = lookup_point(session, float(lon), float(lat), ADMIN, generation).chain
        group = chain[-1]
        worker = route_worker(session, incident.net, group.code, now.date())
        before = incident.group_code
        incident.group_code = group.code
        incident.assignee_id = worker.id if worker else None
        incident.generation = generation
        session.add(
            IncidentEvent(
                incident_id=incident.id,
                at=now,
                actor="bench",
                action="reroute",
                from_status=incident.status,
                to_status=incident.status,
                note="naive",
                data={"from_group": before, "to_group": group.code},
            )
        )
        session.flush()


def main() -> None:
    app = create_app()
    now = datetime.now(UTC)
    with app.app_context():
        session = db_session()
        try:
            plan = _plan_with_split(session, now)
            carved = next(g for g in draft_of(plan) if g.code == NEW_GROUP).geometry
            ids = _place_incidents(session, carved, now)
            submit_plan(session, PLANNER, plan.id, version=plan.version, sliver_m2=2000.0, now=now)
            session.flush()

            start = time.perf_counter()
            activation = review_plan(
                session,
                ADMIN,
                plan.id,
                version=plan.version,
                approve=True,
                comment="bench",
                effective_from=None,
                today=now.date(),
                now=now,
            )
            session.flush()
            activation_s = time.perf_counter() - start
            assert activation is not None

            sample = list(np.random.default_rng(3).choice(ids, NAIVE_SAMPLE, replace=False))
            start = time.perf_counter()
            _naive_reroute(session, [int(i) for i in sample], activation.generation, now)
            naive_s = (time.perf_counter() - start) * INCIDENTS / NAIVE_SAMPLE
        finally:
            session.rollback()
            db.engine.dispose()

    header(f"plan activation re-routing {INCIDENTS:,} open incidents (rolled back afterwards)")
    row(
        f"baseline: one by one (x{INCIDENTS // NAIVE_SAMPLE} of {NAIVE_SAMPLE:,} timed)",
        f"{naive_s:.2f} s",
        f"{INCIDENTS / naive_s:.0f} incidents/s",
    )
    row(
        "activation (generation, outlines, re-routing)",
        f"{activation_s:.2f} s",
        f"{activation.rerouted:,} re-routed; " + verdict(activation_s <= 5, "<= 5 s"),
    )
    row("speed-up vs one by one", f"{naive_s / activation_s:.1f}x")


if __name__ == "__main__":
    main()
