"""Bench: the hourly DAG with every step at 100,000 meters on the default grid, and the daily flow.

    uv run python bench/bench_hourly_dag.py [--meters 100000] [--store DIR] [--keep]

Builds a store as operations would have it: the hours of 2016-07-01 and 2016-07-02 backfilled, the daily
flow of 2016-07-01 (the first: every demand model fitted) and of 2016-07-02 (the steady state: the models
checked, kept or retrained, the 168 h forecasts, renewables, battery schedules, constraint periods), then
two hourly runs at 2016-07-03T13:00Z: as on any day (the default grid in July has no constraint at its
ratings: shedding skips) and with the lines derated to 10 % of their rating (constraints on two feeders:
every step runs, shedding included). Prints the time per step (the flow's ``steps``) and in total, and
the ratio to the goal (the peer here: the hourly DAG under 60 s, the daily under 5 minutes, on the shared
2-core machine). Writes bench/out/hourly_dag.json. A temporary Prefect API is started first, as the CLI
does; its start is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out"
HOURLY_GOAL_S = 60.0
DAILY_GOAL_S = 300.0


def _steps(name: str, out: dict, wall: float, goal: float) -> dict[str, object]:
    print(f"\n{name}: {wall:.1f} s (goal {goal:.0f} s, ratio {wall / goal:.2f})")
    for step, s in out["steps"].items():
        reason = f"  [{s['state']}: {s.get('reason', '')[:70]}]" if s["state"] != "Completed" else ""
        print(f"  {step:24s} {s.get('seconds', 0.0):7.2f} s{reason}")
    return {"seconds": round(wall, 2), "goal_s": goal, "ratio": round(wall / goal, 3), "steps": out["steps"]}


def _artifact_sizes(out: dict) -> dict[str, int]:
    """The run report's artifacts as the Prefect server returns them: key -> size of ``data`` [bytes]."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    key = "chain-" + "".join(c if c.isalnum() else "-" for c in str(out["run_id"]).lower())
    keys = [key, *(f"{key}-{f.replace('_', '-')}" for f in out["report"]["figures"])]
    sizes = {}
    with get_client(sync_client=True) as client:
        for k in keys:
            found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[k])))
            if found:
                sizes[k] = len(str(found[-1].data).encode())
    sizes["total"] = sum(sizes.values())
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=100_000)
    parser.add_argument("--store", default=None, help="Store folder (a temporary one by default).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary store.")
    parser.add_argument(
        "--hourly-only", action="store_true", help="Only the hourly runs, on a --store an earlier run built."
    )
    args = parser.parse_args()

    from cli.server import start_temporary_api, wait_for_api

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    start_temporary_api()
    wait_for_api()
    from flows.backfill import backfill_hourly
    from flows.daily import daily
    from flows.hourly import hourly

    root = args.store or tempfile.mkdtemp(prefix="bench-dag-")
    figures: dict[str, object] = {"meters": args.meters, "store": root}
    if not args.hourly_only:
        t = time.perf_counter()
        backfill_hourly(start="2016-07-01T00:00Z", end="2016-07-03T00:00Z", store=root, meters=args.meters)
        figures["backfill_48h_s"] = round(time.perf_counter() - t, 1)
        print(f"backfill of 48 hours: {figures['backfill_48h_s']} s")
    for key, at in (
        () if args.hourly_only else (("daily_first", "2016-07-01T12:00Z"), ("daily", "2016-07-02T12:00Z"))
    ):
        t = time.perf_counter()
        out = daily(at=at, store=root, meters=args.meters)
        figures[key] = _steps(f"daily flow {at[:10]} ({key})", out, time.perf_counter() - t, DAILY_GOAL_S)
    for key, limit in (("hourly", 100.0), ("hourly_derated", 10.0)):
        t = time.perf_counter()
        out = hourly(at="2016-07-03T13:00Z", store=root, meters=args.meters, loading_limit_pct=limit)
        wall = time.perf_counter() - t
        figures[key] = _steps(
            f"hourly DAG 2016-07-03T13:00Z, loading limit {limit:g} %", out, wall, HOURLY_GOAL_S
        )
        figures[key]["readings_in"] = out["readings_in"]  # type: ignore[index]
        figures[key]["load_average_1_5_15"] = [round(x, 1) for x in os.getloadavg()]  # type: ignore[index]
        figures[key]["report_artifacts"] = _artifact_sizes(out)  # type: ignore[index]
        print(f"  load average {figures[key]['load_average_1_5_15']}")  # type: ignore[index]
        print(f"  report artifacts read back from the server [bytes]: {figures[key]['report_artifacts']}")  # type: ignore[index]
        figures[key]["shedding"] = {
            k: out["shedding"].get(k) for k in ("events", "skipped", "shed_mw", "battery_mw")
        }  # type: ignore[index]
    OUT.mkdir(exist_ok=True)
    name = "hourly_dag_hourly_only.json" if args.hourly_only else "hourly_dag.json"
    (OUT / name).write_text(json.dumps(figures, indent=1, default=str) + "\n")
    print(f"\nwritten {OUT / name}")
    if args.store is None and not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
