"""The schedule in force: stored schedule issues stitched into one history, each hour from its last issue."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.storage.health.config import _utc_naive


def in_force(
    schedules: Sequence[xr.Dataset], start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> xr.Dataset | None:
    """Stitch schedules into one history: each hour from the latest issue that covers it.

    Parameters
    ----------
    schedules : sequence of xr.Dataset
        Schedules (``battery`` x ``time``, naive UTC hours; ``charge_mw``, ``discharge_mw`` [MW],
        ``soc_mwh`` [MWh]; attribute ``issue_time``), possibly lazy: only the hours in force are loaded.
    start, end : pd.Timestamp, optional
        Keep the hours in ``[start, end)`` (UTC).

    Returns
    -------
    xr.Dataset or None
        ``charge_mw``, ``discharge_mw``, ``soc_mwh`` over the union of the batteries (NaN where an issue
        lacks one) and of the hours, and ``issue_time`` per hour; None when no hour is left.
    """
    ordered = sorted(schedules, key=lambda ds: pd.Timestamp(ds.attrs["issue_time"]))
    if not ordered:
        return None
    axis = pd.DatetimeIndex(np.unique(np.concatenate([ds["time"].values for ds in ordered])))
    keep = np.ones(len(axis), dtype=bool)
    if start is not None:
        keep &= axis >= _utc_naive(start, "start")
    if end is not None:
        keep &= axis < _utc_naive(end, "end")
    owner = np.full(len(axis), -1)
    for k, ds in enumerate(ordered):
        owner[axis.get_indexer(pd.DatetimeIndex(ds["time"].values))] = k
    owner[~keep] = -1
    if (owner < 0).all():
        return None
    batteries = pd.Index(
        pd.unique(np.concatenate([np.asarray(ds["battery"].values, dtype=str) for ds in ordered]))
    )
    used = owner >= 0
    hours = axis[used]
    owner = owner[used]
    names = ("charge_mw", "discharge_mw", "soc_mwh")
    out = {v: np.full((len(batteries), len(hours)), np.nan) for v in names}
    issue_of_hour = np.empty(len(hours), dtype="datetime64[ns]")
    for k, ds in enumerate(ordered):
        cols = np.flatnonzero(owner == k)
        if len(cols) == 0:
            continue
        at_k = pd.DatetimeIndex(ds["time"].values).get_indexer(hours[cols])
        rows = batteries.get_indexer(np.asarray(ds["battery"].values, dtype=str))
        for v in names:
            out[v][np.ix_(rows, cols)] = ds[v].transpose("battery", "time").isel(time=at_k).values
        issue = pd.Timestamp(ds.attrs["issue_time"])
        issue_of_hour[cols] = (
            issue.tz_convert("UTC").tz_localize(None) if issue.tzinfo else issue
        ).to_datetime64()
    units = {"charge_mw": "MW", "discharge_mw": "MW", "soc_mwh": "MWh"}
    return xr.Dataset(
        {v: (("battery", "time"), out[v], {"units": units[v]}) for v in names}
        | {"issue_time": ("time", issue_of_hour)},
        coords={"battery": np.asarray(batteries, dtype=str), "time": hours.as_unit("ns")},
    )
