"""Bench: the default 1,200-unit fleet over the profile year, 52 weekly schedules.

168 h each, perfect foresight within the week, each week starting from the SoC the previous one ended at;
against no storage and the rule.

    uv run python bench/bench_storage_year.py [--weeks 52]

Writes bench/out/storage_year.json: utilization, curtailment and self-sufficiency per week and for the year.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--start", default="2016-01-04T00:00Z")
    args = parser.parse_args()

    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet
    from gridcore.storage.metrics import energy_figures
    from gridcore.storage.plan import fleet_inputs
    from gridcore.storage.rule import no_storage, rule_based
    from gridcore.storage.schedule import schedule_batch

    grid = load_grid()
    fleet = default_fleet(grid)
    soc = {"rule": fleet["soc_init_frac"].to_numpy(), "optimized": fleet["soc_init_frac"].to_numpy()}
    totals = {
        k: {"renewable_mwh": 0.0, "curtailment_mwh": 0.0, "import_mwh": 0.0, "demand_mwh": 0.0}
        for k in ("none", "rule", "optimized")
    }
    weeks = []
    t0 = time.perf_counter()
    for w in range(args.weeks):
        start = pd.Timestamp(args.start) + pd.Timedelta(days=7 * w)
        row = {"week_start": start.isoformat()}
        for name in ("none", "rule", "optimized"):
            units = fleet.copy()
            if name != "none":
                units["soc_init_frac"] = soc[name]
            site = fleet_inputs(grid, units, start, 168)
            if name == "none":
                blocks = no_storage(site)
            elif name == "rule":
                blocks = rule_based(site)
            else:
                r = schedule_batch(site)
                assert r.solved.all(), f"week {start}: {r.reasons}"
                blocks = r.values
            if name != "none":
                soc[name] = np.clip(
                    blocks[:, 2, -1] / units["energy_mwh"].to_numpy(),
                    units["soc_min_frac"],
                    units["soc_max_frac"],
                )
            fig = energy_figures(site, blocks)
            row[name] = round(fig["utilization_pct"], 3)
            totals[name]["renewable_mwh"] += fig["renewable_mwh"]
            totals[name]["curtailment_mwh"] += fig["curtailment_mwh"]
            totals[name]["import_mwh"] += fig["import_mwh"]
            totals[name]["demand_mwh"] += float(site.load_mw.sum())
        weeks.append(row)
        print(
            f"week {w + 1}/{args.weeks} {start:%Y-%m-%d}: {row}  {time.perf_counter() - t0:.0f} s", flush=True
        )
    year = {
        name: {
            "utilization_pct": round(100 * (1 - t["curtailment_mwh"] / t["renewable_mwh"]), 2),
            "curtailment_mwh": round(t["curtailment_mwh"], 2),
            "renewable_mwh": round(t["renewable_mwh"], 2),
            "self_sufficiency_pct": round(100 * (1 - t["import_mwh"] / t["demand_mwh"]), 2),
        }
        for name, t in totals.items()
    }
    gain = {
        "optimized_vs_none_pct": round(
            100 * (year["optimized"]["utilization_pct"] / year["none"]["utilization_pct"] - 1), 2
        ),
        "rule_vs_none_pct": round(
            100 * (year["rule"]["utilization_pct"] / year["none"]["utilization_pct"] - 1), 2
        ),
        "optimized_vs_rule_pct": round(
            100 * (year["optimized"]["utilization_pct"] / year["rule"]["utilization_pct"] - 1), 2
        ),
    }
    result = {
        "units": len(fleet),
        "weeks": args.weeks,
        "year": year,
        "gain": gain,
        "seconds": round(time.perf_counter() - t0, 1),
        "per_week": weeks,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "storage_year.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "per_week"}, indent=2))


if __name__ == "__main__":
    main()
