"""Two app processes counting failed logins in one real Redis enforce one limit between them."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import redis
from sqlalchemy import delete

from extensions import db
from geo.accounts.models import User
from tests.conftest import _test_database_url
from tests.routes.test_access import create_account

# Not rolled back: the app runs in other processes.
pytestmark = pytest.mark.outside_transaction

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "long-enough-pw"
# Serves the app on a free loopback port and prints the port (the parent reads it).
SERVE = """
from werkzeug.serving import make_server
from app import create_app
server = make_server("127.0.0.1", 0, create_app())
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def redis_socket(tmp_path) -> Iterator[Path]:
    """A redis-server of this test's own, on a Unix socket in a temporary directory."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert Path(binary).exists(), "redis-server is missing: ./dev installs it (Debian package redis-server)"
    socket = tmp_path / "redis.sock"
    # No TCP port, no persistence: nothing outlives the test or reaches another process.
    listen = ["--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700"]
    server = subprocess.Popen(
        [binary, *listen, "--save", "", "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL
    )
    try:
        client = redis.Redis(unix_socket_path=str(socket))
        for _ in range(100):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield socket
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def account(app) -> Iterator[str]:
    """A viewer account for this test alone (the app processes must see it committed), deleted afterwards."""
    username = "tmp.shared"
    create_account(app, username, "533422", "social", PASSWORD)
    yield username
    with app.app_context():  # its sign-ins and tokens go with it (ON DELETE CASCADE)
        db.session.execute(delete(User).where(User.username == username))
        db.session.commit()


def serve(storage: str, log: Path) -> tuple[subprocess.Popen, str]:
    """Start the app in a process of its own with the given rate-limit storage; return it and its URL."""
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "SECRET_KEY": "shared-throttle-test",
        "GRIDMAP_RATELIMIT_STORAGE": storage,
        "GRIDMAP_LOGIN_RATE_LIMIT": "1000 per minute",
        "GRIDMAP_LOGIN_ACCOUNT_RATE_LIMIT": "3 per 15 minutes",
    }
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{process.stdout.readline().strip()}"


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def login_status(base: str, username: str, password: str) -> int:
    """Sign in through the real form over HTTP (a fresh browser each time); the answer's status."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = browser.open(f"{base}/login").read().decode()
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert found, form
    token = found.group(1)
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    try:
        return browser.open(f"{base}/login", data=body).status
    except urllib.error.HTTPError as answer:
        answer.close()
        return answer.code


def test_two_app_processes_sharing_redis_enforce_one_account_limit(account, redis_socket, tmp_path):
    first, second = (serve(f"redis+unix://{redis_socket}", tmp_path / f"app-{n}.log") for n in (1, 2))
    try:
        one, two = first[1], second[1]
        failures = [login_status(base, account, "wrong-password-x") for base in (one, two, one)]
        assert failures == [401, 401, 401]
        # Each process has seen fewer than three failures, yet both refuse: the count is shared.
        assert login_status(two, account, PASSWORD) == 429
        assert login_status(one, account, PASSWORD) == 429
        counters = redis.Redis(unix_socket_path=str(redis_socket))
        keys = cast(list[bytes], counters.keys("*"))  # typed for the async client too; this one answers at once
        assert any(f"account:{account}".encode() in key for key in keys)
        counters.close()
    finally:
        stop(first[0])
        stop(second[0])


def test_logins_still_work_when_redis_is_down(account, tmp_path):
    process, base = serve(f"redis+unix://{tmp_path / 'nothing-here.sock'}", tmp_path / "app.log")
    try:
        # Each process then counts on its own, rather than failing every sign-in.
        assert [login_status(base, account, "wrong-password-x") for _ in range(3)] == [401, 401, 401]
        assert login_status(base, account, PASSWORD) == 429
        assert login_status(base, "viewer", "viewer-demo-2026") == 200  # signed in, after the redirect
    finally:
        stop(process)
