"""The hourly operations flow: the chain from meters to decisions, one Prefect DAG, every step a task.

ingest (AMI blocks and grid feeds, read and validated, fanned out) -> feeder load (persisted) -> topology in
force -> demand forecast (per feeder group, fanned out) and the check of the hour's forecast against what the
meters said (a forecast that was wrong re-plans on a corrected one) -> renewables -> constraint periods on the
forecasts -> battery schedules (per batch, fanned out) -> the constraints that remain with the schedules (to
the store) -> prices (the market cleared over the horizon, its balance) -> shedding where a constraint remains
(per event, fanned out) -> monitoring (the hour's anomalies) -> the run's report. Each step
reads what the one before wrote to the store; a step that fails or has nothing to do skips what needs it,
with the reason, and the rest goes on (:class:`tasks.chain.Chain`; the JSON's ``steps``). What each step
needs is :data:`tasks.chain.HOURLY`.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger, unmapped
from prefect.futures import PrefectFuture

from flows.demand import forecast_from_champions
from gridcore.data.quality import feed_summary
from gridcore.data.synthetic import fleet_blocks
from gridcore.monitor.hour import check_store_grid
from gridcore.network.grid import default_code
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED, default_system
from tasks.cache import drop_cached_results
from tasks.chain import COMPLETED, HOURLY, SKIPPED, Chain
from tasks.common import Count, UtcTime, artifact_key, flow, hour_run_id, parse_hour, store_path
from tasks.constraints import update_constraints
from tasks.hooks import record_failure
from tasks.hourly import ami_block, grid_feeds, persist_hour
from tasks.limits import hour_slot, store_slot
from tasks.market import market_horizon
from tasks.meters import publish_summary
from tasks.monitor import monitor_hour
from tasks.renewables import forecast_renewables
from tasks.replan import check_hour, correct_demand
from tasks.report import publish_run_report
from tasks.runner import dask_runner
from tasks.shedding import plan_shedding
from tasks.topology import topology_in_force

#: Longest an hourly run may take before Prefect fails it [s] (a normal hour takes seconds).
HOURLY_TIMEOUT_S = 3600
#: Hours ahead the hourly flow updates the renewables, the constraint periods and the schedules for [h].
CONSTRAINT_UPDATE_H = 24
#: Hours ahead the hourly flow plans shedding for (later periods are re-planned by the next runs) [h].
SHED_WINDOW_H = 6


def submit_hour(hour: pd.Timestamp, meters: int, seed: int) -> tuple[list[PrefectFuture], PrefectFuture]:
    """Submit an hour's reading and validation: one task per block of meters, one for the grid feeds."""
    default_system(meters, seed)  # grid (cache built or healed) and fleet once, before the threads fan out
    blocks = list(range(len(fleet_blocks(meters))))
    return ami_block.map(unmapped(hour), blocks, unmapped(meters), unmapped(seed)), grid_feeds.submit(
        hour, meters, seed
    )


def finish_hour(
    store: str,
    hour: pd.Timestamp,
    futures: tuple[list[PrefectFuture], PrefectFuture],
    meters: int,
    seed: int,
    deferred: list | None = None,
) -> dict[str, object]:
    """Persist a submitted hour and return its figures (called inside a flow, one hour at a time).

    The hour's concurrency slot is held while it is written (:func:`tasks.limits.hour_slot`). With
    ``deferred`` (a list), the hour's quality entries are appended to it instead of written.
    """
    blocks, feeds = futures
    run_id = hour_run_id(hour)
    scada, _, weather = feeds.result()
    block_results = [b.result() for b in blocks]
    with hour_slot(hour):
        ami, loads, entries = persist_hour(
            store, hour, block_results, feeds.result(), run_id, meters, seed, deferred is None
        )
        summary = publish_summary(f"Hourly cycle {run_id}", artifact_key(run_id), ami, loads, meters, seed)
    if deferred is not None:
        deferred.extend(entries)
    get_run_logger().info(
        "%s: %d readings in, %d valid, quarantined %s; %d feeders, system %s MW, lowest coverage %s %%",
        run_id,
        summary["readings_in"],
        summary["readings_valid"],
        summary["quarantined"] or "none",
        summary["feeders"],
        summary.get("system_p_mw"),
        summary.get("coverage_pct_min"),
    )
    return {
        "store": store,
        "hour": f"{hour:%Y-%m-%dT%H:%M:%S}Z",
        "run_id": run_id,
        **summary,
        "sensors": feed_summary(scada).to_dict(),
        "weather": feed_summary(weather).to_dict(),
    }


