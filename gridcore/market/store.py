"""The market's products in the store, under ``<store>/market/``.

* ``market/clearing/<issue>.zarr``: per hour of a horizon the clearing price and its interval [EUR/MWh],
  matched, unmatched and imbalanced quantities, demand and renewables [MW], and the balance: what price
  response, batteries and shedding covered and the residual [MW];
* ``market/prices/<issue>.zarr``: a published price signal (the day-ahead prices): the retail price per
  hour [EUR/kWh] (per feeder when locational), the peak hours, and the demand before and after the
  expected response [MW].

Each is written whole (a rerun of an issue replaces it) with the grid, the source of its inputs and the
scheme in its attributes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.store import issue_path, open_issue, write_whole

CLEARING = "market/clearing"
PRICES = "market/prices"


def _times(index: pd.DatetimeIndex) -> np.ndarray:
    """UTC hour starts as naive datetime64 (the store's time convention)."""
    return pd.DatetimeIndex(index).tz_convert("UTC").tz_localize(None).to_numpy()


def write_clearing(root: str | Path, summary: object) -> str:
    """Write a :class:`gridcore.market.horizon.MarketSummary` to ``market/clearing/<issue>.zarr``.

    Returns
    -------
    str
        The path written.
    """
    frame: pd.DataFrame = summary.frame  # type: ignore[attr-defined]
    bal = summary.balance  # type: ignore[attr-defined]
    data = {
        col: ("time", frame[col].to_numpy(dtype=float), {"units": "EUR/MWh" if "price" in col else "MW"})
        for col in frame.columns
    }
    for name, covered in bal.covered_mw.items():
        data[f"covered_{name}_mw"] = ("time", covered, {"units": "MW"})
    data["residual_mw"] = ("time", bal.residual_mw, {"units": "MW"})
    ds = xr.Dataset(data, coords={"time": _times(frame.index)})
    ds.attrs.update(
        {
            "grid": summary.grid,  # type: ignore[attr-defined]
            "issue_time": f"{summary.issue_time:%Y-%m-%dT%H:%MZ}",  # type: ignore[attr-defined]
            "source": json.dumps(summary.source),  # type: ignore[attr-defined]
            "remedy_order": ",".join(bal.order),
            "price_rule": "midpoint of the clearing price interval",
        }
    )
    return write_whole(ds, issue_path(root, CLEARING, summary.issue_time))  # type: ignore[attr-defined]


def write_prices(
    root: str | Path,
    times: pd.DatetimeIndex,
    price_per_kwh: np.ndarray,
    peak_hours: np.ndarray,
    before_mw: np.ndarray,
    after_mw: np.ndarray,
    attrs: dict[str, object],
    feeders: list[str] | None = None,
) -> str:
    """Write a price signal to ``market/prices/<issue>.zarr`` (issue: the first hour).

    Parameters
    ----------
    root : str or Path
        Store folder.
    times : pd.DatetimeIndex
        UTC hour starts.
    price_per_kwh : np.ndarray
        (time,) or (time, feeder) [EUR/kWh].
    peak_hours : np.ndarray of bool
        (time,).
    before_mw, after_mw : np.ndarray
        (time,) system demand before and after the expected response [MW].
    attrs : dict
        Scheme, grid, source, ... (stored as attributes; non-strings as JSON).
    feeders : list of str, optional
        Feeder names when the price is per feeder.

    Returns
    -------
    str
    """
    coords: dict[str, object] = {"time": _times(times)}
    if feeders is not None:
        coords["feeder"] = np.asarray(feeders, dtype=str)
        price = ("time", "feeder"), np.asarray(price_per_kwh, dtype=float), {"units": "EUR/kWh"}
    else:
        price = "time", np.asarray(price_per_kwh, dtype=float).reshape(-1), {"units": "EUR/kWh"}
    ds = xr.Dataset(
        {
            "price_per_kwh": price,
            "peak_hour": ("time", np.asarray(peak_hours, dtype=bool)),
            "demand_before_mw": ("time", np.asarray(before_mw, dtype=float), {"units": "MW"}),
            "demand_after_mw": ("time", np.asarray(after_mw, dtype=float), {"units": "MW"}),
        },
        coords=coords,
    )
    ds.attrs.update({k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in attrs.items()})
    return write_whole(ds, issue_path(root, PRICES, times[0]))


def read_prices(root: str | Path, issue: pd.Timestamp | None = None) -> xr.Dataset:
    """A stored price signal (the latest when ``issue`` is None); FileNotFoundError when none."""
    return open_issue(root, PRICES, issue, "market prices", load=True)


def read_clearing(root: str | Path, issue: pd.Timestamp | None = None) -> xr.Dataset:
    """A stored horizon clearing (the latest when ``issue`` is None); FileNotFoundError when none."""
    return open_issue(root, CLEARING, issue, "market clearing", load=True)
