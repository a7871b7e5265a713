"""Prefect flows of the battery fleet: schedules fanned out per batch on Dask (algorithms in gridcore)."""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger

from gridcore.storage.options import BATCH_SIZE, INPUTS
from tasks.common import UtcTime, artifact_key, flow, parse_hour, store_path
from tasks.runner import dask_runner


@flow(name="storage-schedule", task_runner=dask_runner(), log_prints=True, persist_result=True)
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
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet, read_fleet
    from gridcore.storage.plan import (
        assemble,
        batches,
        enforce_feeder_limits,
        feeder_limits_mw,
        fleet_inputs,
        fleet_summary,
        gap_pct,
        other_net_load,
    )
    from gridcore.storage.store import write_schedule
    from tasks.batteries import schedule_batteries

    t0 = time.perf_counter()
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be 'profiles' or 'forecast', got {inputs!r}")
    issue = parse_hour(at, "at") if at else parse_hour(None) + pd.Timedelta(hours=2)
    root = store_path(store)
    grid = load_grid()
    feeders = derive_feeders(grid)
    fleet = read_fleet(fleet_file, grid) if fleet_file else default_fleet(grid, bus_feeder=feeders.bus_feeder)
    site = fleet_inputs(grid, fleet, issue, horizon)
    actual = site
    used = {"renewables": "profiles", "demand": "profiles"}
    if inputs == "forecast":
        site, used = _forecast_site(root, grid, fleet, issue, horizon)
    elif inputs != "profiles":
        raise ValueError(f"inputs must be 'profiles' or 'forecast', got {inputs!r}")
    parts = batches(len(fleet), batch_size)
    futures = [
        schedule_batteries.submit(site.subset(s), str(fleet.index[s][0]), str(fleet.index[s][-1]), solver)
        for s in parts
    ]
    results = [f.result() for f in futures]
    t_solved = time.perf_counter()
    schedule = assemble(site, results)
    limits = feeder_limits_mw(grid, feeders.head_line)
    # where the per-battery schedules together break a feeder's limit, that feeder is re-solved as one LP
    other = other_net_load(grid, feeders.bus_feeder, site)
    coupled = enforce_feeder_limits(site, schedule, limits, other, solver)
    figures_on = schedule
    if actual is not site:
        from dataclasses import replace

        from gridcore.storage.plan import settle

        figures_on = replace(schedule, blocks=settle(actual, schedule.blocks))
    if actual is not site:
        other = other_net_load(grid, feeders.bus_feeder, actual)
    out = fleet_summary(actual, figures_on, limits, other)
    out["feeder_coupled"] = coupled
    if actual is not site:  # the plan's optimality is a property of the plan, on its own inputs
        out["gap_pct"] = gap_pct(site, schedule)
    out = {
        "issue_time": issue.isoformat(),
        "horizon_h": horizon,
        "inputs": used,
        **out,
        "batches": len(parts),
        "solve_wall_seconds": round(t_solved - t0, 3),
        "solver_seconds_sum": round(schedule.solve_seconds, 3),
    }
    out["written"] = write_schedule(root, site, schedule.blocks, schedule.method, schedule.status, out)
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
    _publish(issue, out)
    return out


def _forecast_site(root: str, grid, fleet, issue: pd.Timestamp, horizon: int):  # noqa: ANN001, ANN202
    """Site inputs from the forecasts stored for ``issue`` and what was used."""
    from gridcore.forecast.store import read_demand_forecast, read_renewable_forecast
    from gridcore.storage.plan import forecast_inputs

    try:
        renewables = read_renewable_forecast(root, issue)
    except (FileNotFoundError, KeyError, ValueError) as err:
        raise ValueError(
            f"no renewable forecast issued {issue.isoformat()} in {root} ({err}); run "
            f"`gridflow forecast renewables --at {issue:%Y-%m-%dT%H:%MZ}` first"
        ) from err
    try:
        demand = read_demand_forecast(root, issue)
    except (FileNotFoundError, KeyError, ValueError):
        demand = None
    used = {
        "renewables": f"forecast {issue:%Y-%m-%dT%H:%MZ}",
        "demand": f"forecast {issue:%Y-%m-%dT%H:%MZ}" if demand is not None else "profiles",
    }
    return forecast_inputs(grid, fleet, renewables, demand, horizon), used


def _publish(issue: pd.Timestamp, out: dict[str, object]) -> None:
    from prefect.artifacts import create_markdown_artifact

    u, c = out["utilization_pct"], out["curtailment_mwh"]
    lines = [
        f"# Battery schedule {issue:%Y-%m-%dT%H:%MZ}",
        f"{out['solved']} of {out['units']} units optimized, {len(out['infeasible'])} on the rule fall-back, "
        f"{out['seconds']} s.",
        "",
        "| | none | rule | optimized |",
        "|---|---:|---:|---:|",
        f"| renewable utilization % | {u['none']} | {u['rule']} | {u['optimized']} |",
        f"| curtailment MWh | {c['none']} | {c['rule']} | {c['optimized']} |",
    ]
    create_markdown_artifact("\n".join(lines), key=artifact_key(f"storage-{issue:%Y%m%dT%H}"))
