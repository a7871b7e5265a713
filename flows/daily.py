"""The daily planning flow.

Catch up the hours of the day that are missing or incomplete in the store (after a feed or link
outage), publish the day's feeder report, then the model cycle: retrain and promote the demand models as
the policy says and forecast the next 168 h, then the battery fleet: schedules for the next 168 h and the
fleet's state of health (alarms below the threshold); the schedules are planned on the renewable and demand
forecasts of the same issue time. Prices join here as their issue lands.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger

from flows.demand import retrain_and_forecast
from flows.hourly import hourly_cycle
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED
from tasks.cache import drop_cached_results
from tasks.common import Count, UtcTime, artifact_key, flow, parse_hour, store_path
from tasks.constraints import update_constraints
from tasks.hooks import record_failure
from tasks.limits import store_slot
from tasks.meters import publish_report
from tasks.reports import day_report, missing_hours
from tasks.runner import dask_runner

#: Longest a daily run may take before Prefect fails it [s] (catch-up of 24 hours, retraining, schedules).
DAILY_TIMEOUT_S = 6 * 3600


def plan_storage(issue: pd.Timestamp, root: str) -> dict[str, object]:
    """Day-ahead plan of the battery fleet at ``issue``; the figures that matter (called inside a flow).

    The grid's renewable forecast (168 h, to the store), the fleet's schedules planned on it and on the
    demand forecast of the same issue when stored (settled on the profiles for the figures), and the
    fleet's health: each a task.
    """
    from flows.storage_schedule import schedule_fleet
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet
    from tasks.renewables import forecast_renewables
    from tasks.storage import update_storage_health

    forecast_renewables(root, issue, 168)
    sched = schedule_fleet(issue, 168, root, inputs="forecast")
    health = update_storage_health(default_fleet(load_grid()), root, issue)
    return {
        "units": sched["units"],
        "solved": sched["solved"],
        "infeasible": len(sched["infeasible"]),
        "inputs": sched["inputs"],
        "utilization_pct": sched["utilization_pct"],
        "schedule_seconds": sched["seconds"],
        "soh_mean_pct": health["soh_mean_pct"],
        "near_end_of_life": len(health["near_end_of_life"]),
        "alarms": [a["battery"] for a in health["alarms"]],
    }


@flow(
    name="daily-planning",
    task_runner=dask_runner(),
    log_prints=True,
    persist_result=True,
    timeout_seconds=DAILY_TIMEOUT_S,
    on_failure=[record_failure],
    on_completion=[drop_cached_results],
)
def daily(
    at: UtcTime | None = None,
    store: str | None = None,
    meters: Count = DEFAULT_METERS,
    seed: int = DEFAULT_SEED,
    forecast: bool = True,
    storage: bool = True,
    constraints: bool = True,
) -> dict[str, object]:
    """Run the daily flow for the UTC day containing ``at`` (yesterday when omitted).

    Parameters
    ----------
    at : str, optional
        ISO 8601 time with offset within the day.
    store : str, optional
        Store root.
    meters, seed : int
        Fleet of the synthetic feed.
    forecast : bool
        Run the model cycle: retrain the demand models as the policy says, then forecast the next
        168 h from the end of the day (:func:`flows.demand.retrain_and_forecast`).
    storage : bool
        Forecast the grid's renewables and schedule the battery fleet on the forecasts for the 168 h from
        the end of the day (:func:`plan_storage`), and update its state of health.
    constraints : bool
        Find the constraint periods of the 168 h from the end of the day on those forecasts and schedules
        (:func:`tasks.constraints.update_constraints`): to the store and an artifact.

    Returns
    -------
    dict
        store, day, hours_caught_up, and the day's figures per feeder.
    """
    t0 = time.perf_counter()
    day = (parse_hour(at, "at") if at else pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)).floor("D")
    root = store_path(store)
    logger = get_run_logger()
    logger.info("daily planning of %s on %s", f"{day:%Y-%m-%d}", root)
    with store_slot(root):
        caught_up = []
        for hour in missing_hours(root, day):
            hourly_cycle(hour, root, meters, seed)
            caught_up.append(f"{hour:%H:%M}Z")
        if caught_up:
            logger.info("caught up %d hours: %s", len(caught_up), ", ".join(caught_up))
        report = day_report(root, day)
        out = {"store": root, "day": f"{day:%Y-%m-%d}", "hours_caught_up": caught_up, **report}
        if forecast:
            out["models"] = retrain_and_forecast(day + pd.Timedelta(days=1), root)
        if storage:
            out["storage"] = plan_storage(day + pd.Timedelta(days=1), root)
            logger.info(
                "batteries: %s of %s units optimized, utilization %s %%, SoH mean %s %%, alarms %s",
                out["storage"]["solved"],
                out["storage"]["units"],
                out["storage"]["utilization_pct"],
                out["storage"]["soh_mean_pct"],
                out["storage"]["alarms"] or "none",
            )
        if constraints:
            out["constraints"] = update_constraints(root, day + pd.Timedelta(days=1), 168)
        out["seconds"] = round(time.perf_counter() - t0, 3)
        publish_report(f"Daily report {day:%Y-%m-%d}", artifact_key(f"daily-{day:%Y-%m-%d}"), out)
    return out
