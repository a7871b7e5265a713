"""Backtests in the store: forecasts and figures of each backtest as one dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.forecast.backtest import BacktestResult
from gridcore.store import TIME_ENCODING


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
        attrs={"summary": json.dumps(s, default=str), "timezone": "UTC"},
    )
    model = s["model"]["name"] if isinstance(s["model"], dict) else str(s["model"])
    path = Path(root) / "backtests" / f"{name}-{model}-{horizon}h.zarr"
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_zarr(path, mode="w", zarr_format=2, consolidated=True, encoding={"origin": dict(TIME_ENCODING)})
    return str(path)
