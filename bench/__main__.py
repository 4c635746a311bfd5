"""Run every benchmark: ``./dev bench`` (or ``python -m bench NAME ...`` for some)."""

from __future__ import annotations

import sys

from bench import (
    assign_points,
    dispatch_page,
    hotspots,
    intake_http,
    lookup_http,
    plan_activation,
    plan_validation,
    pool_checkout,
)

BENCHMARKS = {
    "assign": assign_points.main,
    "lookup": lookup_http.main,
    "intake": intake_http.main,
    "page": dispatch_page.main,
    "validation": plan_validation.main,
    "activation": plan_activation.main,
    "hotspots": hotspots.main,
    "checkout": pool_checkout.main,
}


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
