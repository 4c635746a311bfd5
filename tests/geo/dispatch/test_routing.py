"""Routing through the grid: the group's worker for the net, else up the chain, past those away or without it."""

from datetime import date

from sqlalchemy import select

from geo.dispatch.routing import route_worker
from geo.grid.models import Grid, GridWorker, PartyBranch


def test_routing_falls_back_up_the_chain(session):
    # The one group without a branch has no group worker: its village worker answers.
    orphan = session.scalar(select(Grid.code).where(Grid.level == "group", Grid.id.not_in(select(PartyBranch.grid_id))))
    worker = route_worker(session, "social", orphan, date(2026, 6, 1))
    assert worker is not None and session.get_one(Grid, worker.grid_id).code == orphan[:12]
    # A worker on leave is passed over for that day only.
    group = "533422102001001"
    own = route_worker(session, "social", group, date(2026, 6, 1))
    assert own is not None
    own.unavailable_from, own.unavailable_until = date(2026, 6, 1), date(2026, 6, 10)
    session.flush()
    stand_in = route_worker(session, "social", group, date(2026, 6, 5))
    assert stand_in is not None and session.get_one(Grid, stand_in.grid_id).code == group[:12]
    back = route_worker(session, "social", group, date(2026, 6, 11))
    assert back is not None and back.id == own.id


def test_religious_net_routes_past_workers_without_it(session):
    group = session.scalar(
        select(Grid.code)
        .join(GridWorker, GridWorker.grid_id == Grid.id)
        .where(Grid.level == "group", GridWorker.nets.contains(["social"]), ~GridWorker.nets.contains(["religious"]))
        .limit(1)
    )
    worker = route_worker(session, "religious", group, date(2026, 6, 1))
    assert worker is not None
    assert "religious" in worker.nets and session.get_one(Grid, worker.grid_id).code != group
