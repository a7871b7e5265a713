"""Benchmark of the monitor: the labelled injection test at full scale, and the speed of one hour.

Run by hand: ``uv run python bench/bench_monitor.py [--meters 100000] [--hours 168] [--seeds 3]``.

Prints, on the default grid with the given fleet:

* the clean week: false alarms per type (anomalies found where nothing was injected);
* per injection seed and summed over seeds: faults injected, found, precision and recall per type
  (``docs/monitor-injection.md`` says what is injected);
* the time of one monitored hour (9 h window: the hour and 8 h of look-back) over the whole fleet, and of a
  day, with the ratio to the peer: the zero and stuck checks written the usual pandas way (long table,
  ``groupby(meter).rolling``) on the same hour window.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from gridcore.monitor.injection import clean_week, detect_in_days, inject, score
from gridcore.monitor.window import detect
from gridcore.system import default_system

START = pd.Timestamp("2016-07-04T00:00Z")


def _peer_zero_stuck(kwh: np.ndarray) -> int:
    """Zero and stuck runs of 4 readings, pandas long-table style; returns the meters flagged."""
    n, t = kwh.shape
    df = pd.DataFrame({"meter": np.repeat(np.arange(n), t), "kwh": kwh.reshape(-1)})
    g = df.groupby("meter")["kwh"]
    zero = (df["kwh"] == 0).groupby(df["meter"]).rolling(4).sum().to_numpy() >= 4
    same = (g.diff() == 0) & (df["kwh"] > 0)
    stuck = same.groupby(df["meter"]).rolling(3).sum().to_numpy() >= 3
    return int(np.unique(df["meter"].to_numpy()[zero | stuck]).size)


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--meters", type=int, default=100_000)
    ap.add_argument("--hours", type=int, default=168)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    system = default_system(args.meters)
    t0 = time.perf_counter()
    clean = clean_week(system, START, hours=args.hours, seed=1)
    print(
        f"clean feeds: {args.meters} meters, {clean.sensors.shape[0]} sensors, {args.hours} h: "
        f"{time.perf_counter() - t0:.1f} s to draw"
    )

    t0 = time.perf_counter()
    found = detect_in_days(clean)
    t_week = time.perf_counter() - t0
    alarms = found.groupby("type").size().to_dict() if len(found) else {}
    print(f"clean week: {len(found)} false alarms {alarms or ''} ({t_week:.1f} s to scan)")

    sums = []
    for seed in range(7, 7 + args.seeds):
        injected = inject(clean, seed=seed)
        s = score(detect_in_days(injected.window), injected.labels)
        sums.append(s)
        worst = s[["precision", "recall"]].min()
        print(
            f"seed {seed}: {int(s['injected'].sum())} faults, precision min {worst['precision']:.3f}, "
            f"recall min {worst['recall']:.3f}"
        )
    total = pd.concat(sums).groupby(level=0)[["injected", "found", "true_positives"]].sum()
    hits = pd.concat(sums).assign(hit=lambda d: d["recall"] * d["injected"]).groupby(level=0)["hit"].sum()
    total["precision"] = (total["true_positives"] / total["found"]).round(3)
    total["recall"] = (hits / total["injected"]).round(3)
    print(f"\nover {args.seeds} seeds:")
    print(total.to_string())

    hour = 4 * 9
    window = inject(clean, seed=7).window
    part = type(window)(**{**window.__dict__})
    part.starts = window.starts[:hour]
    part.kwh = window.kwh[:, :hour]
    part.sensors = window.sensors[:, :hour]
    part.gen_mw = window.gen_mw.iloc[:hour]
    part.q_per_p = window.q_per_p.iloc[:hour]
    t0 = time.perf_counter()
    detect(part, hour - 4)
    t_hour = time.perf_counter() - t0
    t0 = time.perf_counter()
    _peer_zero_stuck(part.kwh)
    t_peer = time.perf_counter() - t0
    day = min(4 * 24, len(window.starts))
    day_part = type(window)(**{**window.__dict__})
    day_part.starts, day_part.kwh = window.starts[:day], window.kwh[:, :day]
    day_part.sensors, day_part.gen_mw = window.sensors[:, :day], window.gen_mw.iloc[:day]
    day_part.q_per_p = window.q_per_p.iloc[:day]
    t0 = time.perf_counter()
    detect(day_part)
    t_day = time.perf_counter() - t0
    print(
        f"\none hour (9 h window) x {args.meters} meters, every check: {t_hour:.2f} s; "
        f"peer (pandas groupby-rolling, zero and stuck only): {t_peer:.2f} s; ratio {t_hour / t_peer:.2f}"
    )
    print(f"one day x {args.meters} meters, every check: {t_day:.2f} s")


if __name__ == "__main__":
    main()
