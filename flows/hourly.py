"""The hourly operations flow: ingest the AMI, SCADA and weather feeds, validate, aggregate, persist, report.

Later steps of the design (topology update, forecasts, power flow, batteries, shedding, prices) slot in
after ``persist_hour`` and read what it wrote.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger, unmapped
from prefect.futures import PrefectFuture

from flows.demand import forecast_from_champions
from gridcore.data.quality import feed_summary
from gridcore.data.synthetic import fleet_blocks
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED, default_system
from tasks.cache import drop_cached_results
from tasks.common import Count, UtcTime, artifact_key, flow, hour_run_id, parse_hour, store_path
from tasks.constraints import update_constraints
from tasks.hooks import record_failure
from tasks.hourly import ami_block, grid_feeds, persist_hour
from tasks.limits import hour_slot, store_slot
from tasks.meters import publish_summary
from tasks.runner import dask_runner

#: Longest an hourly run may take before Prefect fails it [s] (a normal hour takes seconds).
HOURLY_TIMEOUT_S = 3600
#: Hours ahead the hourly flow updates the constraint periods for [h].
CONSTRAINT_UPDATE_H = 24


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
        "sensors": feed_summary(scada),
        "weather": feed_summary(weather),
    }


def hourly_cycle(hour: pd.Timestamp, store: str, meters: int, seed: int) -> dict[str, object]:
    """One hour's tasks, submitted to the flow's task runner (called inside a flow)."""
    return finish_hour(store, hour, submit_hour(hour, meters, seed), meters, seed)


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
) -> dict[str, object]:
    """Run the hourly operations cycle for the hour containing ``at`` (UTC).

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
        Update the constraint periods of the next ``CONSTRAINT_UPDATE_H`` hours on the latest forecasts
        (:func:`tasks.constraints.update_constraints`), once the daily flow has written a look-ahead to
        update (skipped, and said so, before: the bare hourly cycle stays free of the power flow).

    Returns
    -------
    dict
        store, hour, run_id, readings_in, readings_valid, quarantined, feeders, ..., seconds.
    """
    t0 = time.perf_counter()
    hour, root = parse_hour(at, "at"), store_path(store)
    logger = get_run_logger()
    logger.info("hourly cycle of %s into %s (%d meters)", f"{hour:%Y-%m-%dT%H:%M}Z", root, meters)
    with store_slot(root):
        out = hourly_cycle(hour, root, meters, seed)
        if forecast:
            out["demand_forecast"] = forecast_from_champions(hour + pd.Timedelta(hours=1), root)
            skipped = out["demand_forecast"].get("skipped")
            logger.info(
                "demand forecast: %s",
                f"skipped ({skipped})" if skipped else f"updated from {hour + pd.Timedelta(hours=1):%H:%M}Z",
            )
        if constraints:
            from gridcore.lookahead import list_constraint_periods

            if list_constraint_periods(root):
                out["constraints"] = update_constraints(
                    root, hour + pd.Timedelta(hours=1), CONSTRAINT_UPDATE_H, artifact=False
                )
            else:
                out["constraints"] = {"skipped": "no look-ahead in the store yet (the daily flow writes it)"}
                logger.info("constraint periods: skipped (no look-ahead in the store yet)")
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out
