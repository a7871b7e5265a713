"""Impact of a plan: customers affected by class, critical customers, unserved energy, cost, fairness.

Fairness measures how evenly outage hours fall on the customers that could have been shed (those of the
tiers the plan touched): Jain's index, ``(sum x)^2 / (n sum x^2)`` (1 when every such customer is out as
long as every other, 1/n when one takes it all; R. Jain, D. Chiu, W. Hawe, DEC-TR-301, 1984), and the Gini
coefficient of the same outage hours (0 even, towards 1 uneven).
"""

from __future__ import annotations

import numpy as np

from gridcore.shedding.blocks import Blocks
from gridcore.shedding.priorities import CLASSES


def customers_affected(blocks: Blocks, shed_any: np.ndarray) -> dict[str, int]:
    """Customers of blocks shed at least once, by class."""
    counts = blocks.customers[shed_any].sum(axis=0)
    return {c: int(n) for c, n in zip(CLASSES, counts, strict=True)}


def jain_index(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Jain's fairness index of ``x`` (weights: how many customers each value stands for); 1 for all zero."""
    w = np.ones_like(x, dtype=np.float64) if weights is None else weights.astype(np.float64)
    n, s1, s2 = w.sum(), (w * x).sum(), (w * x * x).sum()
    if n == 0 or s2 == 0:
        return 1.0
    return float(s1 * s1 / (n * s2))


def gini(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Gini coefficient of ``x`` (weighted); 0 for all equal (or all zero)."""
    w = np.ones_like(x, dtype=np.float64) if weights is None else weights.astype(np.float64)
    keep = w > 0
    x, w = np.asarray(x, dtype=np.float64)[keep], w[keep]
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    cw = np.cumsum(w)
    cxw = np.cumsum(x * w)
    # area under the Lorenz curve by trapezoids over the population share
    lorenz = np.concatenate([[0.0], cxw / cxw[-1]])
    pop = np.concatenate([[0.0], cw / cw[-1]])
    area = np.sum((pop[1:] - pop[:-1]) * (lorenz[1:] + lorenz[:-1]) / 2)
    return float(1 - 2 * area)


def fairness(
    blocks: Blocks, outage_h: np.ndarray, shed_any: np.ndarray, eligible: np.ndarray | None = None
) -> dict[str, float]:
    """Jain and Gini of outage hours over the customers of the tiers the plan touched.

    Parameters
    ----------
    blocks : Blocks
    outage_h : np.ndarray
        Outage hours of each block over the event [h].
    shed_any : np.ndarray of bool
        Blocks shed at least once.
    eligible : np.ndarray of bool, optional
        Blocks in reach (the population is limited to them; all blocks when None).

    Returns
    -------
    dict
        ``jain``, ``gini``, ``customers`` (the population), ``max_outage_h``, ``mean_outage_h`` (over it).
    """
    tiers = np.unique(blocks.order[shed_any])
    pop = np.isin(blocks.order, tiers) & ~blocks.never_shed
    if eligible is not None:
        pop &= eligible
    w = blocks.n_customers[pop]
    x = outage_h[pop]
    n = int(w.sum())
    return {
        "jain": round(jain_index(x, w), 4),
        "gini": round(gini(x, w), 4),
        "customers": n,
        "max_outage_h": round(float(x.max()) if len(x) else 0.0, 3),
        "mean_outage_h": round(float((x * w).sum() / n) if n else 0.0, 3),
    }
