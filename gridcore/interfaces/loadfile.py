"""Hourly load files in the common format: ``timestamp`` (UTC, hour start), ``load_mw``, optional weather.

Weather columns are ``temperature_c`` and/or ``temperature_c_<station>`` [°C] (more weather columns with a
unit suffix are kept). The reader puts the series on a regular hourly UTC axis: missing hours become NaN
rows (counted, never filled), duplicated timestamps are refused with the first offending time named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.data.validation import ContractError


@dataclass(frozen=True)
class LoadFile:
    """An hourly load series with its weather.

    Attributes
    ----------
    frame : pd.DataFrame
        Hourly UTC index (hour start); ``load_mw`` [MW] and weather columns [°C, ...].
    temperature_columns : list of str
        The temperature columns found.
    missing_hours : int
        Hours inside the span with no load value (gaps; not filled).
    source : str
    """

    frame: pd.DataFrame
    temperature_columns: list[str]
    missing_hours: int
    source: str


def read_load_file(
    path: str | Path, load_column: str | None = None, weather: str | Path | None = None
) -> LoadFile:
    """Read and check a load file (CSV, optionally gzipped, or Parquet).

    Parameters
    ----------
    path : str or Path
    load_column : str, optional
        The column holding the load [MW] when it is not ``load_mw`` (e.g. one zone of a wide file such as
        GEFCom2012's ``zone_1_mw``); the other load columns are ignored.
    weather : str or Path, optional
        A separate weather table (``timestamp`` UTC plus columns in °C). Its columns become
        ``temperature_c_<name>`` (a ``_c`` suffix is dropped), joined on the load's hours.

    Returns
    -------
    LoadFile

    Raises
    ------
    ContractError
        Missing ``timestamp`` or ``load_mw``, a non-numeric column, unparseable or naive timestamps,
        duplicated timestamps, or no load value at all.
    """
    p = Path(path)
    if not p.exists():
        raise ContractError(f"{p}: no such file")
    try:
        # Arrow without its thread pools: see gridcore.network.grid._read_model (apache/arrow#34314)
        parquet = p.suffix.lower() in {".parquet", ".pq"}
        df = pd.read_parquet(p, use_threads=False, pre_buffer=False) if parquet else pd.read_csv(p)
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise ContractError(f"{p}: not a readable CSV or Parquet table ({err})") from err
    if load_column is not None:
        if load_column not in df.columns:
            raise ContractError(
                f"{p.name}: no column {load_column!r}; found {', '.join(map(str, df.columns))}"
            )
        keep = ["timestamp", load_column] + [
            c for c in df.columns if c == "temperature_c" or str(c).startswith("temperature_c_")
        ]
        df = df[[c for c in keep if c in df.columns]].rename(columns={load_column: "load_mw"})
    lf = load_frame(df, p.name)
    if weather is None:
        return lf
    extra = weather_frame(weather)
    names = {
        c: c
        if c == "temperature_c" or c.startswith("temperature_c_")
        else f"temperature_c_{c.removesuffix('_c')}"
        for c in extra.columns
    }
    frame = lf.frame.join(extra.rename(columns=names), how="left", rsuffix="_weather")
    temps = [c for c in frame.columns if c == "temperature_c" or c.startswith("temperature_c_")]
    return LoadFile(frame, temps, lf.missing_hours, f"{lf.source} + {Path(weather).name}")


def load_frame(df: pd.DataFrame, source: str = "input") -> LoadFile:
    """Check a load table and put it on a regular hourly UTC axis (see :func:`read_load_file`)."""
    for column in ("timestamp", "load_mw"):
        if column not in df.columns:
            raise ContractError(
                f"{source}: missing required column {column}; found {', '.join(map(str, df.columns))} "
                "(the load format needs timestamp, load_mw and optional temperature_c[_<station>])"
            )
    raw_ts = df["timestamp"]
    ts = pd.to_datetime(raw_ts, errors="coerce", utc=False, format="ISO8601")
    if ts.isna().any():
        bad = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise ContractError(f"{source}: timestamp {raw_ts.iloc[bad]!r} at row {bad} cannot be read")
    if ts.dt.tz is None:
        raise ContractError(
            f"{source}: timestamps carry no UTC offset (e.g. {raw_ts.iloc[0]!r}); write them with Z"
        )
    ts = ts.dt.tz_convert("UTC")
    if ts.duplicated().any():
        first = ts[ts.duplicated()].iloc[0]
        raise ContractError(f"{source}: timestamp {first:%Y-%m-%dT%H:%MZ} appears more than once")
    numeric = [c for c in df.columns if c != "timestamp"]
    out = {}
    for column in numeric:
        values = pd.to_numeric(df[column], errors="coerce")
        if values.isna().sum() > df[column].isna().sum():
            bad = int(np.flatnonzero((values.isna() & df[column].notna()).to_numpy())[0])
            raise ContractError(
                f"{source}: column {column} holds {df[column].iloc[bad]!r} at row {bad}, not a number"
            )
        out[column] = values.to_numpy(dtype=float)
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(ts, name="timestamp")).sort_index()
    if frame["load_mw"].notna().sum() == 0:
        raise ContractError(f"{source}: column load_mw has no value")
    frame = frame.asfreq("1h")
    span = frame.loc[frame["load_mw"].first_valid_index() : frame["load_mw"].last_valid_index(), "load_mw"]
    temps = [c for c in frame.columns if c == "temperature_c" or c.startswith("temperature_c_")]
    return LoadFile(frame, temps, int(span.isna().sum()), source)


def weather_frame(path: str | Path) -> pd.DataFrame:
    """Read a weather table (``timestamp`` UTC plus weather columns) onto an hourly UTC index.

    Raises
    ------
    ContractError
        Missing ``timestamp``, bad timestamps or non-numeric columns.
    """
    p = Path(path)
    if not p.exists():
        raise ContractError(f"{p}: no such file")
    df = pd.read_csv(p)
    if "timestamp" not in df.columns:
        raise ContractError(f"{p.name}: missing required column timestamp")
    return load_frame(df.assign(load_mw=1.0), p.name).frame.drop(columns="load_mw")
