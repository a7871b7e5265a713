"""Weather providers for forecasts: what a forecast issued at an origin knows about the weather.

Three implementations of one interface, :meth:`WeatherProvider.at_origin`:

* :class:`ObservedWeather` gives the observed series at every hour: an *ex-post* forecast (perfect
  weather). Honest only when labelled as such.
* :class:`ForecastWeather` gives observations before the origin and a weather forecast after it: either a
  real archive of forecasts (``archive``: a frame indexed by target hour, each value as forecast before
  that day began) or, when none exists, the observation plus an error that grows with lead time. The
  synthetic error is an AR(1) process in lead time (correlation 0.97 per hour, as forecast errors persist)
  scaled to an RMS of about 1 °C day-ahead and 2.5 °C at day 7, interpolated linearly in lead time from
  0.5 °C at lead 1 h; these match typical 2 m temperature forecast skill (ECMWF IFS verification, e.g.
  Haiden et al., ECMWF Tech. Memo. 2021). It is seeded by the origin, so a backtest is reproducible.
* :class:`NoWeather` knows no weather at all (a load file without a weather column, or weather left out
  on purpose): every value is missing and the models use load and calendar features only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Lead time [h] and RMS error [°C] of the synthetic temperature forecast.
_RMS_POINTS = (np.array([1.0, 24.0, 168.0]), np.array([0.5, 1.0, 2.5]))


class WeatherProvider:
    """Weather as known at a forecast origin."""

    name = "base"

    def at_origin(self, weather: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
        """Weather columns as a forecast issued at ``origin`` would see them.

        Parameters
        ----------
        weather : pd.DataFrame
            Observed weather, hourly UTC index, columns [°C, ...].
        origin : pd.Timestamp
            UTC forecast origin: hours before it are observed.

        Returns
        -------
        pd.DataFrame
            Same index and columns as ``weather``.
        """
        raise NotImplementedError


@dataclass
class ObservedWeather(WeatherProvider):
    """Observed weather at every hour (ex-post)."""

    name: str = "observed"

    def at_origin(self, weather: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
        """The observations themselves."""
        return weather


@dataclass
class NoWeather(WeatherProvider):
    """No weather: forecasts from load history and the calendar only."""

    name: str = "none"

    def at_origin(self, weather: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
        """Missing values (NaN) on the index and columns of ``weather``."""
        return pd.DataFrame(np.nan, index=weather.index, columns=weather.columns)


@dataclass
class ForecastWeather(WeatherProvider):
    """Observed before the origin, forecast after it (real archive, or observed plus growing error)."""

    archive: pd.DataFrame | None = None
    seed: int = 0
    name: str = field(default="forecast")

    def __post_init__(self) -> None:
        self.name = "forecast_archive" if self.archive is not None else "forecast_synthetic"

    def at_origin(self, weather: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
        """Observations before ``origin``; forecasts from it on (see the module docstring)."""
        out = weather.copy()
        after = out.index >= origin
        if not after.any():
            return out
        if self.archive is not None:
            cols = [c for c in out.columns if c in self.archive.columns]
            out.loc[after, cols] = self.archive.reindex(out.index[after])[cols].to_numpy()
            return out
        lead = (out.index[after] - origin) / pd.Timedelta(hours=1) + 1.0
        rms = np.interp(lead, *_RMS_POINTS)
        rng = np.random.default_rng([self.seed, int(origin.value // 3_600_000_000_000)])
        for column in out.columns:
            z = _ar1(rng, len(lead), 0.97)
            out.loc[after, column] = out.loc[after, column].to_numpy() + rms * z
        return out


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """A unit-variance AR(1) sequence of length ``n``."""
    e = rng.standard_normal(n)
    z = np.empty(n)
    z[0] = e[0]
    scale = np.sqrt(1.0 - phi**2)
    for i in range(1, n):
        z[i] = phi * z[i - 1] + scale * e[i]
    return z


def read_weather_forecasts(path: str) -> pd.DataFrame:
    """An archive of weather forecasts: ``timestamp`` (target hour, UTC) and weather columns.

    Parameters
    ----------
    path : str
        CSV file; each value as forecast before the target's day began.

    Returns
    -------
    pd.DataFrame
        Hourly UTC index.
    """
    from gridcore.interfaces.loadfile import weather_frame

    return weather_frame(path)
