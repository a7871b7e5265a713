"""The battery-fleet schedule flow: wiring only, every step a task (no algorithm here).

The plan is :func:`gridcore.storage.fleet_plan.plan_fleet`, its LPs fanned out per batch on Dask; the store is
read and written by tasks.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger

from gridcore.storage.options import BATCH_SIZE
from tasks.cache import drop_cached_results
from tasks.common import UtcTime, flow, parse_hour, store_path
from tasks.runner import dask_runner


def schedule_fleet(
    issue: pd.Timestamp,
    horizon: int,
    root: str,
    inputs: str = "profiles",
    fleet_file: str | None = None,
    batch_size: int = BATCH_SIZE,
    solver: str = "auto",
    t0: float | None = None,
) -> dict[str, object]:
    """Plan, write and publish the fleet's schedules from ``issue`` (called inside a flow).

    The storage-schedule flow and the daily flow both use it. The store is read (:func:`tasks.batteries
    .plan_inputs`) and written (:func:`tasks.batteries.write_fleet_schedule`) by tasks; the plan is
    :func:`gridcore.storage.fleet_plan.plan_fleet`, whose batches of LPs go out as one task each
    (:func:`tasks.batteries.schedule_batteries`) to the flow's task runner. ``seconds`` counts from ``t0``
    (:func:`time.perf_counter`; this call when omitted).
    """
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet_plan import plan_fleet
    from tasks.batteries import plan_inputs, publish_schedule, schedule_batteries, write_fleet_schedule

    t0 = time.perf_counter() if t0 is None else t0

    def solve_on_runner(parts: list, solver: str) -> list:
        futures = [
            schedule_batteries.submit(p, issue, str(p.units.index[0]), str(p.units.index[-1]), solver)
            for p in parts
        ]
        return [f.result() for f in futures]

    forecasts, fleet = plan_inputs(root, issue, inputs, fleet_file)
    plan = plan_fleet(load_grid(), issue, horizon, fleet, forecasts, batch_size, solver, solve_on_runner)
    out = plan.to_dict()
    out["written"] = write_fleet_schedule(root, issue, plan)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    get_run_logger().info(
        "schedules from %s: %s of %s units optimized, %d on the rule, utilization %s %%, written to %s",
        f"{issue:%Y-%m-%dT%H:%M}Z",
        out["solved"],
        out["units"],
        len(out["infeasible"]),
        out["utilization_pct"],
        out["written"],
    )
    publish_schedule(issue, out)
    return out


@flow(
    name="storage-schedule",
    task_runner=dask_runner(),
    log_prints=True,
    persist_result=True,
    on_completion=[drop_cached_results],
)
def storage_schedule(
    at: UtcTime | None = None,
    horizon: int = 168,
    store: str | None = None,
    fleet_file: str | None = None,
    batch_size: int = BATCH_SIZE,
    solver: str = "auto",
    inputs: str = "profiles",
) -> dict[str, object]:
    """Schedule every battery of the fleet from the hour ``at``, write the schedules, report the figures.

    ``inputs="profiles"`` schedules on the grid's profiles (perfect foresight: the figures are the
    schedule's own). ``inputs="forecast"`` schedules on the renewable forecast stored for that issue time
    (and the demand forecast when stored, the profiles otherwise), then settles the plan against the
    profiles hour by hour (:func:`gridcore.storage.plan.settle`): the figures are then what the plan
    achieves on what happened, beside the baselines on the same actual hours.

    The LPs fan out as one Prefect task per batch on the flow's Dask runner; a unit whose LP has no optimum
    falls back to the rule schedule and is listed in ``infeasible``. ``seconds`` is the wall time of the
    whole flow (inputs, Prefect tasks on Dask, figures, store write).
    """
    t0 = time.perf_counter()
    issue = parse_hour(at, "at") if at else parse_hour(None) + pd.Timedelta(hours=2)
    return schedule_fleet(issue, horizon, store_path(store), inputs, fleet_file, batch_size, solver, t0)
