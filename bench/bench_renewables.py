"""Benchmark: renewable backtests on the full GEFCom files, beside persistence and climatology.

Run by hand: ``uv run python bench/bench_renewables.py [--test-days 28]``. Prints, per file, nMAE and nRMSE
[% of capacity], 80 % interval coverage, pinball, the baselines on the same hours and the ratio of the
model's nMAE to each baseline's (below 1 is better). Reads the shared data folder (bench only).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gridcore.forecast.renewables import backtest_renewables, renewable_forecaster

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = {
    "solar": (SHARED / "solar" / "gefcom2014_solar.csv.gz", 24),
    "wind": (SHARED / "wind" / "gefcom2012_wind.csv.gz", 48),
}


def main() -> None:
    """Backtest both files and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--test-days", type=int, default=28)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = {}
    for kind, (path, horizon) in FILES.items():
        t0 = time.perf_counter()
        forecaster = renewable_forecaster(path, kind)
        s = backtest_renewables(forecaster, horizon=horizon, test_days=args.test_days).summary
        p, c = s["baselines"]["persistence"], s["baselines"]["climatology"]
        rows[kind] = {
            "file": path.name,
            "test": f"{s['test_start']} - {s['test_end']}",
            "horizon_h": horizon,
            "n_origins": s["n_origins"],
            "nmae_pct": s["nmae_pct"],
            "nrmse_pct": s["nrmse_pct"],
            "coverage_80_pct": s["coverage_80_pct"],
            "pinball": s["pinball"],
            "persistence": p,
            "climatology": c,
            "ratio_nmae_to_persistence": round(s["nmae_pct"] / p["nmae_pct"], 3),
            "ratio_nmae_to_climatology": round(s["nmae_pct"] / c["nmae_pct"], 3),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        r = rows[kind]
        if not args.json:
            print(  # noqa: T201 (bench output)
                f"{kind:5s} {r['test']} ({r['n_origins']} origins x {horizon} h): "
                f"nMAE {r['nmae_pct']:.2f} % (persistence {p['nmae_pct']:.2f}, "
                f"climatology {c['nmae_pct']:.2f}), nRMSE {r['nrmse_pct']:.2f} % "
                f"(persistence {p['nrmse_pct']:.2f}, climatology {c['nrmse_pct']:.2f}), "
                f"coverage 80 % {r['coverage_80_pct']:.1f}, pinball {r['pinball']:.4f}, "
                f"ratio to persistence {r['ratio_nmae_to_persistence']}, to climatology "
                f"{r['ratio_nmae_to_climatology']}, {r['seconds']} s"
            )
    if args.json:
        print(json.dumps(rows))  # noqa: T201 (bench output)


if __name__ == "__main__":
    main()
