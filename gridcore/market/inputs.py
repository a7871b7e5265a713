"""What the market works on: demand, renewables and net load per hour, per load, feeder and class.

For the hours of a horizon, :func:`market_inputs` takes the stored demand and renewable forecasts of the
issue where the store has them (median of the ``load:<name>`` and ``sgen:<name>`` series) and otherwise the
default world's profiles (:func:`gridcore.network.grid.load_grid`: weather-driven demand, SimBench
generation); ``source`` says which was used. Each load's customer classes come from the meter fleet
(:func:`gridcore.data.fleet.build_fleet`: the energy share of each class at each load), each load's and
generator's feeder from the topology in force, each feeder's limit from its head line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.market.response import CLASSES
from gridcore.network.grid import GridModel

#: Meters of the fleet the class shares are drawn from (the shares, not the count, matter).
SHARE_METERS = 20_000


@dataclass(frozen=True)
class MarketInputs:
    """Hourly demand and generation of a grid over a horizon.

    Attributes
    ----------
    grid : GridModel
    times : pd.DatetimeIndex
        UTC hour starts.
    load_mw : np.ndarray
        (time, load) demand [MW], ``grid.load`` order.
    sgen_mw : np.ndarray
        (time, sgen) renewable generation [MW], ``grid.sgen`` order.
    class_shares : np.ndarray
        (load, class) energy share of each customer class [-].
    load_feeder, sgen_feeder : np.ndarray of str
        Feeder of each load and generator ("" when not on a feeder).
    feeder_limit_mw : pd.Series
        Head-line limit of each feeder [MW].
    capacity_mw : float
        Substation (HV/MV transformer) rating [MVA ~ MW].
    source : dict of str to str
        ``load`` and ``generation``: ``forecast``, ``forecast+profiles`` or ``profiles`` (the default world).
    """

    grid: GridModel
    times: pd.DatetimeIndex
    load_mw: np.ndarray
    sgen_mw: np.ndarray
    class_shares: np.ndarray
    load_feeder: np.ndarray
    sgen_feeder: np.ndarray
    feeder_limit_mw: pd.Series
    capacity_mw: float
    source: dict[str, str]

    @property
    def demand_mw(self) -> pd.Series:
        """System demand [MW]."""
        return pd.Series(self.load_mw.sum(axis=1), index=self.times, name="demand_mw")

    @property
    def renewables_mw(self) -> pd.Series:
        """System renewable generation [MW]."""
        return pd.Series(self.sgen_mw.sum(axis=1), index=self.times, name="renewables_mw")

    @property
    def net_load_mw(self) -> pd.Series:
        """Demand minus renewables [MW]."""
        return (self.demand_mw - self.renewables_mw).rename("net_load_mw")

    def feeder_net_mw(self, load_mw: np.ndarray | None = None) -> pd.DataFrame:
        """Time x feeder: the feeder's demand minus its generation [MW] (``load_mw`` instead of demand)."""
        load = self.load_mw if load_mw is None else load_mw
        feeders = list(self.feeder_limit_mw.index)
        out = np.zeros((len(self.times), len(feeders)))
        for j, f in enumerate(feeders):
            out[:, j] = load[:, self.load_feeder == f].sum(axis=1) - self.sgen_mw[
                :, self.sgen_feeder == f
            ].sum(axis=1)
        return pd.DataFrame(out, index=self.times, columns=feeders)

    def class_demand_mw(self) -> pd.DataFrame:
        """Time x class demand [MW]."""
        return pd.DataFrame(
            np.einsum("tn,nc->tc", self.load_mw, self.class_shares), index=self.times, columns=list(CLASSES)
        )


_SHARES: dict[tuple[str, str], np.ndarray] = {}


def class_shares(grid: GridModel) -> np.ndarray:
    """(load, class) energy share of each class at each load, from the grid's meter fleet [-].

    Cached per grid code and topology fingerprint (a fleet of :data:`SHARE_METERS` takes ~0.1 s).
    """
    from gridcore.data.fleet import build_fleet

    key = (grid.code, grid.fingerprint)
    if key not in _SHARES:
        fleet = build_fleet(grid, n_meters=SHARE_METERS)
        pos = grid.load.index.get_indexer(fleet["load"].to_numpy())
        cls = pd.Categorical(fleet["customer_class"].astype(str), categories=CLASSES).codes
        out = np.zeros((len(grid.load), len(CLASSES)))
        np.add.at(out, (pos, cls), fleet["share"].to_numpy(dtype=float))
        _SHARES[key] = out
    return _SHARES[key]


def hours(issue: pd.Timestamp | str, horizon_h: int) -> pd.DatetimeIndex:
    """``horizon_h`` UTC hour starts from ``issue`` (floored to the hour).

    Raises
    ------
    InputError
        A naive time or a horizon below 1 h.
    """
    ts = pd.Timestamp(issue)
    if ts.tz is None:
        raise InputError(f"issue time {issue}: no offset; give UTC (e.g. 2016-07-01T00:00Z)", field="--at")
    if horizon_h < 1:
        raise InputError(f"horizon must be at least 1 h, got {horizon_h}", field="--horizon")
    return pd.date_range(ts.tz_convert("UTC").floor("h"), periods=horizon_h, freq="h")


def market_inputs(
    grid: GridModel, issue: pd.Timestamp | str, horizon_h: int, root: str | None = None
) -> MarketInputs:
    """Demand, renewables, classes and feeders of ``grid`` for ``horizon_h`` hours from ``issue``.

    Parameters
    ----------
    grid : GridModel
        With its profiles (the default world for a SimBench code).
    issue : pd.Timestamp or str
        tz-aware; floored to the hour.
    horizon_h : int
        Hours [h].
    root : str, optional
        Store folder whose forecasts of that issue are used when present.

    Returns
    -------
    MarketInputs
    """
    from gridcore.lookahead.inputs import forecast_injections
    from gridcore.network.feeders import derive_feeders
    from gridcore.storage.plan import feeder_limits_mw

    times = hours(issue, horizon_h)
    inj, source = forecast_injections(grid, times, root)
    feeders = derive_feeders(grid)
    limits = feeder_limits_mw(grid, feeders.head_line)
    bf = feeders.bus_feeder
    load_feeder = bf.reindex(grid.load["bus"]).fillna("").astype(str).to_numpy()
    sgen_feeder = bf.reindex(grid.sgen["bus"]).fillna("").astype(str).to_numpy()
    hv = grid.trafo["sn_mva"].astype(float)
    capacity = float(hv.max()) if len(hv) else float("nan")
    return MarketInputs(
        grid=grid,
        times=times,
        load_mw=np.maximum(inj.load_p_mw, 0.0),
        sgen_mw=np.maximum(inj.sgen_p_mw, 0.0),
        class_shares=class_shares(grid),
        load_feeder=load_feeder,
        sgen_feeder=sgen_feeder,
        feeder_limit_mw=limits,
        capacity_mw=capacity,
        source={"load": source["load"], "generation": source["generation"]},
    )
