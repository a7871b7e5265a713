"""Weather observations: the ``weather`` contract and the embedded observed series.

The default system's weather is a real observed series: the hourly temperature of GEFCom2014-E (New
England, see ``data/README.md``) of the same source hour as the world's load (:mod:`gridcore.world`), so
weather and demand are one observation. It is station ``GEFCOM2014E``.
Files in the ``weather`` contract (``station_id``, ``timestamp`` at the start of the hour,
``temperature_c``, optional ``ghi_w_m2`` and ``wind_speed_m_s``) go through the same validation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import xarray as xr

from gridcore.data.contracts import Contract, ValidationResult, valid_on_grid, validate
from gridcore.world import GEFCOM2014E, world_temperature

STATION = "GEFCOM2014E"


def weather_contract() -> Contract:
    """The ``weather`` contract (any station id accepted)."""
    return Contract(
        suite="weather", id_column="station_id", value_column="temperature_c", grid=pd.Timedelta(hours=1)
    )


@cache
def observed_temperature(path: Path = GEFCOM2014E) -> pd.Series:
    """Hourly observed temperature of the bundled file [°C], UTC hour-start index."""
    df = pd.read_csv(path, usecols=["timestamp", "temperature_c"], parse_dates=["timestamp"])
    return df.set_index("timestamp")["temperature_c"]


def weather_observations(hour: pd.Timestamp, hours: int = 1) -> pd.DataFrame:
    """Observations of the default station for ``hours`` hours from ``hour`` (UTC).

    Parameters
    ----------
    hour : pd.Timestamp
        UTC start of the first hour.
    hours : int
        Number of hours.

    Returns
    -------
    pd.DataFrame
        ``station_id``, ``timestamp`` (UTC hour start), ``temperature_c`` [°C] (NaN where the source has
        none: a gap, never filled).
    """
    times = pd.date_range(pd.Timestamp(hour).tz_convert("UTC").floor("h"), periods=hours, freq="1h")
    values = world_temperature(times)
    return pd.DataFrame({"station_id": STATION, "timestamp": times, "temperature_c": values})


def validate_weather(
    raw: pd.DataFrame, now: pd.Timestamp, as_of: pd.Timestamp | None = None, source: str = "weather"
) -> ValidationResult:
    """Validate weather observations against the ``weather`` suite."""
    return validate(raw, weather_contract(), now, as_of, source)


def weather_dataset(result: ValidationResult, raw: pd.DataFrame, hours: pd.DatetimeIndex) -> xr.Dataset:
    """Valid observations as a station x time dataset [°C].

    Parameters
    ----------
    result : ValidationResult
    raw : pd.DataFrame
        The validated input (for the station ids behind the codes).
    hours : pd.DatetimeIndex
        UTC hour starts.

    Returns
    -------
    xr.Dataset
        ``temperature_c`` (station, time) [°C].
    """
    stations = pd.unique(raw["station_id"].astype(str))
    out = valid_on_grid(result, "temperature_c", len(stations), hours)
    return xr.Dataset(
        {
            "temperature_c": (
                ("station", "time"),
                out,
                {"units": "degC", "long_name": "air temperature, observed"},
            )
        },
        coords={"station": stations.astype(str), "time": hours.tz_convert(None).as_unit("ns")},
    )
