"""Renewable forecasts: rolling-origin backtests and the default grid's PV and wind forecast.

* :func:`backtest_renewables` (:mod:`~gridcore.forecast.renewables.backtest`) scores a solar or wind
  forecaster (:func:`renewable_forecaster` reads a file into one) from daily 00:00 UTC origins, refitted on
  the hours before each origin only, with conformal intervals; errors are normalised by the capacity
  (nMAE, nRMSE, pinball) and set beside persistence and an hour-of-day x month climatology
  (:mod:`~gridcore.forecast.renewables.baselines`) on the same hours.
* :func:`forecast_grid_renewables` (:mod:`~gridcore.forecast.renewables.grid`) forecasts every static
  generator of a grid from its own profile history before the issue time, per generator, per type and for
  the system, with calibrated quantiles. :func:`renewable_actuals` gives the hourly profile values (what the
  battery scheduler takes as the renewable power actually available).

A file is read into a forecaster in :mod:`~gridcore.forecast.renewables.store` (the package's only file
I/O); the solar and wind file readers and their checks are in :mod:`gridcore.forecast.renewables_store`, the
LightGBM model of every renewable forecaster in :mod:`gridcore.forecast.renewables_model`; both are
re-exported here.
"""

from gridcore.forecast.renewables.backtest import (
    RenewableBacktest,
    RenewableBacktestSummary,
    RenewableScores,
    backtest_renewables,
    summarise_renewables,
)
from gridcore.forecast.renewables.baselines import climatology_forecast, persistence_forecast
from gridcore.forecast.renewables.forecaster import Forecaster
from gridcore.forecast.renewables.grid import (
    GridRenewableForecast,
    RenewableForecastSummary,
    SeriesOutlook,
    forecast_grid_renewables,
    forecast_summary,
)
from gridcore.forecast.renewables.interval import conformal_interval
from gridcore.forecast.renewables.profiles import grid_location, renewable_actuals, technology
from gridcore.forecast.renewables.store import renewable_forecaster
from gridcore.forecast.renewables_model import RENEWABLE_MODEL, fit_gbm, predict_gbm
from gridcore.forecast.renewables_store import check_unique, detect_kind, read_solar, read_table, read_wind

__all__ = [
    "RENEWABLE_MODEL",
    "Forecaster",
    "GridRenewableForecast",
    "RenewableBacktest",
    "RenewableBacktestSummary",
    "RenewableForecastSummary",
    "RenewableScores",
    "SeriesOutlook",
    "backtest_renewables",
    "check_unique",
    "climatology_forecast",
    "conformal_interval",
    "detect_kind",
    "fit_gbm",
    "forecast_grid_renewables",
    "forecast_summary",
    "grid_location",
    "persistence_forecast",
    "predict_gbm",
    "read_solar",
    "read_table",
    "read_wind",
    "renewable_actuals",
    "renewable_forecaster",
    "summarise_renewables",
    "technology",
]
