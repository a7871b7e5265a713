"""Calibrated quantiles: split-conformal on recent out-of-sample errors, per lead time.

For each lead, the relative errors ``actual / forecast - 1`` of the forecasts issued at the last ``window``
origins before the current one (never the current or later ones) give empirical quantiles; neighbouring
leads (``pool`` hours either side) are pooled so each quantile rests on enough errors. The forecast
quantile at level ``q`` is ``forecast * (1 + Q_q(errors))``. Because the errors are out-of-sample and
recent, the intervals keep their nominal coverage as the model or the season changes, where a model's own
quantile regression is typically overconfident.
"""

from __future__ import annotations

import numpy as np

#: Quantile levels produced by default.
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def conformal_quantiles(
    errors: np.ndarray, levels: tuple[float, ...] = QUANTILES, pool: int = 24
) -> np.ndarray:
    """Quantiles of relative errors per lead.

    Parameters
    ----------
    errors : np.ndarray
        Shape (n_origins, horizon): relative errors of past forecasts (NaN where unknown).
    levels : tuple of float
        Quantile levels.
    pool : int
        Leads either side pooled with each lead.

    Returns
    -------
    np.ndarray
        Shape (horizon, len(levels)).
    """
    n_o, horizon = errors.shape
    out = np.full((horizon, len(levels)), np.nan)
    for lead in range(horizon):
        window = errors[:, max(lead - pool, 0) : lead + pool + 1].reshape(-1)
        window = window[np.isfinite(window)]
        if window.size >= 10:
            out[lead] = np.quantile(window, levels)
    return out


def apply_quantiles(point: np.ndarray, rel_quantiles: np.ndarray) -> np.ndarray:
    """Forecast quantiles [MW] from a point forecast (horizon,) and relative quantiles (horizon, k)."""
    q = point[:, None] * (1.0 + rel_quantiles)
    return np.sort(q, axis=1)
