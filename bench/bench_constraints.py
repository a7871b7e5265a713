"""Constraint periods for 168 h: the default grid and SimBench's 2034 MV grid, ours vs a pandapower loop.

Run: ``uv run python bench/bench_constraints.py [--hours 168] [--repeat 3]``. Writes
``bench/out/constraints.json``. Ours: :func:`gridcore.lookahead.constraint_lookahead` from the profiles
(grid already loaded; the power-grid-model batch, conversion included, and the periods with their relief).
The peer: the same look-ahead on pandapower's own Newton-Raphson, one ``runpp`` per hour. Goal (issue 14):
under 30 s per grid.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

import pandas as pd

warnings.simplefilter("ignore")

GRIDS = ("1-MV-semiurb--0-sw", "1-MV-semiurb--2-sw")
ISSUE = pd.Timestamp("2016-07-01T00:00Z")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=int, default=168)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from gridcore.lookahead import constraint_lookahead
    from gridcore.network.grid_spec import resolve_grid

    out = {}
    for code in GRIDS:
        t = time.perf_counter()
        grid = resolve_grid(code)
        load_s = time.perf_counter() - t
        ours, peer = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            report = constraint_lookahead(grid, ISSUE, args.hours)
            ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = constraint_lookahead(grid, ISSUE, args.hours, engine="pandapower")
        peer.append(time.perf_counter() - t)
        same = [(p.element, p.kind, p.start) for p in report.periods] == [
            (p.element, p.kind, p.start) for p in ref.periods
        ]
        row = {
            "grid": code,
            "hours": args.hours,
            "grid_load_s": round(load_s, 2),
            "ours_s": round(statistics.median(ours), 3),
            "peer_pandapower_s": round(peer[0], 3),
            "ratio": round(statistics.median(ours) / peer[0], 3),
            "periods": len(report.periods),
            "counts": report.to_dict()["counts"],
            "same_periods_as_peer": same,
        }
        out[code] = row
        print(
            f"{code}: {args.hours} h, {row['periods']} periods {row['counts']}: ours {row['ours_s']} s, "
            f"peer (pandapower loop) {row['peer_pandapower_s']} s, ratio {row['ratio']}; grid load "
            f"{row['grid_load_s']} s; same periods as the peer: {same}"
        )
    path = Path(__file__).parent / "out" / "constraints.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
