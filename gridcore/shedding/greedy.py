"""The fast planner: shed by priority tier, then by cost per MW, until the need is covered.

The rule every plan keeps: a block is shed only when every eligible block of an earlier shed order is shed
too (``order`` is the tier; ties within a tier go to the cheapest value of lost load, then to ``tiebreak``,
e.g. the outage hours a block has already taken in a rotation). The greedy takes blocks in that order until
their power covers the need, then trims the last tier: it drops the costliest blocks whose power the
overshoot can spare. Vectorised: a lexicographic sort and a cumulative sum, milliseconds for 100,000 blocks.
"""

from __future__ import annotations

import numpy as np

#: Power below which a need counts as covered [MW] (1 W).
TOL_MW = 1e-6


def greedy_select(
    p_mw: np.ndarray,
    order: np.ndarray,
    cost_eur_per_mwh: np.ndarray,
    needed_mw: float,
    eligible: np.ndarray | None = None,
    tiebreak: np.ndarray | None = None,
) -> np.ndarray:
    """Blocks to shed to cover ``needed_mw`` (priority tier first, then cost per MW).

    Parameters
    ----------
    p_mw : np.ndarray
        Power of each block [MW].
    order : np.ndarray of int
        Shed order (tier) of each block: smaller is shed first.
    cost_eur_per_mwh : np.ndarray
        Value of lost load of each block [EUR/MWh].
    needed_mw : float
        Power to take off [MW].
    eligible : np.ndarray of bool, optional
        Blocks that may be shed (all by default).
    tiebreak : np.ndarray, optional
        Sorted on before the cost within a tier (smaller first).

    Returns
    -------
    np.ndarray of bool
        Blocks shed. When all eligible blocks do not cover the need, all of them (with power) are shed.
    """
    n = len(p_mw)
    shed = np.zeros(n, dtype=bool)
    if needed_mw <= TOL_MW:
        return shed
    ok = p_mw > 0
    if eligible is not None:
        ok &= eligible
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return shed
    keys = [-p_mw[idx], cost_eur_per_mwh[idx]]
    if tiebreak is not None:
        keys.append(tiebreak[idx])
    keys.append(order[idx])
    idx = idx[np.lexsort(keys)]
    cum = np.cumsum(p_mw[idx])
    k = int(np.searchsorted(cum, needed_mw - TOL_MW))
    if k >= len(idx):
        shed[idx] = True
        return shed
    chosen = idx[: k + 1]
    shed[chosen] = True
    _trim(shed, chosen, p_mw, order, cost_eur_per_mwh, cum[k] - needed_mw)
    return shed


def _trim(
    shed: np.ndarray,
    chosen: np.ndarray,
    p_mw: np.ndarray,
    order: np.ndarray,
    cost: np.ndarray,
    overshoot_mw: float,
) -> None:
    """Drop blocks of the last tier whose power fits in the overshoot, costliest first (in place)."""
    last = order[chosen[-1]]
    cand = chosen[(order[chosen] == last) & (p_mw[chosen] <= overshoot_mw + TOL_MW)]
    if len(cand) == 0:
        return
    cand = cand[np.argsort(-(cost[cand] * p_mw[cand]), kind="stable")]
    for i in cand:
        if p_mw[i] <= overshoot_mw + TOL_MW:
            shed[i] = False
            overshoot_mw -= p_mw[i]


def plan_cost(p_mw: np.ndarray, cost_eur_per_mwh: np.ndarray, shed: np.ndarray, hours: float = 1.0) -> float:
    """Value of the load shed [EUR] over ``hours`` [h]."""
    return float((p_mw * cost_eur_per_mwh)[shed].sum() * hours)
