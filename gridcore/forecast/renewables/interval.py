"""Quantiles around a renewable point forecast from conformal quantiles of its scaled errors."""

from __future__ import annotations

import numpy as np


def conformal_interval(
    point: np.ndarray, scale: np.ndarray, rel: np.ndarray, upper: np.ndarray | float
) -> np.ndarray:
    """Quantiles from a point forecast, a scale and conformal quantiles of scaled errors.

    Parameters
    ----------
    point, scale : np.ndarray
        Shape (series, horizon): forecast [unit of the power] and error scale [-] (0: no uncertainty,
        e.g. at night).
    rel : np.ndarray
        Shape (horizon, k) or (series, horizon, k): quantiles of ``(actual - point) / scale``.
    upper : np.ndarray or float
        Capacity per series (or one for all) [unit of the power]; quantiles are clipped to [0, upper].

    Returns
    -------
    np.ndarray
        Shape (series, horizon, k), sorted along the last axis; NaN where ``rel`` is NaN by day.
    """
    rel = rel if rel.ndim == 3 else np.broadcast_to(rel, (point.shape[0], *rel.shape))
    q = point[:, :, None] + scale[:, :, None] * np.where(scale[:, :, None] > 0, rel, 0.0)
    cap = np.broadcast_to(np.asarray(upper, dtype=float).reshape(-1, 1, 1), q.shape)
    q = np.clip(q, 0.0, cap)
    return np.sort(q, axis=-1)
