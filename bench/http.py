"""A gunicorn server of the app and a bounded, concurrent loopback client, shared by the HTTP benchmarks.

Traffic goes to 127.0.0.1 only, bounded in count and time.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app import create_app
from bench.report import row
from extensions import db, db_session
from geo.accounts.sessions import create_token

ROOT = Path(__file__).resolve().parents[1]
# One sync worker per core measured best here (2, 3, 4 and 6 were tried): the client shares the machine.
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", str(os.cpu_count() or 2)))
DEADLINE_S = 60


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Result:
    rate: float  # requests per second
    latencies_ms: np.ndarray

    def percentiles(self) -> tuple[float, float]:
        p50, p99 = np.percentile(self.latencies_ms, [50, 99])
        return float(p50), float(p99)


def show_rates(rows: list[tuple[str, Result]]) -> None:
    """Print requests/s and latency percentiles of each labelled result, baseline first."""
    for label, result in rows:
        p50, p99 = result.percentiles()
        row(label, f"{result.rate:.0f} req/s", f"p50 {p50:.1f} ms  p99 {p99:.1f} ms")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_token(username: str) -> str:
    """A fresh API token for a demo account."""
    app = create_app()
    with app.app_context():
        token = create_token(db_session(), username, "benchmark", actor="bench")
        db.session.commit()
        db.engine.dispose()
    return token


@contextmanager
def gunicorn(
    application: str = "app:create_app()", ready_path: str = "/api/health", root: Path = ROOT
) -> Iterator[int]:
    """Serve ``application`` (the app by default) from the code in ``root`` with gunicorn on a free loopback port.

    Yields the port. ``root`` may hold an older checkout of the code (``baseline_code``), so a
    benchmark can set the code before a change beside it, on the same database and load.
    """
    port = free_port()
    # A long worker timeout: at 10,000,000 incidents a cold analysis takes longer than gunicorn's default 30 s,
    # which would kill the worker mid-answer instead of timing it.
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(WORKERS),
        "--timeout",
        "600",
        "-b",
        f"127.0.0.1:{port}",
        application,
    ]
    # The benchmarks measure the work, not the per-address limit on the public health check.
    environment = {**os.environ, "GRIDMAP_RATELIMIT": "off"}
    server = subprocess.Popen(command, cwd=root, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", ready_path)
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not come up")
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a worker still busy with a request the client gave up (tiles)
            server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            server.wait(timeout=10)


def baseline_code() -> Path | None:
    """An older checkout of the code to serve beside this one (``BENCH_BASELINE_CODE``), if given.

    For example ``git archive COMMIT | tar -x -C /tmp/before`` and compile its catalogues
    (``pybabel compile -d translations -D "messages errors"``); it runs on this venv.
    """
    given = os.environ.get("BENCH_BASELINE_CODE")
    if not given:
        return None
    root = Path(given)
    if not (root / "app.py").is_file():
        raise SystemExit(f"BENCH_BASELINE_CODE={given} holds no app.py")
    return root


def _send(connection: http.client.HTTPConnection, request: Request, headers: dict[str, str]):
    body = json.dumps(request.body) if request.body is not None else None
    extra = {"Content-Type": "application/json"} if body else {}
    connection.request(request.method, request.path, body=body, headers={**headers, **extra, **dict(request.headers)})
    response = connection.getresponse()
    response.read()
    return response


def load(port: int, requests: list[Request], clients: int, headers: dict[str, str]) -> Result:
    """Send ``requests`` from ``clients`` threads, each reusing its connection where gunicorn allows."""
    latencies = np.zeros(len(requests))
    cursor = iter(range(len(requests)))
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_S

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            start = time.perf_counter()
            try:
                response = _send(connection, requests[index], headers)
            except (http.client.HTTPException, OSError):
                # gunicorn's sync workers close the connection after each response.
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                response = _send(connection, requests[index], headers)
            if response.status >= 400:
                raise RuntimeError(f"{requests[index].path} answered {response.status}")
            latencies[index] = (time.perf_counter() - start) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    elapsed = time.perf_counter() - started
    done = latencies[latencies > 0]
    return Result(len(done) / elapsed, done)


def interleaved(runs: Mapping[str, Callable[..., Result]], requests: Mapping[str, list[Request]], rounds: int):
    """Run each labelled load in turn, ``rounds`` times over slices of its requests; one Result per label.

    On a machine shared with other work the load drifts over minutes: taking turns in small
    slices lets a measure and its baseline meet the same load, so their ratio holds.
    """
    elapsed = dict.fromkeys(runs, 0.0)
    latencies: dict[str, list[np.ndarray]] = {label: [] for label in runs}
    for turn in range(rounds):
        for label, run in runs.items():
            part = requests[label][turn::rounds]
            result = run(part)
            elapsed[label] += len(result.latencies_ms) / result.rate
            latencies[label].append(result.latencies_ms)
    return {
        label: Result(sum(len(x) for x in latencies[label]) / elapsed[label], np.concatenate(latencies[label]))
        for label in runs
    }
