"""Forecast accuracy metrics: point errors, quantile (pinball) loss, interval coverage and width.

All functions take aligned arrays and ignore positions where the actual or the forecast is NaN (gaps are
not scored, and the count of scored points is reported separately by the callers).
"""

from __future__ import annotations

import numpy as np


def _pair(actual: np.ndarray, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    ok = np.isfinite(a) & np.isfinite(f)
    return a[ok], f[ok]


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error [%]; points with a zero actual are left out.

    Parameters
    ----------
    actual, forecast : np.ndarray
        Same shape [MW].

    Returns
    -------
    float
    """
    a, f = _pair(actual, forecast)
    nz = a != 0
    return float(100.0 * np.mean(np.abs((a[nz] - f[nz]) / a[nz]))) if nz.any() else float("nan")


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Root mean square error, in the unit of the data [MW]."""
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2))) if a.size else float("nan")


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error, in the unit of the data [MW]."""
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(a - f))) if a.size else float("nan")


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: np.ndarray) -> float:
    """Mean pinball (quantile) loss over all levels [unit of the data].

    Parameters
    ----------
    actual : np.ndarray
        Shape (n,).
    quantiles : np.ndarray
        Shape (n, k): the forecast quantile at each level.
    levels : np.ndarray
        Shape (k,): quantile levels in (0, 1).

    Returns
    -------
    float
    """
    a = np.asarray(actual, dtype=float)[:, None]
    q = np.asarray(quantiles, dtype=float)
    ok = np.isfinite(a[:, 0]) & np.isfinite(q).all(axis=1)
    diff = a[ok] - q[ok]
    lv = np.asarray(levels, dtype=float)[None, :]
    loss = np.maximum(lv * diff, (lv - 1.0) * diff)
    return float(loss.mean()) if loss.size else float("nan")


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside ``[lower, upper]`` [%]."""
    a = np.asarray(actual, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    ok = np.isfinite(a) & np.isfinite(lo) & np.isfinite(hi)
    return float(100.0 * np.mean((a[ok] >= lo[ok]) & (a[ok] <= hi[ok]))) if ok.any() else float("nan")


def mean_width(lower: np.ndarray, upper: np.ndarray) -> float:
    """Mean width of an interval [unit of the data]."""
    w = np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)
    w = w[np.isfinite(w)]
    return float(w.mean()) if w.size else float("nan")


def skill(score: float, reference: float) -> float:
    """Skill against a reference: ``1 - score / reference`` (positive is better than the reference)."""
    return float(1.0 - score / reference) if reference else float("nan")
