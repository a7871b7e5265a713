"""Benchmark: Great Expectations against the vectorised validation path on an hour of readings.

Run by hand: ``uv run python bench/bench_gx.py [--meters 100000] [--million/--no-million]``.

Generates the default hour of AMI readings (100,000 meters, about 400,000 rows), prepares it with
:func:`gridcore.data.meters.prepare_readings` and times

(i) Great Expectations on the prepared frame (:func:`gridcore.data.gx_contract.gx_failing_rows`),
(ii) the fast path: :func:`gridcore.data.validation.failing_rows` and ``assign_reasons``,
(iii) the floor: a bare pandas group-by sum of kWh per grid load, with no validation,

then GX again on one million rows (three hours of the same fleet, truncated) unless told not to.
Both paths are checked to flag the same rows. The GX import and a warm-up run are not counted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gridcore.data.fleet import build_fleet
from gridcore.data.gx_contract import gx_failing_rows
from gridcore.data.meters import prepare_readings
from gridcore.data.synthetic import meter_readings
from gridcore.data.validation import assign_reasons, failing_rows, load_suite
from gridcore.network.grid import load_grid

HOUR = pd.Timestamp("2016-07-01T12:00:00Z")


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` calls [s], and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def line(label: str, seconds: float, rows: int) -> None:
    print(f"  {label:<52} {seconds:9.3f} s  {rows / seconds:14,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=100_000)
    parser.add_argument("--million", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the fast paths (best kept)")
    parser.add_argument("--gx-repeat", type=int, default=3, help="runs of GX (best kept)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    grid = load_grid()
    fleet = build_fleet(grid, n_meters=args.meters)
    raw = meter_readings(grid, fleet, HOUR)
    now = HOUR + pd.Timedelta(hours=1)
    suite = load_suite("meter_readings")
    print(f"setup (grid, fleet of {len(fleet):,} meters, feed): {time.perf_counter() - t0:.1f} s")
    n = len(raw)
    print(f"rows: {n:,}\n")

    t_prep, prepared = best_of(lambda: prepare_readings(raw, fleet, now), args.repeat)

    # (ii) fast path
    t_fail, fast = best_of(lambda: failing_rows(prepared, suite), args.repeat)
    t_assign, _ = best_of(lambda: assign_reasons(prepared, suite), args.repeat)

    # (iii) floor: per-load energy straight from the feed
    load_of_meter = fleet["load"].to_numpy()

    def floor() -> pd.Series:
        load = load_of_meter[raw["meter_id"].cat.codes.to_numpy()]
        return pd.Series(raw["kwh"].to_numpy()).groupby(load).sum()

    t_floor, _ = best_of(floor, args.repeat)

    # (i) Great Expectations (import and warm-up excluded)
    t0 = time.perf_counter()
    gx_failing_rows(prepared.head(1000), "meter_readings")
    print(f"GX import + warm-up on 1,000 rows: {time.perf_counter() - t0:.1f} s (not counted)\n")
    t_gx, gx_rows = best_of(lambda: gx_failing_rows(prepared, "meter_readings"), args.gx_repeat)
    disagree = [r for r in fast if not np.array_equal(fast[r], gx_rows[r])]
    flagged = int(np.logical_or.reduce(list(fast.values())).sum())

    print(f"one hour, {n:,} rows ({flagged:,} failing at least one expectation):")
    line("(i)   GX validation (gx_failing_rows)", t_gx, n)
    line("(ii)  fast path: failing_rows", t_fail, n)
    line("      fast path: assign_reasons (incl. failing_rows)", t_assign, n)
    line("      prepare_readings (shared by both)", t_prep, n)
    line("(iii) floor: groupby sum of kwh by load", t_floor, n)
    print()
    print(f"  GX / fast (assign_reasons)            {t_gx / t_assign:8.1f} x")
    print(f"  GX / floor                            {t_gx / t_floor:8.1f} x")
    print(f"  fast (assign_reasons) / floor         {t_assign / t_floor:8.1f} x")
    print(f"  (prepare + assign_reasons) / floor    {(t_prep + t_assign) / t_floor:8.1f} x")
    print(f"  (prepare + GX) / (prepare + fast)     {(t_prep + t_gx) / (t_prep + t_assign):8.1f} x")
    differ = f" (differ: {', '.join(disagree)})" if disagree else ""
    print(f"  GX and fast path agree on every expectation: {not disagree}{differ}")
    per_day = 9_600_000
    print(
        f"\n  at 9.6 M rows/day: GX {per_day / (n / t_gx):,.0f} s/day, "
        f"fast path {per_day / (n / t_assign):,.1f} s/day, "
        f"prepare {per_day / (n / t_prep):,.1f} s/day"
    )

    if args.million:
        target = 1_000_000
        hours = [meter_readings(grid, fleet, HOUR + pd.Timedelta(hours=h)) for h in range(3)]
        big_raw = pd.concat(hours, ignore_index=True).head(target)
        big = prepare_readings(big_raw, fleet, HOUR + pd.Timedelta(hours=3))
        m = len(big)
        t_big, _ = best_of(lambda: gx_failing_rows(big, "meter_readings"), args.gx_repeat)
        t_big_fast, _ = best_of(lambda: assign_reasons(big, suite), args.repeat)
        print(f"\n{m:,} rows (three hours, truncated):")
        line("(i)   GX validation (gx_failing_rows)", t_big, m)
        line("(ii)  fast path: assign_reasons", t_big_fast, m)
        print(f"  GX / fast                             {t_big / t_big_fast:8.1f} x")


if __name__ == "__main__":
    main()
