"""Bench: the five operating scenarios end to end, from the command line and in process.

    uv run python bench/bench_scenarios.py [--only heat-wave,plant-outage]

* cold: ``gridflow scenario run NAME --json`` in a fresh process and a fresh store (the grid cache warm),
  as the acceptance check runs it; wall time, and its ratio to the goal (60 s per scenario, 300 s the set);
* warm: :func:`gridcore.scenarios.run_scenario` in this process after the first run, with where the time
  goes (grid loading, forecast, power flow, each remedy with its re-checks, report) and the figures.

Writes bench/out/scenarios.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out"
FIVE = ("heat-wave", "cloudy-solar", "plant-outage", "maintenance", "evening-ramp")
GOAL_S, SET_GOAL_S = 60.0, 300.0


def cold(name: str, store: Path) -> tuple[float, dict]:
    """One ``gridflow scenario run`` in a fresh process: wall time [s] and its JSON."""
    t0 = time.perf_counter()
    out = subprocess.run(
        ["uv", "run", "-q", "gridflow", "scenario", "run", name, "--json", "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t0, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(FIVE), help="comma-separated scenario names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    from gridcore.scenarios import load_scenario, run_scenario

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            secs, out = cold(name, Path(tmp) / name)
            warm = run_scenario(load_scenario(name), out_dir=Path(tmp) / "warm" / name)
            rows.append(
                {
                    "scenario": name,
                    "cold_s": round(secs, 2),
                    "ratio_to_goal": round(secs / GOAL_S, 3),
                    "warm_s": round(warm.seconds, 2),
                    "timings_warm_s": warm.timings,
                    **{k: out[k] for k in list(out)[1:8]},
                }
            )
            r = rows[-1]
            print(
                f"{name:13s} cold {r['cold_s']:5.1f} s (goal 60 s, ratio {r['ratio_to_goal']:.2f}), warm "
                f"{r['warm_s']:5.1f} s {r['timings_warm_s']}; found {r['constraints_found']}, resolved "
                f"{r['constraints_resolved']}, critical {r['critical_affected']}, unserved "
                f"{r['unserved_mwh']} MWh, peak -{r['peak_reduction_pct']} %, renewables "
                f"{r['renewable_utilization_pct']} %"
            )
    total = sum(r["cold_s"] for r in rows)
    print(f"set of {len(rows)}: {total:.1f} s cold (goal 300 s, ratio {total / SET_GOAL_S:.2f})")
    OUT.mkdir(exist_ok=True)
    (OUT / "scenarios.json").write_text(json.dumps({"rows": rows, "total_cold_s": total}, indent=1))


if __name__ == "__main__":
    main()
