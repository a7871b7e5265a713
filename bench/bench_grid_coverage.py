"""Benchmark: does the grid demand forecast's 80 % band cover 80 % of the hours after the issue?

Run by hand::

    uv run python bench/bench_grid_coverage.py [--issues 2016-03-01,2016-07-01,2016-10-15]
        [--calibration-days 56] [--weather forecast|none] [--out FILE]

For each issue time (00:00 UTC), every group of the default grid is forecast as ``gridflow forecast
demand`` does (:func:`gridcore.forecast.demand.forecast_group`, one process, no Prefect), and two
figures are compared per kind of series (system, feeder, load point):

* ``reported``: the ``coverage_80_pct`` the forecast reports in ``accuracy_out_of_sample`` (cross-conformal
  over the origins before the issue: an estimate made before the issue);
* ``realized``: the share of the 168 hours after the issue inside the issued 80 % band, against the
  grid's load profiles (what actually happened; the forecast never saw it).

Each series is forecast by its champion (:mod:`gridcore.forecast.champion`), the feeder groups with the
system's forecast for their top-down candidate, as the flow does.

One week of one grid is a single weather and profile regime, so ``realized`` swings by +-8 points from
issue to issue; its mean over many issue times is the coverage of the method. Default issue times: the
1st of every month of 2016 and 2016-10-15. Output: a markdown table on stdout, and JSON in
``bench/out/grid_coverage.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.forecast.demand import (
    CALIBRATION_DAYS,
    DEMAND_QUANTILES,
    SYSTEM,
    TopDown,
    demand_inputs,
    forecast_group,
)
from gridcore.system import default_system

KINDS = ("system", "feeder", "load")
DEFAULT_ISSUES = [f"2016-{m:02d}-01" for m in range(1, 13)] + ["2016-10-15"]


def one_issue(system, issue: pd.Timestamp, calibration_days: int, weather: str) -> dict[str, object]:  # noqa: ANN001
    """Reported and realized 80 % coverage per kind at one issue time [%]."""
    inputs = demand_inputs(system, issue, 168, weather=weather)
    lo, hi = DEMAND_QUANTILES.index(0.1), DEMAND_QUANTILES.index(0.9)
    inside = dict.fromkeys(KINDS, 0)
    total = dict.fromkeys(KINDS, 0)
    reported: dict[str, list[float]] = {k: [] for k in KINDS}
    future = slice(issue, issue + pd.Timedelta(hours=167))
    top = None
    for group in inputs.groups:  # the system first: its forecast feeds the feeder groups' top-down candidate
        history = inputs.group(group)
        r = forecast_group(
            group, history, inputs.temperature, issue, 168, calibration_days=calibration_days, top=top
        )
        if group == SYSTEM:
            top = TopDown.of(r, history[SYSTEM])
        for s, sid in enumerate(r.series):
            kind = inputs.catalog.at[sid, "kind"]
            actual = history.loc[future, sid].to_numpy()
            ok = np.isfinite(actual) & np.isfinite(r.quantiles[s, :, lo])
            within = (actual >= r.quantiles[s, :, lo]) & (actual <= r.quantiles[s, :, hi])
            inside[kind] += int(within[ok].sum())
            total[kind] += int(ok.sum())
            reported[kind].append(float(r.scores.at[sid, "coverage_80_pct"]))
    return {
        "issue_time": f"{issue:%Y-%m-%dT%H:%MZ}",
        "reported": {k: round(float(np.mean(reported[k])), 2) for k in KINDS},
        "realized": {k: round(100.0 * inside[k] / total[k], 2) for k in KINDS},
    }


def main() -> None:
    """Run the issue times and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", default=",".join(DEFAULT_ISSUES))
    parser.add_argument("--calibration-days", type=int, default=CALIBRATION_DAYS)
    parser.add_argument("--weather", default="forecast", choices=["forecast", "none"])
    parser.add_argument("--out", default="bench/out/grid_coverage.json")
    args = parser.parse_args()
    system = default_system()
    rows = []
    t0 = time.perf_counter()
    print("| issue | reported system / feeder / load % | realized system / feeder / load % |")
    print("| --- | --- | --- |")
    for day in args.issues.split(","):
        row = one_issue(system, pd.Timestamp(day, tz="UTC"), args.calibration_days, args.weather)
        rows.append(row)
        rep = " / ".join(f"{row['reported'][k]:.1f}" for k in KINDS)
        real = " / ".join(f"{row['realized'][k]:.1f}" for k in KINDS)
        print(f"| {row['issue_time']} | {rep} | {real} |", flush=True)
    mean = {
        part: {k: round(float(np.mean([r[part][k] for r in rows])), 2) for k in KINDS}
        for part in ("reported", "realized")
    }
    print(
        f"mean over {len(rows)} issues: reported "
        + " / ".join(f"{mean['reported'][k]:.1f}" for k in KINDS)
        + ", realized "
        + " / ".join(f"{mean['realized'][k]:.1f}" for k in KINDS)
        + f" (nominal 80; ratio realized/nominal {np.mean(list(mean['realized'].values())) / 80:.3f}); "
        f"{time.perf_counter() - t0:.0f} s"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "calibration_days": args.calibration_days,
                "weather": args.weather,
                "issues": rows,
                "mean": mean,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
