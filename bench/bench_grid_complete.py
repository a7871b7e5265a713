"""Benchmark: the complete analysis of a distribution grid, power flow + 168-hour time series + full N-1.

Run by hand: ``uv run python bench/bench_grid_complete.py [--repeat 3] [--start 2016-07-04T00:00Z]
[--no-peer]``. Writes ``bench/out/grid_complete.json`` and prints a markdown table.

Grids:

- ``simbench_mv``: the default grid, SimBench ``1-MV-semiurb--0-sw`` (gridflow's cache), with its
  profiles as the time series uses them (:func:`gridcore.network.timeseries.hourly_injections`).
- ``simbench_mvlv_1k``: about 1,000 buses of SimBench ``1-MVLV-semiurb-all-0-sw``, as in
  ``bench_contingency.py``: the MV grid with every tenth of its LV grids in full, the others lumped at the
  MV side of their transformer. Hourly injections: SimBench's relative profiles x the nominal values, hourly
  means of the quarter hours, summed over what each lumped element replaces.

The analysis, timed as one (``complete_s``), on the grid as loaded (the load/conversion time is reported
apart as ``load_s``):

1. power flow: :func:`gridcore.network.powerflow.run_powerflow` (pandapower Newton-Raphson, numba off),
   with violations;
2. time series: :func:`gridcore.network.timeseries.run_timeseries` over ``--hours`` hours (power-grid-model
   batch, conversion included), then constraint flags;
3. N-1: :func:`gridcore.network.contingency.contingency_analysis` over every line and transformer
   (lightsim2grid engine).

``cold_s`` is the first run in the process (imports of the engines and their first use included);
``complete_s`` the median of ``--repeat`` runs after it. Goal: under 30 s (the seed's bar), aim under 5 s.

Peer (unless ``--no-peer``): the same analysis with pandapower alone, as the issue's baseline: the power
flow, a ``pp.runpp`` loop over the hours (numba on, compiled in a warm-up not counted), and the N-1
reference loop (``engine="pandapower"``) on ``--peer-sample`` outages extrapolated to all. Ratio: peer /
ours. The machine is shared (2 cores): the load average is recorded before and after each grid.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
GOAL_S, AIM_S = 30.0, 5.0


def simbench_mv(times: pd.DatetimeIndex) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The default grid and its hourly injections."""
    from gridcore.network.grid import load_grid, pandapower_net
    from gridcore.network.timeseries import hourly_injections

    p, q, sgen, _ = hourly_injections(load_grid(), times)
    return pandapower_net(), p, q, sgen


