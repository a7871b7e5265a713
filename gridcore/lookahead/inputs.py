"""Hourly injections for a constraint look-ahead: stored forecasts and schedules, else profiles.

For the hours from an issue time, per load and static generator of a grid, in this order of preference:

* loads: the stored demand forecast of that issue (median of its ``load:<name>`` series) when it was made
  for this grid, else the grid's SimBench profiles at those hours (hourly means);
* generation: the stored renewable forecast of that issue (``sgen:<name>`` series), else the profiles;
* batteries: the stored battery schedule of that issue, where there is one: each battery's charging adds
  to, and its discharging takes from, the load at its bus (spread over that bus's loads by rated power).

:func:`forecast_injections` says which source each part came from, so a report can state it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.network.constraints import Injections
from gridcore.network.timeseries import hourly_injections

if TYPE_CHECKING:
    import xarray as xr

    from gridcore.network.grid import GridModel


def _series(ds: xr.Dataset, prefix: str, times: pd.DatetimeIndex) -> pd.DataFrame | None:
    """``<prefix><name>`` series of a stored forecast's point values: time x name [MW] (None if none)."""
    names = [str(s) for s in ds["series"].values if str(s).startswith(prefix)]
    if not names:
        return None
    point = ds["point_mw"].sel(series=names).isel(issue_time=0).values.T
    target = pd.DatetimeIndex(ds["target_time"].values[0]).tz_localize("UTC")
    frame = pd.DataFrame(point, index=target, columns=[n.removeprefix(prefix) for n in names])
    return frame.reindex(times)


def _same_grid(ds: xr.Dataset, grid: GridModel) -> bool:
    """Whether a stored product was made for this grid (products without a ``grid`` attribute: by names)."""
    made_for = ds.attrs.get("grid")
    return made_for is None or str(made_for) == grid.code


def forecast_injections(
    grid: GridModel, times: pd.DatetimeIndex, root: str | None = None, batteries: bool = True
) -> tuple[Injections, dict[str, str]]:
    """Loads, generation and battery power per hour for a constraint run.

    Parameters
    ----------
    grid : GridModel
        The grid and its profiles.
    times : pd.DatetimeIndex
        UTC hour starts; ``times[0]`` is the issue time of the stored products looked up.
    root : str, optional
        Store folder; profiles only when None.
    batteries : bool
        Add the stored battery schedule of the issue (False: the grid before its batteries act, as the
        chain's first look-ahead sees it).

    Returns
    -------
    injections : Injections
        In the order of ``grid.load`` / ``grid.sgen`` [MW], [MVAr].
    source : dict of str to str
        ``load`` (``forecast``, ``forecast+profiles`` or ``profiles``), ``generation`` (the same),
        ``batteries`` (``schedule`` with the count placed, or ``none``).
    """
    issue = times[0]
    demand = renew = schedule = None
    if root is not None:
        from gridcore.forecast.store import read_demand_forecast, read_renewable_forecast
        from gridcore.storage.store import read_schedule

        for reader, name in ((read_demand_forecast, "demand"), (read_renewable_forecast, "renew")):
            try:
                ds = reader(root, issue)
            except FileNotFoundError:
                continue
            if _same_grid(ds, grid):
                if name == "demand":
                    demand = _series(ds, "load:", times)
                else:
                    renew = _series(ds, "sgen:", times)
        try:
            schedule = read_schedule(root, issue) if batteries else None
        except FileNotFoundError:
            schedule = None
    p, q, sgen, load_source = hourly_injections(grid, times, demand)
    gen_source = "profiles"
    if renew is not None:
        fc = renew.reindex(columns=grid.sgen["name"].astype(str)).to_numpy(dtype=float)
        known = np.isfinite(fc)
        if known.any():
            sgen = np.where(known, fc, sgen)
            gen_source = "forecast" if known.all() else "forecast+profiles"
    battery_source = "none"
    if schedule is not None and _same_grid(schedule, grid):
        p, q, placed = add_batteries(grid, times, p, q, schedule)
        battery_source = f"schedule ({placed} batteries)"
    source = {"load": load_source, "generation": gen_source, "batteries": battery_source}
    return Injections(load_p_mw=p, load_q_mvar=q, sgen_p_mw=sgen), source


def add_batteries(
    grid: GridModel, times: pd.DatetimeIndex, p: np.ndarray, q: np.ndarray, schedule: xr.Dataset
) -> tuple[np.ndarray, np.ndarray, int]:
    """Add a battery schedule's charging minus discharging to the loads at each battery's bus.

    Parameters
    ----------
    grid : GridModel
    times : pd.DatetimeIndex
        UTC hours of ``p`` and ``q``.
    p, q : np.ndarray
        (time, load) [MW], [MVAr]; not changed.
    schedule : xr.Dataset
        :func:`gridcore.storage.store.read_schedule`: ``charge_mw``, ``discharge_mw`` (battery x time) and
        the ``bus`` of each battery.

    Returns
    -------
    p, q : np.ndarray
        With the batteries (reactive power kept at each load's power factor).
    placed : int
        Batteries whose bus has a load (the others are left out).
    """
    p, q = p.copy(), q.copy()
    hours = pd.DatetimeIndex(schedule["time"].values).tz_localize("UTC")
    net_mw = (schedule["charge_mw"] - schedule["discharge_mw"]).transpose("battery", "time").values
    net_mw = pd.DataFrame(net_mw.T, index=hours).reindex(times).fillna(0.0).to_numpy()
    buses = schedule["bus"].values.astype(np.int64) if "bus" in schedule.coords else np.array([], np.int64)
    load_bus = grid.load["bus"].to_numpy()
    rated = grid.load["p_mw"].to_numpy(dtype=float)
    placed = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.abs(p) > 1e-9, q / p, 0.0)
    for k, bus in enumerate(buses):
        at = np.flatnonzero(load_bus == bus)
        if len(at) == 0:
            continue
        share = rated[at] / rated[at].sum() if rated[at].sum() > 0 else np.full(len(at), 1.0 / len(at))
        p[:, at] += net_mw[:, [k]] * share[None, :]
        q[:, at] = p[:, at] * ratio[:, at]
        placed += 1
    return p, q, placed
