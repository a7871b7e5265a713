"""Backtests in the store: forecasts and figures of each backtest as one dataset."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.forecast.backtest import BacktestResult
from gridcore.store import issue_path, open_issue, write_whole


def write_backtest(root: str, result: BacktestResult, name: str) -> str:
    """Write ``<root>/backtests/<name>-<model>-<horizon>h.zarr``: origin x lead forecasts and the figures.

    Parameters
    ----------
    root : str
        Store folder.
    result : BacktestResult
    name : str
        Series name (e.g. the file stem).

    Returns
    -------
    str
        Path written.
    """
    f = result.forecasts
    s = result.summary
    origins = pd.DatetimeIndex(f["origin"].drop_duplicates()).tz_convert(None)
    horizon = int(s["horizon_h"])
    shape = (len(origins), horizon)
    data = {
        c: (("origin", "lead"), f[c].to_numpy().reshape(shape), {"units": "MW"})
        for c in f.columns
        if c not in {"origin", "target", "lead"}
    }
    ds = xr.Dataset(
        data,
        coords={"origin": origins.as_unit("ns"), "lead": np.arange(1, horizon + 1)},
        attrs={"summary": json.dumps(dict(s), default=str), "timezone": "UTC"},
    )
    model = s["model"]["name"] if isinstance(s["model"], dict) else str(s["model"])
    return write_whole(ds, Path(root) / "backtests" / f"{name}-{model}-{horizon}h.zarr")


def write_demand_forecast(
    root: str,
    forecasts: list,
    catalog: pd.DataFrame,
    attrs: dict[str, object] | None = None,  # noqa: ANN001
) -> str:
    """Write one issue's grid demand forecast: ``<root>/demand_forecast/<issue>.zarr``.

    The dataset has dimensions ``series`` x ``issue_time`` (length 1) x ``lead`` (1..horizon h) x
    ``quantile``; ``target_time`` (issue_time, lead) is the UTC hour start forecast. Variables:
    ``point_mw`` and ``quantile_mw`` [MW]; per series ``kind``, ``feeder``, ``group`` and the
    out-of-sample figures of the calibration origins (``day_ahead_mape_pct``, ``naive_mape_pct``,
    ``coverage_80_pct``, ...). One folder per issue time keeps issues independent (a rerun replaces its
    own, series may change with the topology); :func:`read_demand_forecast` concatenates them. The folder
    is written under a temporary name and renamed into place.

    Parameters
    ----------
    root : str
        Store folder.
    forecasts : list of gridcore.forecast.demand.GroupForecast
        The groups of one issue time.
    catalog : pd.DataFrame
        Series catalogue (:func:`gridcore.forecast.demand.grid_series`).
    attrs : dict, optional
        Provenance.

    Returns
    -------
    str
        Path written.
    """
    issue = forecasts[0].issue_time
    series = [s for f in forecasts for s in f.series]
    point = np.concatenate([f.point for f in forecasts])
    quant = np.concatenate([f.quantiles for f in forecasts])
    scores = pd.concat([f.scores for f in forecasts]).reindex(series)
    from gridcore.forecast.demand import DEMAND_QUANTILES

    horizon = point.shape[1]
    lead = np.arange(1, horizon + 1)
    issue_naive = issue.tz_convert(None).as_unit("ns")
    target = pd.DatetimeIndex([issue_naive + pd.Timedelta(hours=int(h) - 1) for h in lead])
    data = {
        "point_mw": (("series", "issue_time", "lead"), point[:, None, :].astype("float32"), {"units": "MW"}),
        "quantile_mw": (
            ("series", "issue_time", "lead", "quantile"),
            quant[:, None, :, :].astype("float32"),
            {"units": "MW"},
        ),
    }
    for col in scores.columns:
        data[col] = (("series",), scores[col].to_numpy(dtype=float))
    cat = catalog.reindex(series)
    ds = xr.Dataset(
        data,
        coords={
            "series": np.array(series, dtype=str),
            "issue_time": [issue_naive],
            "lead": lead,
            "quantile": np.array(DEMAND_QUANTILES),
            "target_time": (("issue_time", "lead"), target.values[None, :]),
            "kind": ("series", cat["kind"].to_numpy(dtype=str)),
            "feeder": ("series", cat["feeder"].to_numpy(dtype=str)),
            "group": ("series", cat["group"].to_numpy(dtype=str)),
        },
        attrs={**(attrs or {}), "timezone": "UTC", "time_label": "interval start"},
    )
    return write_whole(ds, issue_path(root, "demand_forecast", issue))


def read_demand_forecast(root: str, issue_time: pd.Timestamp | None = None) -> xr.Dataset:
    """The demand forecast of one issue time (the latest when omitted).

    As written by :func:`write_demand_forecast`.
    """
    return open_issue(root, "demand_forecast", issue_time, "demand forecast")


def write_renewable_forecast(root: str, ds: xr.Dataset) -> str:
    """Write one issue's grid renewable forecast: ``<root>/renewable_forecast/<issue>.zarr``.

    The dataset is the one :func:`gridcore.forecast.renewables.forecast_grid_renewables` returns:
    ``series`` x ``issue_time`` (length 1) x ``lead`` [h] x ``quantile``, variables ``point_mw`` and
    ``quantile_mw`` [MW]. One folder per issue time, written under a temporary name and renamed into place
    (a rerun replaces its own).

    Parameters
    ----------
    root : str
        Store folder.
    ds : xr.Dataset
        The forecast of one issue time.

    Returns
    -------
    str
        Path written.
    """
    return write_whole(ds, issue_path(root, "renewable_forecast", ds["issue_time"].values[0]))


def read_renewable_forecast(root: str, issue_time: pd.Timestamp | None = None) -> xr.Dataset:
    """The grid renewable forecast of one issue time (the latest when omitted).

    As written by :func:`write_renewable_forecast`.

    Raises
    ------
    FileNotFoundError
        When the store holds no such forecast.
    """
    return open_issue(root, "renewable_forecast", issue_time, "renewable forecast")


def write_renewable_backtest(
    root: str, forecasts: pd.DataFrame, summary: Mapping[str, object], name: str
) -> str:
    """Write a renewable backtest: ``<root>/backtests/renewables-<name>-<kind>-<horizon>h.zarr``.

    Parameters
    ----------
    root : str
        Store folder.
    forecasts : pd.DataFrame
        From :class:`gridcore.forecast.renewables.RenewableBacktest` (origin x series x lead rows).
    summary : Mapping
        Its figures (a :class:`~gridcore.forecast.renewables.RenewableBacktestSummary` or its dict; kept
        as the ``summary`` attribute, JSON).
    name : str
        Data set name (e.g. the file stem).

    Returns
    -------
    str
        Path written; variables ``actual``, ``forecast``, ``persistence``, ``climatology``, ``q<level>``
        over ``origin`` x ``series`` x ``lead``, in the unit of the power.
    """
    origins = pd.DatetimeIndex(forecasts["origin"].drop_duplicates()).tz_convert(None)
    series = list(dict.fromkeys(forecasts["series"]))
    horizon = int(summary["horizon_h"])
    shape = (len(origins), len(series), horizon)
    data = {
        c: (("origin", "series", "lead"), forecasts[c].to_numpy(dtype=float).reshape(shape))
        for c in forecasts.columns
        if c not in {"origin", "series", "target", "lead"}
    }
    ds = xr.Dataset(
        data,
        coords={
            "origin": origins.as_unit("ns"),
            "series": np.array(series, dtype=str),
            "lead": np.arange(1, horizon + 1),
        },
        attrs={
            "summary": json.dumps(dict(summary), default=str),
            "timezone": "UTC",
            "units": "normalised to capacity",
        },
    )
    path = Path(root) / "backtests" / f"renewables-{name}-{summary['kind']}-{horizon}h.zarr"
    return write_whole(ds, path)
