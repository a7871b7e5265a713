"""Clearing every hour of a horizon, and balancing what the market leaves unmatched.

:func:`clear_horizon` clears each hour of a forecast with the grid's own order books
(:func:`gridcore.market.books.default_books`); inflexible demand left unmatched (bids at the value of lost
load) is the imbalance, which :func:`gridcore.market.balance.balance` covers with price response,
batteries and shedding in the configured order. :class:`MarketSummary` is what the hourly flow reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.market.balance import (
    REMEDIES,
    BalanceResult,
    balance,
    battery_remedy,
    price_remedy,
    response_potential_mw,
    shedding_remedy,
)
from gridcore.market.books import default_books, inflexible_mw
from gridcore.market.clearing import clear
from gridcore.market.inputs import MarketInputs

#: Share of the fleet's energy a remedy can count on (half charged on average) [-].
BATTERY_AVAILABLE = 0.5


@dataclass(frozen=True)
class MarketSummary:
    """Prices and quantities of a horizon, and its balance.

    Attributes
    ----------
    issue_time : pd.Timestamp
    frame : pd.DataFrame
        Per hour: ``price_per_mwh``, ``price_low_per_mwh``, ``price_high_per_mwh`` [EUR/MWh],
        ``matched_mw``, ``unmatched_supply_mw``, ``unmatched_demand_mw``, ``imbalance_mw``, ``demand_mw``,
        ``renewables_mw`` [MW].
    balance : BalanceResult
    grid : str
    source : dict
    written : str or None
        Where the store holds it.
    """

    issue_time: pd.Timestamp
    frame: pd.DataFrame
    balance: BalanceResult
    grid: str
    source: dict[str, str]
    written: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON figures of the horizon (prices [EUR/MWh], energies [MWh], the residual per hour)."""
        f = self.frame
        return {
            "issue_time": f"{self.issue_time:%Y-%m-%dT%H:%MZ}",
            "horizon_h": len(f),
            "grid": self.grid,
            "source": self.source,
            "price_rule": "midpoint of the clearing price interval",
            "price_mean_per_mwh": round(float(f["price_per_mwh"].mean()), 4),
            "price_min_per_mwh": round(float(f["price_per_mwh"].min()), 4),
            "price_max_per_mwh": round(float(f["price_per_mwh"].max()), 4),
            "matched_mwh": round(float(f["matched_mw"].sum()), 4),
            "unmatched_demand_mwh": round(float(f["unmatched_demand_mw"].sum()), 4),
            "imbalance_mwh": round(float(f["imbalance_mw"].sum()), 6),
            "residual_imbalance_mw": [round(float(x), 6) for x in self.balance.residual_mw],
            "balance": self.balance.to_dict(),
            "written": self.written,
        }


def clear_horizon(
    inputs: MarketInputs,
    import_limit_mw: float | None = None,
    batteries: pd.DataFrame | None = None,
    order: tuple[str, ...] = REMEDIES,
) -> MarketSummary:
    """Clear every hour of ``inputs`` and balance the unmatched inflexible demand.

    Parameters
    ----------
    inputs : MarketInputs
    import_limit_mw : float, optional
        Import capacity through the substation [MW] (its rating when None).
    batteries : pd.DataFrame, optional
        Storage fleet (``power_mw``, ``energy_mwh``): the battery remedy, with
        :data:`BATTERY_AVAILABLE` of its energy to give; none when None.
    order : tuple of str
        Remedy order (:data:`gridcore.market.balance.REMEDIES`).

    Returns
    -------
    MarketSummary
    """
    rows = []
    for h in range(len(inputs.times)):
        offers, bids = default_books(inputs, h, import_limit_mw)
        c = clear(offers, bids)
        rows.append(
            {
                "price_per_mwh": c.price_per_mwh,
                "price_low_per_mwh": c.price_low,
                "price_high_per_mwh": c.price_high,
                "matched_mw": c.matched_mw,
                "unmatched_supply_mw": c.unmatched_supply_mw,
                "unmatched_demand_mw": c.unmatched_demand_mw,
                "imbalance_mw": max(inflexible_mw(bids, c.bids_accepted_mw), 0.0),
            }
        )
    frame = pd.DataFrame(rows, index=inputs.times)
    frame["demand_mw"] = inputs.demand_mw
    frame["renewables_mw"] = inputs.renewables_mw
    need = frame["imbalance_mw"].to_numpy()
    in_need = need > 1e-9
    potential = (
        response_potential_mw(inputs.load_mw, inputs.class_shares, inputs.times, in_need)
        if in_need.any()
        else np.zeros(len(need))
    )
    power = 0.0 if batteries is None else float(batteries["power_mw"].sum())
    energy = 0.0 if batteries is None else float(batteries["energy_mwh"].sum()) * BATTERY_AVAILABLE
    remedies = {
        "price": price_remedy(potential),
        "batteries": battery_remedy(power, energy),
        "shedding": shedding_remedy(inputs.grid, inputs.load_mw, inputs.times),
    }
    result = balance(inputs.times, need, remedies, order)
    return MarketSummary(inputs.times[0], frame, result, inputs.grid.code, inputs.source)
