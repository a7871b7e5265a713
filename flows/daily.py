"""The daily planning flow.

Catch up the hours of the day that are missing or incomplete in the store (after a feed or link
outage), publish the day's feeder report, then the model cycle: retrain and promote the demand models as
the policy says and forecast the next 168 h, then the battery fleet: schedules for the next 168 h and the
fleet's state of health (alarms below the threshold); the schedules are planned on the renewable and demand
forecasts of the same issue time. Then the decision steps of the chain on the 168 h from the end of the day:
the constraint periods before and after the batteries (the latter to the store and the artifact
``constraint-periods``), prices (the market cleared over the 168 h), shedding where a constraint remains in
the first 24 h, monitoring (the anomalies of each of the day's 24 hours, one task per hour, combined: an
anomaly seen in several hours counted once; each high-severity one an event) and the run's report. Every
step is recorded in the JSON's ``steps`` (:class:`tasks.chain.Chain`): one that fails or has nothing to do
skips what needs it, with the reason, and the rest goes on. What each step needs is
:data:`tasks.chain.DAILY`.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger, unmapped

from flows.backfill import land_hours
from flows.demand import retrain_and_forecast
from flows.hourly import market_prices
from gridcore.monitor.report import combine
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED
from tasks.cache import drop_cached_results
from tasks.chain import COMPLETED, DAILY, Chain
from tasks.common import Count, UtcTime, artifact_key, flow, parse_hour, store_path
from tasks.constraints import update_constraints
from tasks.hooks import record_failure
from tasks.limits import store_slot
from tasks.meters import publish_report
from tasks.monitor import monitor_hour
from tasks.renewables import forecast_renewables
from tasks.report import publish_run_report
from tasks.reports import day_report, missing_hours
from tasks.runner import dask_runner
from tasks.shedding import plan_shedding

#: Longest a daily run may take before Prefect fails it [s] (catch-up of 24 hours, retraining, schedules).
DAILY_TIMEOUT_S = 6 * 3600
#: Hours the daily look-ahead covers [h].
LOOKAHEAD_H = 168
#: Hours ahead the daily flow plans shedding for (the hourly runs re-plan the hours as they come) [h].
SHED_WINDOW_H = 24
#: Anomalies listed in the daily flow's JSON (the counts cover all; high severity first).
MONITOR_LIST = 20


def monitor_day(store: str, day: pd.Timestamp) -> dict[str, object]:
    """The monitoring step of the daily flow (inside a flow): the anomalies of the day's 24 hours.

    One :func:`tasks.monitor.monitor_hour` task per hour (fanned out; each publishes its events), combined
    by :func:`gridcore.monitor.report.combine`: an anomaly found in several hours' windows counted once.
    The first :data:`MONITOR_LIST` listed (high severity first), ``high`` counted, ``high_by_hour`` the
    high-severity ones per hour (``HH:MMZ``, hours with any).
    """
    hours = pd.date_range(day, periods=24, freq="h")
    reports = [f.result() for f in monitor_hour.map(unmapped(store), list(hours))]
    both = combine(reports, day)
    by_hour = {f"{r.at:%H:%M}Z": len(r.high()) for r in sorted(reports, key=lambda r: r.at) if len(r.high())}
    return {**both.to_dict(limit=MONITOR_LIST), "high": len(both.high()), "high_by_hour": by_hour}


def plan_storage(issue: pd.Timestamp, root: str) -> dict[str, object]:
    """Day-ahead plan of the battery fleet at ``issue``; the figures that matter (called inside a flow).

    The fleet's schedules planned on the renewable forecast of ``issue`` (the step before writes it) and on
    the demand forecast of the same issue when stored (settled on the profiles for the figures), and the
    fleet's health: each a task.
    """
    from flows.storage_schedule import schedule_fleet
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet
    from tasks.storage import update_storage_health

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
    loading_limit_pct: float = 100.0,
    report: bool = True,
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
        (:func:`tasks.constraints.update_constraints`): to the store and an artifact; the periods before
        the batteries (``constraints_found``); shedding where one remains in the first ``SHED_WINDOW_H``.
    loading_limit_pct : float
        Thermal limit of lines and transformers for the constraints and the shedding plans [%].
    report : bool
        Draw the report's figures (the Markdown artifact and its table are always published).

    Returns
    -------
    dict
        store, day, hours_caught_up, the day's figures per feeder, models, storage, constraints_found,
        constraints, prices, shedding, monitoring, report, steps, seconds.
    """
    t0 = time.perf_counter()
    day = (parse_hour(at, "at") if at else pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)).floor("D")
    root = store_path(store)
    issue = day + pd.Timedelta(days=1)
    logger = get_run_logger()
    logger.info("daily planning of %s on %s", f"{day:%Y-%m-%d}", root)
    off = [*([] if forecast else ["demand_forecast"]), *([] if storage else ["batteries"])]
    chain = Chain(day, DAILY, off)
    with store_slot(root):
        missing = missing_hours(root, day)
        land_hours(missing, root, meters, seed)
        caught_up = [f"{hour:%H:%M}Z" for hour in missing]
        if caught_up:
            logger.info("caught up %d hours: %s", len(caught_up), ", ".join(caught_up))
        chain.record("catch_up", COMPLETED, time.perf_counter() - t0)
        t1 = time.perf_counter()
        report = day_report(root, day)
        chain.record("day_report", COMPLETED, time.perf_counter() - t1)
        out = {"store": root, "day": f"{day:%Y-%m-%d}", "hours_caught_up": caught_up, **report}
        if forecast:
            models = chain.step("demand_forecast", retrain_and_forecast, issue, root)
            out["models"] = chain.result("demand_forecast", models)
        if storage or constraints:
            chain.step("renewables", forecast_renewables, root, issue, LOOKAHEAD_H)
        if storage and constraints:
            found = chain.step(
                "constraints",
                update_constraints,
                root,
                issue,
                LOOKAHEAD_H,
                artifact=False,
                loading_limit_pct=loading_limit_pct,
                batteries=False,
                write=False,
            )
            out["constraints_found"] = chain.result("constraints", found)
        if storage:
            out["storage"] = chain.step("batteries", plan_storage, issue, root)
            if out["storage"] is None:
                out["storage"] = chain.result("batteries", None)
            else:
                logger.info(
                    "batteries: %s of %s units optimized, utilization %s %%, SoH mean %s %%, alarms %s",
                    out["storage"]["solved"],
                    out["storage"]["units"],
                    out["storage"]["utilization_pct"],
                    out["storage"]["soh_mean_pct"],
                    out["storage"]["alarms"] or "none",
                )
        if constraints:
            remaining = chain.step(
                "constraints_remaining",
                update_constraints,
                root,
                issue,
                LOOKAHEAD_H,
                loading_limit_pct=loading_limit_pct,
            )
            out["constraints"] = chain.result("constraints_remaining", remaining)
            prices = chain.step("prices", market_prices, root, issue, LOOKAHEAD_H)
            out["prices"] = chain.result("prices", prices)
            shed = chain.step(
                "shedding",
                plan_shedding,
                root,
                issue,
                SHED_WINDOW_H,
                None,
                loading_limit_pct,
            )
            out["shedding"] = chain.result("shedding", shed)
        monitor = chain.step("monitoring", monitor_day, root, day)
        out["monitoring"] = chain.result("monitoring", monitor)
        out["steps"] = chain.to_dict()
        out["report"] = chain.step(
            "report",
            publish_run_report,
            root,
            artifact_key(f"chain-daily-{day:%Y-%m-%d}"),
            f"Daily chain {day:%Y-%m-%d}",
            issue,
            out,
            None,
            loading_limit_pct,
            report,
        )
        out["steps"] = chain.to_dict()
        out["seconds"] = round(time.perf_counter() - t0, 3)
        publish_report(f"Daily report {day:%Y-%m-%d}", artifact_key(f"daily-{day:%Y-%m-%d}"), _headline(out))
    return out


def _headline(out: dict[str, object]) -> dict[str, object]:
    """The daily report's figures without the long lists (the chain's report has the steps)."""
    return {
        k: v
        for k, v in out.items()
        if k not in ("steps", "report", "constraints_found", "shedding", "prices", "monitoring")
    }
