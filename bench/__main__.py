"""Run every benchmark: ``./dev bench`` (or ``python -m bench NAME ...`` for some).

``--incidents N`` first grows the database to N incidents (bench/synthetic.py), so every
benchmark runs on it: ``./dev bench --incidents 1000000``.
"""

from __future__ import annotations

import argparse

from bench import (
    assign_points,
    console_load,
    dashboard,
    dispatch_page,
    endpoints,
    evaluation,
    hotspots,
    intake_http,
    lookup_http,
    plan_activation,
    plan_validation,
    pool_checkout,
    tiles,
)
from bench.synthetic import ensure_incidents

BENCHMARKS = {
    "assign": assign_points.main,
    "lookup": lookup_http.main,
    "intake": intake_http.main,
    "page": dispatch_page.main,
    "validation": plan_validation.main,
    "activation": plan_activation.main,
    "hotspots": hotspots.main,
    "checkout": pool_checkout.main,
    "endpoints": endpoints.main,
    "console": console_load.main,
    "evaluation": evaluation.main,
    "dashboard": dashboard.main,
    "tiles": tiles.main,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the benchmarks in bench/.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--incidents", type=int, metavar="N", help="grow the database to N incidents first")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.incidents is not None:
        if args.incidents < 1:
            parser.error("--incidents must be a positive whole number")
        ensure_incidents(args.incidents)
    for name in args.names or BENCHMARKS:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main()
