"""A scenario's demand: the forecaster fitted on history, fed the scenario's weather.

The system total of the grid's weather-driven world (:mod:`gridcore.world`: real load with its own
observed temperature) is forecast from the scenario's first hour by the project's gradient-boosted model
(:class:`gridcore.forecast.models.GradientBoosted`), fitted on the year before on daily origins at the same
hour. It is fed the observed temperature and, for a heat wave, the temperature shifted by
``temperature_shift_c``: hotter than anything in its training data, so the model must extrapolate (its
linear tails above the hottest 5 % of training hours). The scenario's demand is the forecast on the
scenario's weather; the forecast on the observed weather is scored against the world's actual load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.forecast.features import WEATHER_LOOKBACK_H, design
from gridcore.forecast.models import GradientBoosted
from gridcore.network.grid import GridModel
from gridcore.storage.fleet import hourly_profiles
from gridcore.world import world_temperature

#: Local time zone of the default world's calendar.
TZ = "Europe/Berlin"
#: Days of history the forecaster is fitted on [d].
TRAIN_DAYS = 365
#: Boosting rounds (fewer than the pipeline's 500: one fit per scenario run, seconds matter).
N_ESTIMATORS = 200


@dataclass(frozen=True)
class ScenarioForecast:
    """The system demand of a scenario's hours.

    Attributes
    ----------
    times : pd.DatetimeIndex
        UTC hour starts.
    actual_mw : np.ndarray
        The world's system load [MW].
    observed_mw : np.ndarray
        Forecast on the observed temperature [MW].
    scenario_mw : np.ndarray
        Forecast on the scenario's temperature [MW] (the same when the shift is 0).
    temperature_c, scenario_temperature_c : np.ndarray
        Observed and scenario temperature [°C].
    train_max_c : float
        Hottest hour of the training data [°C].
    mape_pct : float
        Mean absolute percentage error of ``observed_mw`` against ``actual_mw`` [%].
    history : pd.Series
        The week of system load before the first hour [MW] (for the report).
    """

    times: pd.DatetimeIndex
    actual_mw: np.ndarray
    observed_mw: np.ndarray
    scenario_mw: np.ndarray
    temperature_c: np.ndarray
    scenario_temperature_c: np.ndarray
    train_max_c: float
    mape_pct: float
    history: pd.Series

    @property
    def extrapolated_hours(self) -> int:
        """Hours whose scenario temperature is above anything the model was fitted on."""
        return int((self.scenario_temperature_c > self.train_max_c).sum())

    @property
    def uplift_pct(self) -> float:
        """Peak of the scenario forecast over the peak of the observed-weather forecast, minus 1 [%]."""
        return float(100.0 * (self.scenario_mw.max() / self.observed_mw.max() - 1.0))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures: peaks [MW], MAPE [%], uplift [%], temperatures [°C]."""
        return {
            "model": "lightgbm (linear tails beyond the training temperatures)",
            "train_days": TRAIN_DAYS,
            "mape_observed_weather_pct": round(self.mape_pct, 2),
            "peak_actual_mw": round(float(self.actual_mw.max()), 3),
            "peak_forecast_observed_mw": round(float(self.observed_mw.max()), 3),
            "peak_forecast_scenario_mw": round(float(self.scenario_mw.max()), 3),
            "uplift_pct": round(self.uplift_pct, 2),
            "temperature_max_c": round(float(np.nanmax(self.temperature_c)), 1),
            "scenario_temperature_max_c": round(float(np.nanmax(self.scenario_temperature_c)), 1),
            "train_temperature_max_c": round(self.train_max_c, 1),
            "extrapolated_hours": self.extrapolated_hours,
        }


def system_forecast(
    grid: GridModel, start: pd.Timestamp, hours: int, temperature_shift_c: float = 0.0
) -> ScenarioForecast:
    """Fit the demand model on the year before ``start`` and forecast ``hours`` from it.

    Parameters
    ----------
    grid : GridModel
        The grid; its loads (the world's weather-driven ones) make the system total.
    start : pd.Timestamp
        UTC first hour.
    hours : int
        Horizon [h].
    temperature_shift_c : float
        Added to the observed temperature of the forecast hours [°C].

    Returns
    -------
    ScenarioForecast
    """
    begin = start - pd.Timedelta(days=TRAIN_DAYS + 35)
    index = pd.date_range(begin, start + pd.Timedelta(hours=hours), freq="1h", inclusive="left")
    _, load_mw = hourly_profiles(grid, index)
    load = load_mw.sum(axis=1)
    temp = world_temperature(index).astype(float)
    temp = pd.Series(temp).interpolate(limit_direction="both").to_numpy()
    o = len(index) - hours  # the forecast origin's position
    known = load.copy()
    known[o:] = np.nan  # nothing after the origin is known to the model
    train_origins = np.arange(o - 24 * TRAIN_DAYS, o - hours + 1, 24)
    train_origins = train_origins[train_origins >= 24 * 35]
    rows = design(known, temp, index, train_origins, hours, TZ)
    rows = rows[rows["target"].to_numpy() < o]
    model = GradientBoosted(n_estimators=N_ESTIMATORS).fit(rows)
    shifted = temp.copy()
    shifted[o:] += temperature_shift_c
    weather = {o: shifted[o - WEATHER_LOOKBACK_H : o + hours]}
    observed = model.predict(design(known, temp, index, np.array([o]), hours, TZ))
    scenario = model.predict(design(known, shifted, index, np.array([o]), hours, TZ, weather))
    actual = load[o:]
    train_max = float(np.nanmax(temp[train_origins[0] : o]))
    return ScenarioForecast(
        times=index[o:],
        actual_mw=actual,
        observed_mw=np.asarray(observed, dtype=float),
        scenario_mw=np.asarray(scenario, dtype=float),
        temperature_c=temp[o:],
        scenario_temperature_c=shifted[o:],
        train_max_c=train_max,
        mape_pct=float(100.0 * np.mean(np.abs(observed - actual) / actual)),
        history=pd.Series(load[o - 168 : o], index=index[o - 168 : o]),
    )
