"""What checking pooled connections costs: /api/health in-process, three ways, interleaved.

- ``no check`` — the pool hands out connections unchecked (c167baf: the first
  request after a database restart fails on each worker);
- ``poll(0) on checkout`` — ``extensions.discard_dead_connections``, what the app does;
- ``pool_pre_ping`` — SQLAlchemy's round trip before each checkout.

Each variant is its own app on the same database, run in alternating batches so a
busy machine slows all three alike; the best batch of each is shown.
"""

from __future__ import annotations

import time

from sqlalchemy import event

from app import create_app
from bench.report import header, row
from extensions import db, reconnect_if_dropped

BATCH = 300
ROUNDS = 15


def _app(*, check: bool, pre_ping: bool):
    app = create_app(
        {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800, "pool_pre_ping": pre_ping}, "RATELIMIT_ENABLED": False}
    )
    if not check:
        with app.app_context():
            event.remove(db.engine, "checkout", reconnect_if_dropped)
    return app


def main() -> None:
    variants = {
        "no check": _app(check=False, pre_ping=False),
        "poll(0) on checkout (the app)": _app(check=True, pre_ping=False),
        "pool_pre_ping": _app(check=False, pre_ping=True),
    }
    clients = {name: app.test_client() for name, app in variants.items()}
    best = dict.fromkeys(variants, float("inf"))
    for client in clients.values():
        for _ in range(BATCH):
            client.get("/api/health")
    for _ in range(ROUNDS):
        for name, client in clients.items():
            start = time.perf_counter()
            for _ in range(BATCH):
                assert client.get("/api/health").status_code == 200
            best[name] = min(best[name], (time.perf_counter() - start) / BATCH)
    for app in variants.values():
        with app.app_context():
            db.engine.dispose()

    header(f"/api/health in-process (Flask test client), best of {ROUNDS} batches of {BATCH}")
    baseline = best["no check"]
    for name, seconds in best.items():
        row(name, f"{seconds * 1e6:.0f} µs/request", f"+{(seconds - baseline) * 1e6:.0f} µs vs no check")


if __name__ == "__main__":
    main()
