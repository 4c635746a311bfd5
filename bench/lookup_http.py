"""/api/lookup under gunicorn with a concurrent loopback client.

Baselines in the same run: /api/health (one statement: the jobs' latest runs) on the same server and
client, i.e. the cost of Flask + gunicorn + a database round trip with no
geometry; and a minimal WSGI app running the lookup's own query
(bench/minimal_lookup.py) under the same gunicorn, i.e. the query with nothing
around it. Lookups are authenticated with an API token (its user is remembered
between requests, geo/accounts/callers.py); the health check is public. Targets:
>= 500 requests/s and p99 <= 20 ms on 2 cores (MapIt's published point lookup:
27.9 ms), and >= 0.6x the minimal app's throughput (issue #13). With
``BENCH_BASELINE_CODE`` (bench/http.py ``baseline_code``) the lookup of an older
checkout is served beside them and takes its turns too.
"""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial

import geopandas as gpd
import shapely

from bench.assign_points import random_points_in
from bench.http import (
    ROOT,
    WORKERS,
    Request,
    api_token,
    baseline_code,
    gunicorn,
    interleaved,
    load,
    show_rates,
)
from bench.report import header, row, verdict

CLIENT_COUNTS = (4, 16)  # about as many clients as workers, then many more (queueing)
REQUESTS = 6000
ROUNDS = 6  # the three loads take turns in slices of 1,000 requests (bench.http.interleaved)


def main() -> None:
    groups = gpd.read_file(ROOT / "data/boundaries/grids_group.geojson", engine="pyogrio")
    x, y = random_points_in(shapely.union_all(groups.geometry.values), REQUESTS, seed=7)
    lookups = [Request("GET", f"/api/lookup?lon={lon:.6f}&lat={lat:.6f}") for lon, lat in zip(x, y, strict=True)]
    health = [Request("GET", "/api/health")] * REQUESTS
    headers = {"Authorization": f"Bearer {api_token('viewer')}"}
    older = baseline_code()
    requests = {"health": health, "minimal": lookups, "lookup": lookups}
    if older is not None:
        requests["older"] = lookups
    results = []
    with ExitStack() as servers:
        minimal_port = servers.enter_context(gunicorn("bench.minimal_lookup:app", ready_path=lookups[0].path))
        port = servers.enter_context(gunicorn())
        older_port = servers.enter_context(gunicorn(root=older)) if older is not None else None
        load(minimal_port, lookups[:500], CLIENT_COUNTS[0], {})  # warm up every worker's connection
        load(port, lookups[:500], CLIENT_COUNTS[0], headers)
        if older_port is not None:
            load(older_port, lookups[:500], CLIENT_COUNTS[0], headers)
        for clients in CLIENT_COUNTS:
            runs = {
                "health": partial(load, port, clients=clients, headers=headers),
                "minimal": partial(load, minimal_port, clients=clients, headers={}),
                "lookup": partial(load, port, clients=clients, headers=headers),
            }
            if older_port is not None:
                runs["older"] = partial(load, older_port, clients=clients, headers=headers)
            results.append((clients, interleaved(runs, requests, ROUNDS)))

    header(f"/api/lookup under gunicorn ({WORKERS} sync workers), loopback clients, {REQUESTS} requests each")
    for clients, measured in results:
        baseline, minimal, lookup = measured["health"], measured["minimal"], measured["lookup"]
        print(f"  -- {clients} concurrent clients")
        rates = [
            ("baseline /api/health (one statement)", baseline),
            ("baseline: minimal WSGI app, same query", minimal),
            ("/api/lookup", lookup),
        ]
        if "older" in measured:
            rates.append((f"/api/lookup of {older}", measured["older"]))
        show_rates(rates)
        p99 = lookup.percentiles()[1]
        row("lookup throughput / health", f"{lookup.rate / baseline.rate:.2f}x")
        ratio = lookup.rate / minimal.rate
        row("lookup throughput / minimal app", f"{ratio:.2f}x", verdict(ratio >= 0.6, ">= 0.6x"))
        if "older" in measured:
            row("older code's lookup / minimal app", f"{measured['older'].rate / minimal.rate:.2f}x")
            row("lookup throughput / older code's", f"{lookup.rate / measured['older'].rate:.2f}x")
        row("lookup", f"{lookup.rate:.0f} req/s", verdict(lookup.rate >= 500, ">= 500 req/s"))
        row("lookup p99", f"{p99:.1f} ms", verdict(p99 <= 20, "<= 20 ms") + " (MapIt: 27.9 ms)")


if __name__ == "__main__":
    main()
