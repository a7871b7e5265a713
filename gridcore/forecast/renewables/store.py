"""Renewable data files in: a solar or wind file read into its forecaster (the file I/O of the package).

The compute modules of :mod:`gridcore.forecast.renewables` take data and return data; this module is where a
file becomes data: :func:`renewable_forecaster` detects the format
(:func:`gridcore.forecast.renewables_store.detect_kind`), reads it
(:func:`gridcore.forecast.renewables_store.read_solar`, :func:`gridcore.forecast.renewables_store.read_wind`)
and wraps it in its forecaster. The grid's renewable forecast is written to the results store by
:func:`gridcore.forecast.store.write_renewable_forecast`.
"""

from __future__ import annotations

from gridcore.errors import InputError
from gridcore.forecast.renewables.forecaster import Forecaster
from gridcore.forecast.renewables_store import detect_kind, read_solar, read_wind
from gridcore.forecast.solar import SolarForecaster
from gridcore.forecast.wind import WindForecaster


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
