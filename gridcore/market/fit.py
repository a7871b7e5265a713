"""A response fitted from data: the saturating curve fitted by least squares to pilot results.

The third response model (``fitted`` in :mod:`gridcore.market.response`) takes the shape of the saturating
curve ``R(r) = r_max * (1 - r**-k)`` (peak-period reduction of a price-only customer at price ratio ``r``)
and fits ``r_max`` and ``k`` to observed (price ratio, reduction) pairs with
:func:`scipy.optimize.curve_fit`. A utility with its own pilot passes its points (a CSV with
``price_ratio, reduction_pct``, :func:`read_points`); the default points are the published ones below.

:data:`PILOT_POINTS` are the arc of price responsiveness as quoted in issue 15 from the dynamic-pricing
pilots surveyed by Faruqui and Sergici (2010) and Faruqui, Hledik and Palmer (2012): a 31 % price rise
gave about 11 % reduction, a 1875 % rise about 13 %. With these two points the fit passes through both
(``r_max`` 13.0 %, ``k`` 6.9); a utility's own pilot table gives a least-squares fit over more points.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

from gridcore.errors import InputError

#: (price ratio [-], peak-period reduction [%]) of price-only customers, see the module docstring.
PILOT_POINTS: tuple[tuple[float, float], ...] = ((1.31, 11.0), (19.75, 13.0))


def saturating(ratio: np.ndarray, r_max: float, k: float) -> np.ndarray:
    """``r_max * (1 - ratio**-k)``: reduction at price ratio ``ratio`` [same unit as ``r_max``]."""
    return r_max * (1.0 - np.asarray(ratio, dtype=float) ** (-k))


def fit_saturating(points: tuple[tuple[float, float], ...] | pd.DataFrame) -> tuple[float, float]:
    """Least-squares ``r_max`` [-] and ``k`` [-] of the saturating curve through pilot points.

    Parameters
    ----------
    points : tuple of (float, float) or pd.DataFrame
        (price ratio [-], reduction [%]) pairs, or a frame with ``price_ratio`` and ``reduction_pct``.

    Returns
    -------
    tuple of float
        ``r_max`` as a fraction [-] and ``k`` [-].

    Raises
    ------
    InputError
        Fewer than two points, or a ratio not above 1.
    """
    if isinstance(points, pd.DataFrame):
        arr = points[["price_ratio", "reduction_pct"]].to_numpy(dtype=float)
    else:
        arr = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(arr) < 2:
        raise InputError(f"points: at least 2 needed to fit, got {len(arr)}", field="points")
    bad = np.flatnonzero(~(arr[:, 0] > 1.0))
    if len(bad):
        raise InputError("price_ratio: must be above 1", field="price_ratio", row=int(bad[0]))
    with warnings.catch_warnings():
        # two points determine both parameters: no covariance to estimate, which scipy warns about
        warnings.simplefilter("ignore", OptimizeWarning)
        (r_max, k), _ = curve_fit(
            saturating, arr[:, 0], arr[:, 1] / 100.0, p0=(0.13, 5.0), bounds=(0, (1, 50))
        )
    return float(r_max), float(k)


def read_points(path: str | Path) -> pd.DataFrame:
    """Pilot points from a CSV with columns ``price_ratio`` [-] and ``reduction_pct`` [%].

    Raises
    ------
    InputError
        A missing column or a value that is not a number (naming the row).
    """
    frame = pd.read_csv(path)
    for col in ("price_ratio", "reduction_pct"):
        if col not in frame.columns:
            raise InputError(f"{path}: no column {col}", field=col)
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            raise InputError(f"{path}: {col} is not a number at row {bad[0]}", field=col, row=int(bad[0]))
        frame[col] = values
    return frame
