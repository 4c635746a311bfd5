"""The clock: every stored time is UTC, taken from one place so tests and jobs agree."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    return datetime.now(UTC)
