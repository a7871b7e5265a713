"""Physical limits of a price response: flexible share per class, comfort bounds, no negative load.

A response model proposes a load per hour; what customers can physically do bounds it:

* only the class's flexible share (``flex_share``: heating and cooling, wet appliances, charging, process
  shifting) can move, up or down: ``|q - q0| <= flex_share * q0`` in every hour (comfort bounds: a home is
  not left without its inflexible use; a load cannot more than absorb its own flexible share on top);
* load is never negative;
* where the model conserves energy within a day (``elasticity``), the clipped increases and decreases are
  rescaled so that each day's energy stays what it was (the smaller side of the shift binds).
"""

from __future__ import annotations

import numpy as np


def apply_limits(
    base: np.ndarray, proposed: np.ndarray, flex_share: float, day: np.ndarray, conserve: bool = False
) -> np.ndarray:
    """Clip a proposed load to the physical limits (module docstring).

    Parameters
    ----------
    base : np.ndarray
        (time, element) baseline of one class [MW].
    proposed : np.ndarray
        (time, element) load the response model proposes [MW].
    flex_share : float
        Share of the class's load that can move [-].
    day : np.ndarray
        (time,) day number of each hour.
    conserve : bool
        Keep each day's energy per element (the model shifts load only).

    Returns
    -------
    np.ndarray
        (time, element) load within the limits [MW].
    """
    base = np.maximum(base, 0.0)
    band = flex_share * base
    delta = np.clip(proposed - base, -band, band)
    if conserve:
        for d in np.unique(day):
            rows = day == d
            dd = delta[rows]
            up = np.where(dd > 0, dd, 0.0).sum(axis=0)
            down = -np.where(dd < 0, dd, 0.0).sum(axis=0)
            moved = np.minimum(up, down)
            with np.errstate(invalid="ignore", divide="ignore"):
                s_up = np.where(up > 0, moved / np.where(up > 0, up, 1.0), 0.0)
                s_down = np.where(down > 0, moved / np.where(down > 0, down, 1.0), 0.0)
            delta[rows] = np.where(dd > 0, dd * s_up, dd * s_down)
    return np.maximum(base + delta, 0.0)
