"""The series of a grid and their history: what the demand forecasts forecast, and from what.

:func:`grid_series` derives the series from the topology in force (the system total, each feeder, each
load point); :func:`demand_history` builds their hourly history; :func:`history_issues` flags gaps, spikes
and negative values, which :func:`clean_history` leaves out of fitting and scoring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Series id of the system total.
SYSTEM = "system"


def grid_series(grid, feeders) -> pd.DataFrame:  # noqa: ANN001 (GridModel, FeederMap: no import cycle)
    """The demand series of a grid under the topology in force.

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
    feeders : gridcore.network.feeders.FeederMap

    Returns
    -------
    pd.DataFrame
        Index ``series`` (``system``, ``feeder:<feeder id>``, ``load:<load name>``); columns ``kind``
        (system, feeder, load), ``feeder`` (feeder id, ``""`` for the system or a load with no feeder),
        ``group`` (the forecast group: the feeder id, or ``system``), ``bus`` (-1 when not one bus),
        ``p_nominal_mw`` [MW].
    """
    bus_feeder = feeders.bus_feeder
    load_feeder = grid.load["bus"].map(bus_feeder).fillna("").astype(str)
    rows = [
        {
            "series": SYSTEM,
            "kind": "system",
            "feeder": "",
            "group": SYSTEM,
            "bus": -1,
            "p_nominal_mw": float(grid.load["p_mw"].sum()),
        }
    ]
    for f in feeders.feeders:
        rows.append(
            {
                "series": f"feeder:{f}",
                "kind": "feeder",
                "feeder": f,
                "group": f,
                "bus": -1,
                "p_nominal_mw": float(grid.load.loc[load_feeder == f, "p_mw"].sum()),
            }
        )
    for i, load in grid.load.iterrows():
        f = load_feeder.at[i]
        rows.append(
            {
                "series": f"load:{load['name']}",
                "kind": "load",
                "feeder": f,
                "group": f or SYSTEM,
                "bus": int(load["bus"]),
                "p_nominal_mw": float(load["p_mw"]),
            }
        )
    return pd.DataFrame(rows).set_index("series")


def demand_history(grid, catalog: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:  # noqa: ANN001
    """Hourly demand of every series from the grid's load profiles.

    The profiles are the grid's yearly load curves (SimBench: one year of quarter hours per load), replayed
    by day of year and time of day onto any year; hourly values are the mean of the four quarter hours.

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
    catalog : pd.DataFrame
        From :func:`grid_series`.
    start, end : pd.Timestamp
        UTC hour starts; ``end`` excluded.

    Returns
    -------
    pd.DataFrame
        Hourly UTC index, one column per series of ``catalog`` [MW].
    """
    quarters = pd.date_range(start, end, freq="15min", inclusive="left")
    p = grid.load_p_mw[grid.profile_index(quarters)]
    hourly = p.reshape(-1, 4, p.shape[1]).mean(axis=1)
    index = quarters[::4]
    names = "load:" + grid.load["name"].astype(str)
    loads = pd.DataFrame(hourly, index=index, columns=names.to_numpy())
    out = {}
    for sid, row in catalog.iterrows():
        if row["kind"] == "system":
            out[sid] = loads.sum(axis=1)
        elif row["kind"] == "feeder":
            members = catalog.index[(catalog["kind"] == "load") & (catalog["feeder"] == row["feeder"])]
            out[sid] = loads[members].sum(axis=1)
        else:
            out[sid] = loads[sid]
    return pd.DataFrame(out, index=index)


def history_issues(history: pd.DataFrame, z: float = 8.0) -> pd.DataFrame:
    """Gaps, spikes and negative values in hourly demand history.

    A spike is an hour that stands out from both its neighbours in the same direction by more than ``z``
    robust standard deviations of the series' hour-to-hour changes (1.4826 x their median absolute value)
    and by more than half the neighbours' mean: a lone reading far off its surroundings, not a ramp.

    Parameters
    ----------
    history : pd.DataFrame
        Hourly UTC index, one column per series [MW].
    z : float
        Spike threshold in robust standard deviations.

    Returns
    -------
    pd.DataFrame
        One row per flagged hour: ``series``, ``time`` (UTC), ``issue`` (gap, spike, negative),
        ``value_mw`` (NaN for a gap).
    """
    rows = []
    for sid in history.columns:
        x = history[sid]
        gaps = x.index[x.isna()]
        rows += [(sid, t, "gap", np.nan) for t in gaps]
        neg = x[x < 0]
        rows += [(sid, t, "negative", v) for t, v in neg.items()]
        up = x - x.shift(1)
        down = x - x.shift(-1)
        step = up.abs().to_numpy()
        scale = 1.4826 * float(np.nanmedian(step)) if np.isfinite(step).any() else 0.0
        jump = np.minimum(up.abs(), down.abs())
        around = (x.shift(1) + x.shift(-1)).abs() / 2.0
        spike = (np.sign(up) == np.sign(down)) & (jump > max(z * scale, 1e-9)) & (jump > 0.5 * around)
        rows += [(sid, t, "spike", v) for t, v in x[spike].items()]
    out = pd.DataFrame(rows, columns=["series", "time", "issue", "value_mw"])
    return out.sort_values(["series", "time"], kind="stable").reset_index(drop=True)


def clean_history(history: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """``history`` with flagged hours set to NaN (left out of fitting and scoring, never filled)."""
    out = history.copy()
    for sid, g in issues.groupby("series"):
        out.loc[pd.DatetimeIndex(g["time"]), sid] = np.nan
    return out
