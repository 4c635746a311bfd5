"""Two years of synthetic incidents for the demo (fixed seed), loaded in bulk.

Patterns: most reports come from the valleys (the Lancang in the west, the
Jinsha along the east border) and around the county seat; every harvest season
(late April to early July) adds caterpillar-fungus disputes on the high ground
on the demo harvest hills by the northern and western border; old cases are mostly closed, recent ones spread
over the whole cycle, and some running ones are overdue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from geo.atlas.assign import PointAssigner
from geo.core.calendar import county_day
from geo.core.crs import from_metric, to_metric
from geo.demo.zones import hill_centres
from geo.dispatch.models import Incident, IncidentCategory, IncidentEvent
from geo.dispatch.routing import route_worker
from geo.dispatch.statuses import PRIORITY_FACTOR, Priority, Status
from geo.evaluation.record_models import EvaluationSource, IncidentEvaluation, Satisfaction
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import AdminArea, Grid, GridBoundary, GridLevel, GridWorker, county_of
from geo.grid.tickets import ticket, ticket_prefix

SEED = 20261126
COUNTY_SEAT = (98.91, 28.49)
# Rough river courses (lon, lat): where villages and so reports cluster.
LANCANG = [(98.70, 29.05), (98.75, 28.75), (98.80, 28.45), (98.86, 28.15), (98.90, 27.95)]
JINSHA = [(99.10, 29.20), (99.12, 28.90), (99.20, 28.55), (99.30, 28.25), (99.42, 27.95), (99.45, 27.65)]
CHANNELS = ["patrol", "phone", "visit", "online", "other"]
CHANNEL_SHARES = [0.5, 0.25, 0.1, 0.1, 0.05]
STAGES = ("report", "register", "dispatch", "accept", "resolve", "verify")
STAGE_STATUS = {
    "report": Status.REPORTED,
    "register": Status.REGISTERED,
    "dispatch": Status.DISPATCHED,
    "accept": Status.IN_PROGRESS,
    "resolve": Status.RESOLVED,
    "verify": Status.CLOSED,
}
STAGE_STAMP = {
    "register": "registered_at",
    "dispatch": "dispatched_at",
    "accept": "started_at",
    "resolve": "resolved_at",
    "verify": "closed_at",
}


def _near_line(rng, line, count, sigma_m):
    metric = to_metric(shapely.LineString(line))
    along = rng.uniform(0, metric.length, count)
    points = shapely.line_interpolate_point(metric, along)
    xy = shapely.get_coordinates(points) + rng.normal(0, sigma_m, (count, 2))
    return shapely.get_coordinates(from_metric(shapely.points(xy)))


def _near_point(rng, point, count, sigma_m):
    centre = shapely.get_coordinates(to_metric(shapely.Point(point)))[0]
    xy = centre + rng.normal(0, sigma_m, (count, 2))
    return shapely.get_coordinates(from_metric(shapely.points(xy)))


def _harvest_hills(rng, session, count):
    """Points on and around the demo harvest hills (the alpine meadows by the northern and western border)."""
    # The real county outline, as the demo zones use: the hills must be where the disputes are.
    outline = to_shape(session.scalar(select(AdminArea.geom).where(AdminArea.is_home_county)))
    centres = np.array([centre for centre, _ in hill_centres(to_metric(outline))])
    xy = centres[rng.integers(0, len(centres), count)] + rng.normal(0, 1800, (count, 2))
    return shapely.get_coordinates(from_metric(shapely.points(xy)))


def _call_backs(rng, rows: list[dict], events: list[dict], now: datetime) -> list[dict]:
    """回访 of closed demo cases: about 60 % called back a day or three after closing, most content.

    Without them 满意率 (satisfaction) would show "—" everywhere on the demo. Each call-back
    also goes into the case's history, as a dispatcher's would (geo/evaluation/callbacks.py).
    """
    evaluations = []
    results = [result.value for result in Satisfaction]
    for row in rows:
        if row["status"] != Status.CLOSED.value or row["closed_at"] is None or rng.random() >= 0.6:
            continue
        at = row["closed_at"] + timedelta(hours=float(rng.uniform(20, 72)))
        if at > now:
            continue
        result = str(rng.choice(results, p=[0.74, 0.19, 0.07]))
        evaluations.append(
            {
                "incident_id": row["id"],
                "result": result,
                "note": "演示回访",
                "source": EvaluationSource.CALLBACK.value,
                "actor": "demo-loader",
                "at": at,
                "reopened": False,
            }
        )
        events.append(
            {
                "incident_id": row["id"],
                "at": at,
                "actor": "demo-loader",
                "action": "evaluate",
                "from_status": Status.CLOSED.value,
                "to_status": Status.CLOSED.value,
                "note": "演示回访",
                "data": {"result": result, "source": EvaluationSource.CALLBACK.value, "replaces": None},
            }
        )
    return evaluations


def generate_incidents(session: Session, count: int = 10_000, now: datetime | None = None) -> int:
    """Insert ``count`` demo incidents over the two years before ``now``; return how many."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    rng = np.random.default_rng(SEED)
    generation = current_generation(session)
    if generation is None:
        raise ValueError("load the grid before the incidents")
    groups = session.execute(
        select(Grid.id, Grid.code, GridBoundary.geom)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(GridBoundary.level == GridLevel.GROUP.value, *valid_in(GridBoundary, generation))
        .order_by(Grid.code)
    ).all()
    polygons = [to_shape(geom) for _, _, geom in groups]
    assigner = PointAssigner(polygons)
    categories = {c.code: c for c in session.scalars(select(IncidentCategory))}
    ordinary = [c for c in categories.values() if c.code != "fungus_dispute"]
    weights = np.array([{"social": 3.0, "religious": 0.6, "rural": 1.5}[c.net] for c in ordinary])
    weights /= weights.sum()

    # Places: valleys, the seat, a scatter; and the harvest hills for the seasonal disputes.
    harvest_share = 0.08
    n_harvest = int(count * harvest_share)
    n_rest = count - n_harvest
    # Twice as many candidates as needed: those that fall outside the county are dropped.
    pools = [
        _near_point(rng, COUNTY_SEAT, 2 * n_rest, 4000),
        _near_line(rng, LANCANG, 2 * n_rest, 2500),
        _near_line(rng, JINSHA, 2 * n_rest, 3000),
    ]
    choice = rng.choice(3, size=2 * n_rest, p=[0.35, 0.35, 0.30])
    places = np.vstack([pools[c][i] for i, c in enumerate(choice)] + [_harvest_hills(rng, session, n_harvest * 3)])
    group_index = assigner.assign(places[:, 0], places[:, 1])
    inside = np.flatnonzero(group_index >= 0)
    ordinary_idx = inside[inside < 2 * n_rest][:n_rest]
    harvest_idx = inside[inside >= 2 * n_rest][:n_harvest]
    chosen = np.concatenate([ordinary_idx, harvest_idx])[:count]

    start = now - timedelta(days=730)
    seconds = rng.uniform(0, 730 * 86400, len(chosen))
    is_harvest = chosen >= 2 * n_rest
    for i in np.flatnonzero(is_harvest):
        # Late April to early July of either year.
        year = (now - timedelta(days=int(rng.integers(0, 2)) * 365)).year
        season = datetime(year, 4, 25, tzinfo=UTC) + timedelta(days=float(rng.uniform(0, 70)))
        seconds[i] = min((season - start).total_seconds(), 730 * 86400 - 3600)

    next_id = (session.scalar(select(func.coalesce(func.max(Incident.id), 0))) or 0) + 1
    next_seq = int(session.scalar(text("SELECT nextval('incident_change_seq')")) or 1)
    workers: dict[tuple[str, str], GridWorker | None] = {}
    prefixes = {county: ticket_prefix(session, county) for county in {county_of(code) for _, code, _ in groups}}
    rows: list[dict] = []
    events: list[dict] = []
    for n, (place, offset, harvest) in enumerate(zip(chosen, seconds, is_harvest, strict=True)):
        category = categories["fungus_dispute"] if harvest else ordinary[rng.choice(len(ordinary), p=weights)]
        group_id, group_code, _ = groups[group_index[place]]
        key = (category.net, group_code)
        if key not in workers:
            workers[key] = route_worker(session, category.net, group_code, county_day(now))
        worker = workers[key]
        reported = start + timedelta(seconds=float(offset))
        priority = Priority(rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]))
        age_days = (now - reported).days
        # Old cases have run their course; recent ones stop anywhere in the cycle.
        if age_days > 30:
            last = rng.choice(len(STAGES), p=[0.004, 0.004, 0.006, 0.006, 0.03, 0.95])
        else:
            last = rng.choice(len(STAGES), p=[0.15, 0.12, 0.2, 0.2, 0.13, 0.2])
        if last in (2, 3) and age_days > 3 and rng.random() < 0.85:
            last = 4  # most cases still running after a few days would be past their deadline: resolve them
        ending = rng.random()
        status = STAGE_STATUS[STAGES[last]]
        if last <= 1 and ending < 0.2:
            status = Status.REJECTED if ending < 0.12 else Status.DUPLICATE
        stamps: dict[str, datetime] = {}
        moment = reported
        history: list[tuple[str, Status | None, Status, datetime]] = [("report", None, Status.REPORTED, reported)]
        for stage in STAGES[1 : last + 1]:
            moment = moment + timedelta(hours=float(rng.gamma(2.0, 6.0)))
            moment = min(moment, now)
            stamps[STAGE_STAMP[stage]] = moment
            history.append((stage, history[-1][2], STAGE_STATUS[stage], moment))
        if status in (Status.REJECTED, Status.DUPLICATE):
            moment = min(moment + timedelta(hours=2), now)
            stamps["closed_at"] = moment
            history.append(("reject" if status is Status.REJECTED else "duplicate", history[-1][2], status, moment))
        due = None
        if "dispatched_at" in stamps:
            hours = category.sla_hours * PRIORITY_FACTOR[priority]
            due = stamps["dispatched_at"] + timedelta(hours=hours)
        incident_id = next_id + n
        rows.append(
            {
                "id": incident_id,
                "ticket": ticket(prefixes[county_of(group_code)], county_day(reported).year, incident_id),
                "net": category.net,
                "category_id": category.id,
                "title": f"{category.name_zh}（演示）",
                "description": "演示数据：程序生成的事件 / demo: generated incident",
                "location": f"SRID=4326;POINT({places[place][0]:.6f} {places[place][1]:.6f})",
                "address": "",
                "channel": str(
                    rng.choice(["patrol", "phone", "visit", "online", "other"], p=[0.5, 0.25, 0.1, 0.1, 0.05])
                ),
                "priority": priority.value,
                "reporter_name": "",
                "reporter_phone": "",
                "status": status.value,
                "group_id": group_id,
                "group_code": group_code,
                "generation": generation,
                "assignee_id": worker.id if worker is not None else None,
                "escalation_level": 0,
                "due_at": due,
                "reopen_count": 0,
                "created_by": "demo-loader",
                "is_demo": True,
                "reported_at": reported,
                "registered_at": stamps.get("registered_at"),
                "dispatched_at": stamps.get("dispatched_at"),
                "started_at": stamps.get("started_at"),
                "resolved_at": stamps.get("resolved_at"),
                "closed_at": stamps.get("closed_at"),
                "updated_at": moment,
                "change_seq": next_seq + n,
                "version": 1,
            }
        )
        events.extend(
            {
                "incident_id": incident_id,
                "at": at,
                "actor": "demo-loader",
                "action": action,
                "from_status": before.value if before else None,
                "to_status": after.value,
                "note": "",
                "data": None,
            }
            for action, before, after, at in history
        )
    evaluations = _call_backs(rng, rows, events, now)
    session.execute(insert(Incident), rows)
    session.execute(insert(IncidentEvent), events)
    session.execute(insert(IncidentEvaluation), evaluations)
    # Identities were set here in bulk: move the sequences past them.
    session.execute(text("SELECT setval(pg_get_serial_sequence('incident', 'id'), :v)"), {"v": next_id + len(rows)})
    session.execute(text("SELECT setval('incident_change_seq', :v)"), {"v": next_seq + len(rows)})
    return len(rows)
