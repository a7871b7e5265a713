"""Bench: 1,200 batteries x 168 h. The Prefect/Dask flow against the same LPs solved serially in a loop and
as one joint model, in the same run, on the same inputs.

    uv run python bench/bench_storage.py [--repeat 3] [--joint/--no-joint]

Writes bench/out/storage.json. The flow figure includes Prefect (a temporary API server is started first, as
the CLI does) and the Dask runner; the serial loop is `schedule_batch` over the whole fleet in this process;
the joint model is every battery's LP in one block-diagonal model (GLOP).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--joint", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--at", default="2016-07-01T00:00Z")
    args = parser.parse_args()

    from cli.server import start_temporary_api, wait_for_api

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    start_temporary_api()
    wait_for_api()
    from flows.storage_schedule import storage_schedule
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet
    from gridcore.storage.plan import fleet_inputs
    from gridcore.storage.schedule import schedule_batch, schedule_joint

    store = str(OUT / "store")
    flow_runs = []
    for _ in range(args.repeat):
        out = storage_schedule(at=args.at, horizon=168, store=store)
        flow_runs.append(out["seconds"])
    grid = load_grid()
    fleet = default_fleet(grid)
    site = fleet_inputs(grid, fleet, pd.Timestamp(args.at), 168)
    t0 = time.perf_counter()
    serial = schedule_batch(site)
    serial_s = time.perf_counter() - t0
    result = {
        "units": len(fleet),
        "hours": 168,
        "flow_seconds": flow_runs,
        "flow_seconds_best": min(flow_runs),
        "serial_loop_seconds": round(serial_s, 3),
        "serial_objective": float(serial.objective.sum()),
        "flow_objective": out["objective"],
        "utilization_pct": out["utilization_pct"],
        "ratio_flow_to_serial": round(min(flow_runs) / serial_s, 3),
        "load_average": os.getloadavg(),
    }
    if args.joint:
        status, objective, _, joint_s = schedule_joint(site, solver="glop")
        result.update(
            joint_status=status,
            joint_seconds=round(joint_s, 3),
            joint_objective=objective,
            joint_rel_diff=abs(objective - serial.objective.sum()) / abs(objective),
            ratio_flow_to_joint=round(min(flow_runs) / joint_s, 4),
        )
    OUT.mkdir(exist_ok=True)
    (OUT / "storage.json").write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
