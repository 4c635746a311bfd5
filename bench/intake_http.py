"""Incident intake (routing included) and the live feed's unchanged poll, under gunicorn.

Intake: POST /api/incidents from concurrent loopback clients, each at a random
point in the county and with its own Idempotency-Key (as the dispatch console
sends), beside the /api/health baseline in the same run. Target:
>= 200 incidents/s with p99 <= 50 ms on 2 cores. Feed: one client polling with
the current cursor (nothing changed), beside the same baseline. Target: <= 5 ms.
The incidents made here are deleted afterwards. With ``BENCH_BASELINE_CODE``
(bench/http.py ``baseline_code``) an older checkout takes intake turns beside this
code in ABBA order (each meets as many of the other's open cases at the same
points' neighbourhoods, which the duplicate check reads).
"""

from __future__ import annotations

from contextlib import ExitStack

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import delete, func, select

from app import create_app
from bench.assign_points import random_points_in
from bench.http import ROOT, WORKERS, Request, Result, api_token, baseline_code, gunicorn, load, show_rates
from bench.report import header, row, verdict
from extensions import db
from geo.dispatch.models import Incident

CLIENTS = 4
INTAKES = 2000
TURNS = 8  # with an older checkout beside: 4 ABBA rounds, each code sending 1/8 of its reports per turn
POLLS = 1000
TITLE = "基准测试事件 benchmark"


def _remove_benchmark_incidents() -> tuple[int, int]:
    app = create_app()
    with app.app_context():
        # The connection's execute returns a CursorResult, which counts the rows deleted.
        removed = db.session.connection().execute(delete(Incident).where(Incident.title == TITLE)).rowcount
        db.session.commit()
        cursor = db.session.scalar(select(func.max(Incident.change_seq))) or 0
        db.engine.dispose()
    return removed, cursor


def _taking_turns(
    port: int, older_port: int, intakes: list[Request], older_intakes: list[Request], headers: dict[str, str]
) -> tuple[Result, Result]:
    """Intake of this code and the older one in ABBA turns, each over 1/TURNS of its reports; one Result each."""
    parts: dict[int, list[Result]] = {port: [], older_port: []}
    sent = {port: intakes, older_port: older_intakes}
    for turn in range(TURNS):
        first, second = (port, older_port) if turn % 4 in (0, 3) else (older_port, port)
        for at in (first, second):
            parts[at].append(load(at, sent[at][turn::TURNS], CLIENTS, headers))

    def joined(results: list[Result]) -> Result:
        elapsed = sum(len(r.latencies_ms) / r.rate for r in results)
        latencies = np.concatenate([r.latencies_ms for r in results])
        return Result(len(latencies) / elapsed, latencies)

    return joined(parts[port]), joined(parts[older_port])


def main() -> None:
    groups = gpd.read_file(ROOT / "data/boundaries/grids_group.geojson", engine="pyogrio")
    x, y = random_points_in(shapely.union_all(groups.geometry.values), INTAKES, seed=11)
    intakes = [
        Request(
            "POST",
            "/api/incidents",
            {
                "net": "social",
                "category": "dispute",
                "title": TITLE,
                "lon": float(lon),
                "lat": float(lat),
                "channel": "online",
            },
            (("Idempotency-Key", f"bench-{index}"),),
        )
        for index, (lon, lat) in enumerate(zip(x, y, strict=True))
    ]
    headers = {"Authorization": f"Bearer {api_token('dispatcher')}"}
    health = [Request("GET", "/api/health")] * INTAKES
    older = baseline_code()
    older_intake = None
    with ExitStack() as servers:
        port = servers.enter_context(gunicorn())
        load(port, [Request("GET", "/api/health")] * 200, CLIENTS, headers)  # warm up
        baseline = load(port, health, CLIENTS, headers)
        if older is None:
            intake = load(port, intakes, CLIENTS, headers)
        else:
            older_port = servers.enter_context(gunicorn(root=older))
            load(older_port, [Request("GET", "/api/health")] * 200, CLIENTS, headers)
            older_intakes = [
                Request(r.method, r.path, r.body, (("Idempotency-Key", f"bench-older-{index}"),))
                for index, r in enumerate(intakes)
            ]
            intake, older_intake = _taking_turns(port, older_port, intakes, older_intakes, headers)
        _, cursor = _remove_benchmark_incidents()
        polls = [Request("GET", f"/api/incidents/feed?since={cursor}&net=social")] * POLLS
        poll_baseline = load(port, [Request("GET", "/api/health")] * POLLS, 1, headers)
        poll = load(port, polls, 1, headers)

    header(f"incident intake under gunicorn ({WORKERS} sync workers), {CLIENTS} loopback clients")
    rates = [("baseline /api/health", baseline), ("POST /api/incidents (routed)", intake)]
    if older_intake is not None:
        rates.append((f"POST /api/incidents of {older}", older_intake))
    show_rates(rates)
    p99 = intake.percentiles()[1]
    row("intake throughput / baseline", f"{intake.rate / baseline.rate:.2f}x")
    if older_intake is not None:
        row("intake throughput / older code's", f"{intake.rate / older_intake.rate:.2f}x")
    row("intake", f"{intake.rate:.0f} incidents/s", verdict(intake.rate >= 200, ">= 200/s"))
    row("intake p99", f"{p99:.1f} ms", verdict(p99 <= 50, "<= 50 ms"))
    header("live feed, unchanged poll, one client")
    for label, result in (("baseline /api/health", poll_baseline), ("GET /api/incidents/feed (nothing new)", poll)):
        p50, p99 = result.percentiles()
        row(label, f"p50 {p50:.2f} ms", f"p99 {p99:.2f} ms")
    p50 = poll.percentiles()[0]
    row("unchanged poll p50", f"{p50:.2f} ms", verdict(p50 <= 5, "<= 5 ms"))


if __name__ == "__main__":
    main()
