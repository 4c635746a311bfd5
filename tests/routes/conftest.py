"""Each route test runs in a transaction rolled back at its end, unless it needs several connections."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> None:
    """Undo whatever the test wrote (``rolled_back``); a test marked ``outside_transaction`` cleans up itself."""
    if "app" in request.fixturenames and request.node.get_closest_marker("outside_transaction") is None:
        request.getfixturevalue("rolled_back")
