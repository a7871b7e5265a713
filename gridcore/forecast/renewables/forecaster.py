"""What a renewable backtest forecasts with: the forecaster protocol, and a solar or wind file as one."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.renewables_store import detect_kind
from gridcore.forecast.solar import SolarForecaster, read_solar
from gridcore.forecast.wind import WindForecaster, read_wind


class Forecaster(Protocol):
    """What :func:`backtest_renewables` needs: a solar or wind forecaster."""

    kind: str
    capacity: float
    persistence: str

    @property
    def series(self) -> list[str]: ...  # noqa: D102

    @property
    def power(self) -> pd.DataFrame: ...  # noqa: D102

    def available(self) -> np.ndarray: ...  # noqa: D102

    def fit(self, before: pd.Timestamp) -> object: ...  # noqa: D102

    def predict(self, origin: pd.Timestamp, horizon: int) -> tuple[np.ndarray, np.ndarray]: ...  # noqa: D102

    def describe(self) -> dict[str, object]: ...  # noqa: D102


def renewable_forecaster(
    path: object, kind: str | None = None, location: tuple[float, float] | None = None, **settings: object
) -> Forecaster:
    """Read a solar or wind file and wrap it in its forecaster.

    Parameters
    ----------
    path : str, Path or file-like
        A file in the solar (GEFCom2014) or wind (GEFCom2012) long format.
    kind : str, optional
        ``solar`` or ``wind``; detected from the columns when omitted.
    location : (float, float), optional
        Solar: latitude and longitude [deg] of every site (inferred from the power when omitted).
    **settings
        Passed to :class:`gridcore.forecast.solar.SolarForecaster` or
        :class:`gridcore.forecast.wind.WindForecaster`.

    Returns
    -------
    Forecaster
    """
    kind = kind or detect_kind(path)
    if location is not None and kind != "solar":
        raise InputError("a site location applies to solar files only", field="location")
    if kind == "solar":
        data = read_solar(path)
        where = {s: location for s in data.series} if location is not None else None
        return SolarForecaster(data, where, **settings)  # type: ignore[arg-type]
    if kind == "wind":
        return WindForecaster(read_wind(path), **settings)  # type: ignore[arg-type]
    raise InputError(f"kind must be solar or wind, not {kind!r}", field="kind")
