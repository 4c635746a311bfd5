"""Printing benchmark figures next to their baselines (ratios, since machines are noisy)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timed(function: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Return the best wall time of ``repeat`` runs and the last result."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def header(title: str) -> None:
    print(f"\n== {title}")


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<44} {value:>16}  {note}")


def verdict(ok: bool, target: str) -> str:
    return f"target {target}: {'met' if ok else 'NOT met'}"
