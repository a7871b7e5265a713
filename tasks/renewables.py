"""Prefect task of the grid's renewable forecast: forecast every generator, write it to the store."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from gridcore.forecast.renewables import forecast_grid_renewables
from gridcore.forecast.store import write_renewable_forecast
from gridcore.network.grid import load_grid
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_FIT_S, store_task


@task(
    task_run_name="renewables-{issue:%Y%m%dT%H}Z",
    **store_task(TIMEOUT_FIT_S, hour_key("issue", "horizon")),
)
def forecast_renewables(store: str, issue: pd.Timestamp, horizon: int = 168) -> str:
    """Forecast the default grid's renewables ``horizon`` hours from ``issue`` into the store; the path.

    See :func:`gridcore.forecast.renewables.forecast_grid_renewables` (the forecast) and
    :func:`gridcore.forecast.store.write_renewable_forecast` (``<store>/renewable_forecast/<issue>.zarr``).
    """
    written = write_renewable_forecast(store, forecast_grid_renewables(load_grid(), issue, horizon_h=horizon))
    get_run_logger().info(
        "renewable forecast from %s, %d h: %s", f"{issue:%Y-%m-%dT%H:%M}Z", horizon, written
    )
    return written