def simbench_mvlv_1k(times: pd.DatetimeIndex) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The ~1,000-bus MV+LV grid and its hourly injections, lumped as its loads and generators are."""
    import simbench as sb
    from bench_contingency import MVLV_CODE, mvlv_1k

    net = sb.get_simbench_net(MVLV_CODE)
    start = pd.Timestamp("2016-01-01T00:00Z")
    quarters = ((times[0] - start) // pd.Timedelta(minutes=15)) + np.arange(4 * len(times))
    full = net.profiles
    window = {k: v.iloc[quarters].reset_index(drop=True) for k, v in full.items() if len(v) > quarters[-1]}
    net.profiles = {**full, **window}  # the empty tables (storage, ...) as they are
    absolute = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    net.profiles = full

    def hourly(key: tuple[str, str]) -> pd.DataFrame:
        quarter = absolute[key].to_numpy(dtype=np.float64)
        return pd.DataFrame(quarter.reshape(len(times), 4, -1).mean(axis=1), columns=absolute[key].columns)

    series = {key: hourly(key) for key in (("load", "p_mw"), ("load", "q_mvar"), ("sgen", "p_mw"))}
    net = mvlv_1k(net)

    def injections(table: str, column: str) -> np.ndarray:
        src = series[(table, column)]
        cols = []
        for idx, lumped in net[table]["lumped_from"].items():
            cols.append(src[list(lumped)].sum(axis=1) if isinstance(lumped, tuple) else src[idx])
        return np.column_stack(cols)

    return net, injections("load", "p_mw"), injections("load", "q_mvar"), injections("sgen", "p_mw")


def analysis(net: Any, times: pd.DatetimeIndex, p: np.ndarray, q: np.ndarray, sgen: np.ndarray) -> dict:
    """Power flow, time series, N-1: seconds of each and the headline results."""
    from gridcore.network.contingency import contingency_analysis
    from gridcore.network.powerflow import run_powerflow
    from gridcore.network.timeseries import constraint_flags, run_timeseries

    t0 = time.perf_counter()
    pf = run_powerflow(net)
    t1 = time.perf_counter()
    ts = run_timeseries(net, times, p, q, sgen)
    flags = constraint_flags(ts, net.bus["vn_kv"])
    t2 = time.perf_counter()
    n1 = contingency_analysis(net)
    t3 = time.perf_counter()
    return {
        "powerflow_s": t1 - t0,
        "timeseries_s": t2 - t1,
        "n1_s": t3 - t2,
        "complete_s": t3 - t0,
        "pf_violations": len(pf.violations),
        "ts_converged_hours": int(ts.converged.sum()),
        "ts_violation_hours": int(pd.concat(flags.values(), axis=1).any(axis=1).sum()),
        "n1_outages": len(n1.outages),
        "n1_critical": int(n1.outages["critical"].sum()),
    }


def peer(
    net: Any, times: pd.DatetimeIndex, p: np.ndarray, q: np.ndarray, sgen: np.ndarray, sample: int
) -> dict:
    """The same analysis with pandapower alone; N-1 on a sample of outages, extrapolated."""
    from gridcore.network.contingency import contingency_analysis
    from gridcore.network.powerflow import run_powerflow
    from gridcore.network.timeseries import run_timeseries

    run_timeseries(net, times[:2], p[:2], q[:2], sgen[:2], engine="pandapower", numba=True)  # JIT warm-up
    t0 = time.perf_counter()
    run_powerflow(net)
    t1 = time.perf_counter()
    run_timeseries(net, times, p, q, sgen, engine="pandapower", numba=True)
    t2 = time.perf_counter()
    fast = contingency_analysis(net)
    outages = list(fast.outages.index)
    rng = np.random.default_rng(0)
    chosen = [outages[i] for i in rng.choice(len(outages), size=min(sample, len(outages)), replace=False)]
    t3 = time.perf_counter()
    contingency_analysis(net, elements=chosen, engine="pandapower")
    n1 = (time.perf_counter() - t3) * len(outages) / len(chosen)
    return {
        "powerflow_s": t1 - t0,
        "timeseries_s": t2 - t1,
        "n1_s_extrapolated": n1,
        "n1_outages_timed": len(chosen),
        "complete_s": (t2 - t0) + n1,
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hours", type=int, default=168)
    ap.add_argument("--start", default="2016-07-04T00:00Z")
    ap.add_argument("--peer-sample", type=int, default=60)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--grids", default="simbench_mv,simbench_mvlv_1k", help="Comma-separated.")
    args = ap.parse_args()
    times = pd.date_range(pd.Timestamp(args.start).tz_convert("UTC"), periods=args.hours, freq="1h")
    makers: dict[str, Callable[[pd.DatetimeIndex], tuple[Any, np.ndarray, np.ndarray, np.ndarray]]] = {
        "simbench_mv": simbench_mv,
        "simbench_mvlv_1k": simbench_mvlv_1k,
    }
    results = {}
    for name in args.grids.split(","):
        make = makers[name]
        before = load_average()
        t = time.perf_counter()
        net, p, q, sgen = make(times)
        load_s = time.perf_counter() - t
        cold = analysis(net, times, p, q, sgen)
        runs = [analysis(net, times, p, q, sgen) for _ in range(args.repeat)]
        median = {
            k: statistics.median(r[k] for r in runs)
            for k in ("powerflow_s", "timeseries_s", "n1_s", "complete_s")
        }
        row: dict[str, Any] = {
            "buses": len(net.bus),
            "lines": len(net.line),
            "trafos": len(net.trafo),
            "loads": len(net.load),
            "sgens": len(net.sgen),
            "hours": args.hours,
            "load_s": round(load_s, 3),
            "cold_s": round(cold["complete_s"], 3),
            **{k: round(v, 3) for k, v in median.items()},
            "runs_complete_s": [round(r["complete_s"], 3) for r in runs],
            **{
                k: runs[-1][k]
                for k in (
                    "pf_violations",
                    "ts_converged_hours",
                    "ts_violation_hours",
                    "n1_outages",
                    "n1_critical",
                )
            },
            "goal_s": GOAL_S,
            "aim_s": AIM_S,
            "meets_goal": median["complete_s"] < GOAL_S,
            "meets_aim": median["complete_s"] < AIM_S,
        }
        if not args.no_peer:
            ref = peer(net, times, p, q, sgen, args.peer_sample)
            row["peer_pandapower"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in ref.items()}
            row["ratio_peer_to_ours"] = round(ref["complete_s"] / median["complete_s"], 1)
        row["load_average_before_after"] = [before, load_average()]
        results[name] = row
        print(f"{name}: {json.dumps(row)}", flush=True)
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "start": f"{times[0]:%Y-%m-%dT%H:%MZ}",
        "grids": results,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "" if len(results) == len(makers) else "-" + "-".join(results)
    (OUT / f"grid_complete{suffix}.json").write_text(json.dumps(out, indent=1))
    header = ["grid", "buses", "power flow [s]", "168 h time series [s]", "N-1 [s] (outages)", "complete [s]"]
    header += ["cold [s]", "pandapower alone [s]", "ratio"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for name, r in results.items():
        cells = [name, r["buses"], r["powerflow_s"], r["timeseries_s"], f"{r['n1_s']} ({r['n1_outages']})"]
        cells += [r["complete_s"], r["cold_s"], r.get("peer_pandapower", {}).get("complete_s", "")]
        cells += [r.get("ratio_peer_to_ours", "")]
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
