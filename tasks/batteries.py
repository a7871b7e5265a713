"""Prefect tasks of the battery scheduler (no algorithm here).

One task per batch of batteries (never one per battery); the plan's inputs read from the store, the schedule
written to it and its artifact.
"""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact

from gridcore.network.grid import load_grid
from gridcore.storage.fleet import read_fleet
from gridcore.storage.fleet_plan import FleetPlan, PlanForecasts
from gridcore.storage.schedule import BatchResult, SiteInputs, schedule_batch
from gridcore.storage.store import read_plan_forecasts, write_schedule
from tasks.cache import hour_key
from tasks.common import artifact_key
from tasks.policy import TIMEOUT_REPORT_S, compute_task, store_task


@task(
    task_run_name="schedule-batteries-{first}-{last}",
    **compute_task(key=hour_key("issue", "first", "last", "solver", "site.hours")),
)
def schedule_batteries(
    site: SiteInputs, issue: pd.Timestamp, first: str, last: str, solver: str = "auto"
) -> BatchResult:
    """Solve the LPs of one batch planned from ``issue`` (``first`` .. ``last`` name its batteries)."""
    return schedule_batch(site, solver=solver)


@task(
    task_run_name="plan-inputs-{issue:%Y%m%dT%H}Z",
    **store_task(key=hour_key("issue", "inputs", "fleet_file")),
)
def plan_inputs(
    store: str, issue: pd.Timestamp, inputs: str, fleet_file: str | None = None
) -> tuple[PlanForecasts | None, pd.DataFrame | None]:
    """The forecasts a plan from ``issue`` is planned on (None: the profiles) and the fleet file's table.

    See :func:`gridcore.storage.store.read_plan_forecasts`; without ``fleet_file`` the table is None (the
    grid's default fleet).
    """
    forecasts = read_plan_forecasts(store, issue, inputs)
    return forecasts, read_fleet(fleet_file, load_grid()) if fleet_file else None


@task(task_run_name="write-schedule-{issue:%Y%m%dT%H}Z", **store_task(key=hour_key("issue")))
def write_fleet_schedule(store: str, issue: pd.Timestamp, plan: FleetPlan) -> str:
    """Write the plan's schedules and figures to ``<store>/storage_schedule/<issue>.zarr``; the path."""
    s = plan.schedule
    return write_schedule(store, plan.site, s.blocks, s.method, s.status, plan.to_dict())


@task(**store_task(TIMEOUT_REPORT_S, hour_key("issue")))
def publish_schedule(issue: pd.Timestamp, figures: dict[str, object]) -> None:
    """Publish the schedule's figures (utilization, curtailment) as a markdown artifact."""
    u, c = figures["utilization_pct"], figures["curtailment_mwh"]
    lines = [
        f"# Battery schedule {issue:%Y-%m-%dT%H:%MZ}",
        f"{figures['solved']} of {figures['units']} units optimized, {len(figures['infeasible'])} on the "
        f"rule fall-back, {figures['seconds']} s.",
        "",
        "| | none | rule | optimized |",
        "|---|---:|---:|---:|",
        f"| renewable utilization % | {u['none']} | {u['rule']} | {u['optimized']} |",
        f"| curtailment MWh | {c['none']} | {c['rule']} | {c['optimized']} |",
    ]
    create_markdown_artifact("\n".join(lines), key=artifact_key(f"storage-{issue:%Y%m%dT%H}"))
