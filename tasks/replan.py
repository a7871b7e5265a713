"""Prefect tasks of a forecast that was wrong: check the hour's actuals, correct the next forecast.

The check is :func:`gridcore.lookahead.replan.check_forecast`, the correction
:func:`gridcore.lookahead.replan.correct_forecast`; here the store is read and written.
"""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from gridcore.forecast.store import read_demand_forecast
from gridcore.lookahead.replan import REPLAN_THRESHOLD_PCT, check_forecast, correct_forecast
from gridcore.store import Store, issue_path, issue_times, write_whole
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_REPORT_S, store_task


@task(task_run_name="forecast-check-{hour:%Y%m%dT%H}Z", **store_task(TIMEOUT_REPORT_S, hour_key("hour")))
def check_hour(
    store: str, hour: pd.Timestamp, threshold_pct: float = REPLAN_THRESHOLD_PCT
) -> dict[str, object]:
    """The hour's metered feeder load against the latest stored demand forecast issued for it.

    Returns :meth:`gridcore.lookahead.replan.ForecastCheck.to_dict` (``replan``, ``reason``, ``ratios``), or
    ``skipped`` with the reason when no stored forecast covers the hour.
    """
    issues = [t for t in issue_times(store, "demand_forecast") if t <= hour]
    for issue in reversed(issues):
        ds = read_demand_forecast(store, issue)
        target = pd.DatetimeIndex(ds["target_time"].values.ravel())
        if hour.tz_convert(None) in target:
            break
    else:
        return {"skipped": f"no stored demand forecast covers {hour:%Y-%m-%dT%H:%MZ}"}
    load = Store(store).read("feeder_load_hourly", complete_only=False)["p_mw"]
    actual = load.sel(time=hour.tz_convert(None)).to_series()
    check = check_forecast(actual, ds.load(), hour, threshold_pct).to_dict()
    get_run_logger().info("forecast check: %s", check["reason"])
    return check


@task(task_run_name="replan-forecast-{issue:%Y%m%dT%H}Z", **store_task(key=hour_key("issue")))
def correct_demand(store: str, issue: pd.Timestamp, ratios: dict[str, float]) -> dict[str, object]:
    """Rewrite the stored demand forecast of ``issue`` corrected by the observed ratios; what was done."""
    ds = read_demand_forecast(store, issue).load()
    corrected = correct_forecast(ds, ratios)
    written = write_whole(corrected, issue_path(store, "demand_forecast", issue))
    get_run_logger().info(
        "demand forecast %s corrected: %s", f"{issue:%Y-%m-%dT%H:%M}Z", corrected.attrs["corrected"]
    )
    return {
        "issue_time": f"{issue:%Y-%m-%dT%H:%MZ}",
        "corrected": corrected.attrs["corrected"],
        "written": written,
    }
