"""The endpoints that must hold at a million incidents (issue #13), under gunicorn, beside /api/health.

List first page (with its total) and queue counts, county-wide and for one township; intake at
the county seat, where open cases crowd the duplicate check; hotspots for a harvest season,
cold and then cached; the seat township's yearly CSV, in rows per second; the console's first
feed (open cases and recent closures); deleting one incident. Run it on the demo
(10,000 incidents) or on ``--incidents N`` (bench/synthetic.py). Targets at a million: first
page and queue counts <= 50 ms, intake >= 300/s with p99 <= 30 ms, hotspots <= 1.5 s cold and
<= 0.2 s cached, CSV >= 50,000 rows/s. The incidents made here are deleted afterwards.
"""

from __future__ import annotations

import gzip
import http.client
import time

import numpy as np
from sqlalchemy import delete, func, select

from app import create_app
from bench.http import WORKERS, Request, api_token, gunicorn, load, show_rates
from bench.report import header, row, verdict
from extensions import db
from geo.dispatch.models import Incident

CLIENTS = 4
SEAT = (98.9146, 28.4840)  # 升平镇, the county seat
TOWNSHIP = "533422101"
INTAKES = 1000
READS = 200
TITLE = "基准测试事件 seat benchmark"
HOTSPOTS = "/api/patrol/hotspots?since=2026-04-25&until=2026-07-05"  # every category: 129,000 points at 1M
WARM_UP = "/api/patrol/hotspots?since=2026-01-01&until=2026-01-10"
CSV = f"/api/incidents?format=csv&grid={TOWNSHIP}&since=2026-01-01&until=2026-12-31"
#: Past 2,000,000 incidents a township's year passes the export's 200,000 rows (refused with 413, by design): a month.
CSV_MONTH = f"/api/incidents?format=csv&grid={TOWNSHIP}&since=2026-03-01&until=2026-03-31"


def _incident_count() -> int:
    app = create_app()
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Incident)) or 0
        db.engine.dispose()
    return count


def _delete_one_seconds() -> float:
    """Time deleting the newest incident (its history cascades; the cases pointing at it are looked up), undone."""
    app = create_app()
    with app.app_context():
        newest = db.session.scalar(select(func.max(Incident.id)))
        start = time.perf_counter()
        db.session.execute(delete(Incident).where(Incident.id == newest))
        db.session.flush()
        elapsed = time.perf_counter() - start
        db.session.rollback()
        db.engine.dispose()
    return elapsed


#: Beyond this a township's year passes the export's row limit (200,000 rows, answered 413): a month is exported.
YEAR_CSV_UP_TO = 2_000_000


def _remove_benchmark_incidents() -> None:
    app = create_app()
    with app.app_context():
        db.session.execute(delete(Incident).where(Incident.title == TITLE))
        db.session.commit()
        db.engine.dispose()


def _seat_reports() -> list[Request]:
    """Reports within about 300 m of the county seat, each with its own Idempotency-Key."""
    rng = np.random.default_rng(13)
    offsets = rng.uniform(-0.003, 0.003, (INTAKES, 2))
    return [
        Request(
            "POST",
            "/api/incidents",
            {"net": "social", "category": "dispute", "title": TITLE, "lon": SEAT[0] + dx, "lat": SEAT[1] + dy},
            (("Idempotency-Key", f"seat-bench-{index}"),),
        )
        for index, (dx, dy) in enumerate(offsets)
    ]


def _once(port: int, path: str, token: str) -> tuple[float, bytes]:
    """One GET: seconds until the whole body has arrived, and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status >= 400:
        raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
    return elapsed, body


def main() -> None:
    incidents = _incident_count()
    county = {"Authorization": f"Bearer {api_token('dispatcher')}"}
    township = {"Authorization": f"Bearer {api_token('benzilan')}"}
    with gunicorn() as port:
        load(port, [Request("GET", "/api/health")] * 100, CLIENTS, county)  # warm up
        baseline = load(port, [Request("GET", "/api/health")] * READS, 1, county)
        reads = {
            "list first page, county": load(port, [Request("GET", "/api/incidents")] * READS, 1, county),
            "list first page, township": load(port, [Request("GET", "/api/incidents")] * READS, 1, township),
        }
        reads["queue counts, county"] = load(port, [Request("GET", "/api/incidents/queue")] * READS, 1, county)
        reads["queue counts, township"] = load(port, [Request("GET", "/api/incidents/queue")] * READS, 1, township)
        intake = load(port, _seat_reports(), CLIENTS, county)
        _remove_benchmark_incidents()
        token = county["Authorization"].split()[1]
        for _ in range(2 * WORKERS):  # each worker imports esda and warms up on another range
            _once(port, WARM_UP, token)
        cold, _ = _once(port, HOTSPOTS, token)  # a range no worker has seen yet
        cached = min(_once(port, HOTSPOTS, token)[0] for _ in range(2 * WORKERS))
        csv_seconds, csv_body = _once(port, CSV if incidents <= YEAR_CSV_UP_TO else CSV_MONTH, token)
        # The feed marks each open case's queues, the cross-net one among them.
        feed_seconds, feed_body = _once(port, "/api/incidents/feed", token)
    csv_rows = csv_body.count(b"\n") - 1
    markers = feed_body.count(b'"Feature"')
    deleting = _delete_one_seconds()

    header(f"endpoints at {incidents:,} incidents, gunicorn ({WORKERS} sync workers)")
    show_rates([("baseline /api/health", baseline), *reads.items()])
    for label, result in reads.items():
        p50 = result.percentiles()[0]
        row(f"{label} p50", f"{p50:.1f} ms", verdict(p50 <= 50, "<= 50 ms at 1M"))
    show_rates([(f"intake at the seat, {CLIENTS} clients", intake)])
    p99 = intake.percentiles()[1]
    row("intake at the seat", f"{intake.rate:.0f} incidents/s", verdict(intake.rate >= 300, ">= 300/s"))
    row("intake at the seat p99", f"{p99:.1f} ms", verdict(p99 <= 30, "<= 30 ms"))
    row("hotspots, harvest season, cold", f"{cold:.2f} s", verdict(cold <= 1.5, "<= 1.5 s"))
    row("hotspots, same query, cached", f"{cached * 1000:.0f} ms", verdict(cached <= 0.2, "<= 0.2 s"))
    rate = csv_rows / csv_seconds
    span = "a year" if incidents <= YEAR_CSV_UP_TO else "a month"
    size = f"{csv_seconds:.2f} s, {len(csv_body) / 1e6:.1f} MB"
    row(f"township CSV ({span}), {csv_rows:,} rows", f"{rate:,.0f} rows/s", size)
    row("township CSV", f"{rate:,.0f} rows/s", verdict(rate >= 50_000, ">= 50,000 rows/s"))
    row(
        f"console feed, county: {markers:,} markers",
        f"{feed_seconds:.2f} s",
        f"{len(feed_body) / 1e6:.1f} MB, gzip {len(gzip.compress(feed_body)) / 1e6:.1f} MB",
    )
    row("deleting one incident", f"{deleting * 1000:.1f} ms")


if __name__ == "__main__":
    main()