@flow(
    name="hourly-operations",
    task_runner=dask_runner(),
    log_prints=True,
    persist_result=True,
    timeout_seconds=HOURLY_TIMEOUT_S,
    on_failure=[record_failure],
    on_completion=[drop_cached_results],
)
def hourly(
    at: UtcTime | None = None,
    store: str | None = None,
    meters: Count = DEFAULT_METERS,
    seed: int = DEFAULT_SEED,
    forecast: bool = True,
    constraints: bool = True,
    loading_limit_pct: float = 100.0,
    report: bool = True,
) -> dict[str, object]:
    """Run the hourly operations chain for the hour containing ``at`` (UTC).

    Parameters
    ----------
    at : str, optional
        ISO 8601 time with offset; the last complete hour when omitted.
    store : str, optional
        Store root; GRIDFLOW_STORE or ./gridflow-store when omitted.
    meters : int
        Fleet size of the synthetic AMI feed.
    seed : int
        Seed of the fleet and the feed.
    forecast : bool
        Update the demand forecast from the next hour with the registry's champions (skipped, and said
        so, while there are none).
    constraints : bool
        Run the decision steps on the forecasts of the next ``CONSTRAINT_UPDATE_H`` hours: renewables,
        constraint periods, battery schedules, the constraints that remain (to the store), shedding. They
        need the demand forecast: without a champion model they are skipped, and said so (the bare hourly
        cycle stays free of the power flow).
    loading_limit_pct : float
        Thermal limit of lines and transformers for the constraints and the shedding plans [% of rating]
        (below 100 for lines derated by heat).
    report : bool
        Draw the report's figures (the Markdown artifact and its table are always published).

    Returns
    -------
    dict
        store, hour, run_id, readings_in, readings_valid, quarantined, feeders, ..., demand_forecast,
        forecast_check, constraints_found, batteries, constraints, shedding, report, steps, seconds.
    """
    t0 = time.perf_counter()
    hour, root = parse_hour(at, "at"), store_path(store)
    check_store_grid(root, default_code(), "grid")  # another grid's fleet never lands in this store's rows
    nxt = hour + pd.Timedelta(hours=1)
    logger = get_run_logger()
    logger.info("hourly cycle of %s into %s (%d meters)", f"{hour:%Y-%m-%dT%H:%M}Z", root, meters)
    chain = Chain(hour, HOURLY)
    with store_slot(root):
        futures = submit_hour(hour, meters, seed)
        for future in [*futures[0], futures[1]]:
            future.wait()
        chain.record("ingest", COMPLETED, time.perf_counter() - t0)
        t1 = time.perf_counter()
        out = finish_hour(root, hour, futures, meters, seed)
        chain.record("feeder_load", COMPLETED, time.perf_counter() - t1)
        chain.step("topology", topology_in_force, root, nxt)
        if forecast:
            demand = chain.step("demand_forecast", forecast_from_champions, nxt, root)
            out["demand_forecast"] = chain.result("demand_forecast", demand)
        check = chain.step("forecast_check", check_hour, root, hour)
        out["forecast_check"] = chain.result("forecast_check", check)
        if constraints:
            _decide(chain, out, root, nxt, loading_limit_pct)
        monitor = chain.step("monitoring", monitor_report, root, hour)
        out["monitoring"] = chain.result("monitoring", monitor)
        out["steps"] = chain.to_dict()
        out["report"] = chain.step(
            "report",
            publish_run_report,
            root,
            artifact_key(f"chain-{hour_run_id(hour)}"),
            f"Hourly chain {hour_run_id(hour)}",
            nxt,
            out,
            None,
            loading_limit_pct,
            report,
        )
    out["steps"] = chain.to_dict()
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _decide(chain: Chain, out: dict[str, object], root: str, issue: pd.Timestamp, limit: float) -> None:
    """The decision steps of the chain from ``issue`` (inside the flow): see the module docstring."""
    from flows.storage_schedule import schedule_fleet

    horizon = CONSTRAINT_UPDATE_H
    check = out.get("forecast_check", {})
    if isinstance(check, dict) and check.get("replan"):
        out["replan"] = chain.step("replan", correct_demand, root, issue, check["ratios"])
        out["replan"] = chain.result("replan", out["replan"])
    else:
        reason = check.get("reason") or check.get("skipped") or "no forecast check"
        chain.record("replan", SKIPPED, reason=str(reason))
        out["replan"] = {"skipped": str(reason)}
    chain.step("renewables", forecast_renewables, root, issue, horizon)
    found = chain.step(
        "constraints",
        update_constraints,
        root,
        issue,
        horizon,
        artifact=False,
        loading_limit_pct=limit,
        batteries=False,
        write=False,
    )
    out["constraints_found"] = chain.result("constraints", found)
    batteries = chain.step("batteries", schedule_fleet, issue, horizon, root, "forecast")
    out["batteries"] = chain.result("batteries", batteries)
    remaining = chain.step(
        "constraints_remaining",
        update_constraints,
        root,
        issue,
        horizon,
        artifact=False,
        loading_limit_pct=limit,
    )
    out["constraints"] = chain.result("constraints_remaining", remaining)
    prices = chain.step("prices", market_prices, root, issue, horizon)
    out["prices"] = chain.result("prices", prices)
    shed = chain.step("shedding", plan_shedding, root, issue, SHED_WINDOW_H, None, limit)
    out["shedding"] = chain.result("shedding", shed)


def market_prices(store: str, issue: pd.Timestamp, horizon_h: int) -> dict[str, object]:
    """The prices step (inside a flow): the market cleared over the horizon; its figures and hourly prices."""
    summary = market_horizon(store, issue, horizon_h, None, False)
    prices = summary.frame["price_per_mwh"]
    by_hour = {f"{pd.Timestamp(t):%Y-%m-%dT%H:%MZ}": round(float(p), 4) for t, p in prices.items()}
    return {**summary.to_dict(), "price_per_mwh_by_hour": by_hour}


def monitor_report(store: str, at: pd.Timestamp) -> dict[str, object]:
    """The monitoring step (inside a flow): the hour's anomalies, the first 20 listed, ``high`` counted."""
    report = monitor_hour(store, at)
    return {**report.to_dict(limit=20), "high": len(report.high())}
