"""Benchmark of the pricing core: priced lines per second, sub line items included.

    uv run python bench/pricing_bench.py                 # 1,000,000 lines per model, one process
    uv run python bench/pricing_bench.py --lines 100000  # scaled down
    uv run python bench/pricing_bench.py --repeat 3      # best of 3 runs per model
    uv run python bench/pricing_bench.py --profile       # cProfile of one graduated run (--model matrix)

Models measured:

* graduated: 5 tiers, each with a unit price (4 decimal places) and a flat fee; every line's quantity
  (up to 3 decimal places) lies in the last tier, so every tier is reached and each line has 10 sub
  lines whose exact amounts need the largest-remainder split;
* matrix: 100 cells (10 regions × 10 plans); each line has usage on 5 combinations (5 sub lines).

Each line builds its :class:`Usage` and calls :func:`price_line` (free units, model, minimum check,
one rounding, split over the sub lines). Inputs are generated from a seeded integer generator.
"""

from __future__ import annotations

import argparse
import cProfile
import decimal
import io
import os
import platform
import pstats
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, RoundingMode, divide, quantize
from billfold.core.pricing import DimensionUsage, LineResult, Price, Usage, parse_price, price_line

DISTINCT_INPUTS = 10_000
REGIONS = [f"region-{i}" for i in range(10)]
PLANS = [f"plan-{i}" for i in range(10)]


def graduated_price() -> Price:
    return parse_price(
        "graduated",
        {
            "tiers": [
                {"from": "0", "to": "100", "unitPrice": "0.0500", "flatFee": "10.00"},
                {"from": "100", "to": "1000", "unitPrice": "0.0425", "flatFee": "7.50"},
                {"from": "1000", "to": "10000", "unitPrice": "0.0350", "flatFee": "5.00"},
                {"from": "10000", "to": "100000", "unitPrice": "0.0275", "flatFee": "2.50"},
                {"from": "100000", "to": None, "unitPrice": "0.0125", "flatFee": "1.25"},
            ]
        },
    )


def matrix_price() -> Price:
    rng = random.Random(7)
    cells = [
        {"values": [region, plan], "unitPrice": f"0.{rng.randrange(1, 10_000):04d}"}
        for region in REGIONS
        for plan in PLANS
    ]
    return parse_price("matrix", {"dimensions": ["region", "plan"], "cells": cells, "defaultUnitPrice": "1"})


def graduated_inputs(rng: random.Random) -> list[Decimal]:
    """Quantities in (100000, 1000000] with up to 3 decimal places: every tier is reached."""
    return [Decimal(rng.randrange(100_000_001, 1_000_000_001)).scaleb(-3) for _ in range(DISTINCT_INPUTS)]


def matrix_inputs(rng: random.Random) -> list[tuple[DimensionUsage, ...]]:
    inputs = []
    for _ in range(DISTINCT_INPUTS):
        combinations = rng.sample([(r, p) for r in REGIONS for p in PLANS], 5)
        inputs.append(
            tuple(
                DimensionUsage(values, Decimal(rng.randrange(1, 100_000_000)).scaleb(-2))
                for values in combinations
            )
        )
    return inputs


def run_graduated(lines: int) -> Run:
    price = graduated_price()
    quantities = graduated_inputs(random.Random(1))
    return _timed(
        lines, lambda i: price_line(price, Usage(quantity=quantities[i % DISTINCT_INPUTS]), 2, MODE)
    )


def run_matrix(lines: int) -> Run:
    price = matrix_price()
    usages = matrix_inputs(random.Random(2))
    return _timed(lines, lambda i: price_line(price, Usage(dimensions=usages[i % DISTINCT_INPUTS]), 2, MODE))


MODE = RoundingMode.HALF_UP


@dataclass(frozen=True)
class Run:
    lines: int
    nanoseconds: int
    sub_lines: int
    checksum: Decimal  # sum of the line amounts: the same on every run and machine

    @property
    def lines_per_second(self) -> int:
        return self.lines * 1_000_000_000 // self.nanoseconds

    def describe(self) -> str:
        microseconds = quantize(divide(Decimal(self.nanoseconds), Decimal(self.lines * 1000)), 2, MODE)
        sub_lines_per_second = self.sub_lines * 1_000_000_000 // self.nanoseconds
        return (
            f"{self.lines:,} lines in {quantize(Decimal(self.nanoseconds).scaleb(-9), 2, MODE)} s = "
            f"{self.lines_per_second:,} lines/s, {microseconds} µs/line "
            f"({sub_lines_per_second:,} sub lines/s, {self.sub_lines // self.lines} per line; "
            f"checksum {self.checksum})"
        )


def _timed(lines: int, one_line: Callable[[int], LineResult]) -> Run:
    checksum = ZERO
    sub_lines = 0
    start = time.perf_counter_ns()
    for index in range(lines):
        result = one_line(index)
        checksum = CONTEXT.add(checksum, result.amount)
        sub_lines += len(result.sub_lines)
    return Run(lines, time.perf_counter_ns() - start, sub_lines, checksum)


def _read(path: str, prefix: str = "") -> str:
    try:
        with open(path, encoding="utf-8") as text:
            for row in text:
                if row.startswith(prefix):
                    return row.split(":", 1)[1].strip() if prefix else row.strip()
    except OSError:
        pass
    return "unknown"


def machine_info() -> list[str]:
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"nproc: {os.cpu_count()}  cpu: {_read('/proc/cpuinfo', 'model name')}",
        f"python: {platform.python_implementation()} {platform.python_version()}  "
        f"libmpdec: {decimal.__libmpdec_version__}",
        f"load average (1, 5, 15 min; running/total): {_read('/proc/loadavg')}",
    ]


def profile(lines: int, model: str) -> None:
    run = run_matrix if model == "matrix" else run_graduated
    profiler = cProfile.Profile()
    profiler.enable()
    run(lines)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pricing core benchmark: priced lines per second.")
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines per model and run (1,000,000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per model; the best is reported (1)")
    parser.add_argument("--model", choices=["graduated", "matrix", "all"], default="all")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run instead")
    args = parser.parse_args(argv)
    print("\n".join(machine_info()))
    models = {"graduated": run_graduated, "matrix": run_matrix}
    chosen = list(models) if args.model == "all" else [args.model]
    if args.profile:
        profile(args.lines, chosen[0])
        return 0
    for name in chosen:
        runs = [models[name](args.lines) for _ in range(args.repeat)]
        best = max(runs, key=lambda run: run.lines_per_second)
        print(f"{name:>9}: {best.describe()}")
        if args.repeat > 1:
            print(f"{'':>9}  all runs (lines/s): {', '.join(f'{run.lines_per_second:,}' for run in runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
