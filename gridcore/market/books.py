"""The grid's own order books for one hour: who offers supply and who bids for it, at what price.

Without order books from outside (``--offers`` / ``--bids``), an hour's books are built from the grid and
its forecast (:class:`gridcore.market.inputs.MarketInputs`):

Supply offers
    * every renewable generator at its forecast output and its marginal cost (:data:`RENEWABLE_COST`:
      PV and wind 0, hydro 5, biomass 60 EUR/MWh);
    * the batteries of the storage fleet at their discharge power and their degradation cost plus
      :data:`BATTERY_MARGIN` (the energy they sell must be bought back);
    * imports through the substation up to ``import_limit_mw`` (its rating unless told), in five equal
      tranches of the upstream merit order (:data:`IMPORT_TRANCHES`).
Demand bids
    * each class's inflexible load at each load point at the value of lost load (:data:`VOLL`);
    * its flexible share (:data:`gridcore.market.response.ClassResponse.flex_share`) at the class's
      willingness to pay (:data:`FLEX_BID`);
    * exports through the substation (the upstream market takes surplus) at :data:`EXPORT_BID`.

Demand left unmatched at the value of lost load is the imbalance that storage or shedding must cover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.market.inputs import MarketInputs
from gridcore.market.response import CLASSES, DEFAULT_PARAMS

#: Marginal cost of renewable generation by SimBench type prefix [EUR/MWh] (unlisted: 0).
RENEWABLE_COST = {"PV": 0.0, "Wind": 0.0, "lv_RES": 0.0, "Hydro": 5.0, "Biomass": 60.0}
#: Upstream merit order: price of each equal tranche of the import capacity [EUR/MWh].
IMPORT_TRANCHES = (40.0, 55.0, 75.0, 110.0, 180.0)
#: Value of lost load of inflexible demand [EUR/MWh].
VOLL = 3000.0
#: Willingness to pay for flexible load per class [EUR/MWh].
FLEX_BID = {"residential": 300.0, "commercial": 250.0, "industrial": 150.0, "critical": VOLL}
#: What the upstream market pays for exports [EUR/MWh].
EXPORT_BID = 20.0
#: Battery offer above its degradation cost [EUR/MWh].
BATTERY_MARGIN = 80.0


def renewable_cost(types: pd.Series) -> np.ndarray:
    """Marginal cost of each generator from its type [EUR/MWh]."""
    out = np.zeros(len(types))
    names = types.astype(str).to_numpy()
    for prefix, cost in RENEWABLE_COST.items():
        out[np.char.startswith(names.astype(str), prefix)] = cost
    return out


def default_books(
    inputs: MarketInputs,
    hour: int,
    import_limit_mw: float | None = None,
    batteries: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Offers and bids of one hour of ``inputs`` (module docstring).

    Parameters
    ----------
    inputs : MarketInputs
    hour : int
        Position of the hour in ``inputs.times``.
    import_limit_mw : float, optional
        Import capacity through the substation [MW]; its rating when None.
    batteries : pd.DataFrame, optional
        Storage fleet (``power_mw``, ``throughput_cost_eur_per_mwh``); none when None.

    Returns
    -------
    offers, bids : pd.DataFrame
        Columns ``id``, ``price_per_mwh`` [EUR/MWh], ``quantity_mw`` [MW].
    """
    grid = inputs.grid
    gen = inputs.sgen_mw[hour]
    offers = [
        pd.DataFrame(
            {
                "id": "sgen:" + grid.sgen["name"].astype(str).to_numpy(),
                "price_per_mwh": renewable_cost(grid.sgen["type"]),
                "quantity_mw": gen,
            }
        )
    ]
    if batteries is not None and len(batteries):
        offers.append(
            pd.DataFrame(
                {
                    "id": "battery:" + batteries.index.astype(str),
                    "price_per_mwh": batteries["throughput_cost_eur_per_mwh"].to_numpy(dtype=float)
                    + BATTERY_MARGIN,
                    "quantity_mw": batteries["power_mw"].to_numpy(dtype=float),
                }
            )
        )
    cap = inputs.capacity_mw if import_limit_mw is None else import_limit_mw
    cap = float(cap) if np.isfinite(cap) else float(inputs.load_mw[hour].sum())
    n = len(IMPORT_TRANCHES)
    offers.append(
        pd.DataFrame(
            {
                "id": [f"import:{k + 1}" for k in range(n)],
                "price_per_mwh": IMPORT_TRANCHES,
                "quantity_mw": [max(cap, 0.0) / n] * n,
            }
        )
    )
    load = inputs.load_mw[hour][:, None] * inputs.class_shares  # (load, class)
    flex = np.array([DEFAULT_PARAMS[c].flex_share for c in CLASSES])
    names = grid.load["name"].astype(str).to_numpy()
    ids = np.char.add(np.char.add("load:", names)[:, None], np.array([f":{c}" for c in CLASSES])[None, :])
    bids = [
        pd.DataFrame(
            {
                "id": np.char.add(ids.ravel(), ":inflexible"),
                "price_per_mwh": VOLL,
                "quantity_mw": (load * (1 - flex)).ravel(),
            }
        ),
        pd.DataFrame(
            {
                "id": np.char.add(ids.ravel(), ":flexible"),
                "price_per_mwh": np.tile([FLEX_BID[c] for c in CLASSES], len(names)),
                "quantity_mw": (load * flex).ravel(),
            }
        ),
        pd.DataFrame({"id": ["export"], "price_per_mwh": [EXPORT_BID], "quantity_mw": [max(cap, 0.0)]}),
    ]
    o = pd.concat(offers, ignore_index=True)
    b = pd.concat(bids, ignore_index=True)
    return o[o["quantity_mw"] > 0].reset_index(drop=True), b[b["quantity_mw"] > 0].reset_index(drop=True)


def inflexible_mw(bids: pd.DataFrame, accepted_mw: np.ndarray) -> float:
    """Inflexible demand (bids at the value of lost load) left unserved [MW]."""
    at_voll = bids["price_per_mwh"].to_numpy(dtype=float) >= VOLL
    return float((bids["quantity_mw"].to_numpy(dtype=float) - accepted_mw)[at_voll].sum())
