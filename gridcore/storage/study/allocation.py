"""Allocation strategies: a total battery energy split over the sites, and the sites with those batteries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.storage.degradation import throughput_cost_eur_per_mwh
from gridcore.storage.study.config import STRATEGIES


def allocate(
    sites: pd.DataFrame,
    strategy: str,
    total_mwh: float,
    curtailment_mwh: pd.Series,
    top_feeder_frac: float = 1.0 / 3.0,
) -> pd.Series:
    """Split a total battery energy over the sites by one strategy.

    Parameters
    ----------
    sites : pd.DataFrame
        Site table with ``pv_mw`` [MW] and ``feeder``.
    strategy : str
        One of :data:`STRATEGIES` (see the module docstring).
    total_mwh : float
        Total energy [MWh] (ignored by ``none``).
    curtailment_mwh : pd.Series
        No-storage curtailment per site [MWh], ranks sites and feeders.
    top_feeder_frac : float
        Share of the feeders that ``constrained_feeders`` uses [-] (at least one feeder).

    Returns
    -------
    pd.Series
        Energy per site [MWh], summing to ``total_mwh`` (0 for ``none``).

    Raises
    ------
    ValueError
        An unknown strategy, or a curtailment-based strategy when no site curtails.
    """
    n = len(sites)
    curt = curtailment_mwh.reindex(sites.index).fillna(0.0).to_numpy(float)
    if strategy == "none":
        share = np.zeros(n)
    elif strategy == "uniform":
        share = np.full(n, 1.0 / n)
    elif strategy == "proportional_pv":
        pv = sites["pv_mw"].to_numpy(float)
        share = pv / pv.sum()
    elif strategy in ("constrained_feeders", "central"):
        if curt.sum() <= 0:
            raise InputError(
                f"strategy {strategy!r}: no site curtails without storage, nothing to rank", field="strategy"
            )
        if strategy == "central":
            share = np.zeros(n)
            share[int(np.argmax(curt))] = 1.0
        else:
            by_feeder = pd.Series(curt, index=sites["feeder"].to_numpy()).groupby(level=0).sum()
            top = by_feeder.sort_values(ascending=False, kind="stable")
            top = top[top > 0].index[: max(1, int(np.ceil(top_feeder_frac * len(by_feeder))))]
            weight = np.where(sites["feeder"].isin(top).to_numpy(), curt, 0.0)
            share = weight / weight.sum()
    else:
        raise InputError(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}", field="strategy")
    return pd.Series(share * total_mwh, index=sites.index, name="energy_mwh")


def with_storage(
    sites: pd.DataFrame, energy_mwh: pd.Series, duration_h: float = 2.0, cost_multiplier: float = 1.0
) -> pd.DataFrame:
    """The site table with batteries of the given energies.

    Parameters
    ----------
    sites : pd.DataFrame
        Site table (:func:`study_sites`).
    energy_mwh : pd.Series
        Energy per site [MWh] (:func:`allocate`).
    duration_h : float
        Energy-to-power ratio [h]: ``power_mw = energy_mwh / duration_h``.
    cost_multiplier : float
        Factor on the degradation model's throughput cost [-].

    Returns
    -------
    pd.DataFrame
        A copy with ``energy_mwh`` [MWh], ``power_mw`` [MW] and ``throughput_cost_eur_per_mwh`` [EUR/MWh].
    """
    out = sites.copy()
    out["energy_mwh"] = energy_mwh.reindex(out.index).fillna(0.0).to_numpy(float)
    out["power_mw"] = out["energy_mwh"] / duration_h
    out["throughput_cost_eur_per_mwh"] = cost_multiplier * throughput_cost_eur_per_mwh(out)
    return out
