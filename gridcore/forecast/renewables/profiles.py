"""A grid's static generators as renewable series: technology, location, hourly actuals from the profiles."""

from __future__ import annotations

import pandas as pd

from gridcore.errors import InputError
from gridcore.times import to_utc


def technology(sgen_type: str) -> str:
    """``pv``, ``wind`` or ``other`` for a generator type (SimBench: ``PV_MV``, ``lv_RES`` are PV)."""
    t = sgen_type.lower()
    if "pv" in t or t == "lv_res":
        return "pv"
    return "wind" if "wind" in t else "other"


def renewable_actuals(grid, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:  # noqa: ANN001
    """Hourly power of every static generator from the grid's profiles (the 'actual' availability).

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
    start, end : pd.Timestamp
        UTC; hours from ``start`` (floored) up to ``end`` (excluded).

    Returns
    -------
    pd.DataFrame
        UTC hourly index (interval start), one column per generator name: mean of its four quarter hours
        [MW].
    """
    start = to_utc(start, "start", naive="error").floor("h")
    end = to_utc(end, "end", naive="error").ceil("h")
    if end <= start:
        raise InputError(f"end {end} is not after start {start}", field="end")
    quarters = pd.date_range(start, end, freq="15min", inclusive="left")
    p = grid.sgen_p_mw[grid.profile_index(quarters)]
    hourly = p.reshape(-1, 4, p.shape[1]).mean(axis=1)
    return pd.DataFrame(hourly, index=quarters[::4], columns=grid.sgen["name"].astype(str).to_numpy())


def grid_location(grid) -> tuple[float, float]:  # noqa: ANN001
    """Mean latitude and longitude [deg] of the grid's buses (bus ``y``, ``x``)."""
    return float(grid.bus["y"].mean()), float(grid.bus["x"].mean())
