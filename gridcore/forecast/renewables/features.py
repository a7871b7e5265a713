"""Feature rows of the grid forecast: what each normalised generator series shows at a daily origin.

Only hours before the origin are read; for PV the series and its features are clear-sky indices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _origin_features(v: np.ndarray, origins: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """History features of a normalised series at daily origins, known at each origin.

    Returns arrays of shape (n_origins, horizon): the last hour, the means of the last 24 h and 168 h, the
    same hour on the last known day, and the mean of the same hour on the last 14 known days.
    """
    lead = np.arange(1, horizon + 1)
    tgt = origins[:, None] + lead[None, :] - 1
    back = 24 * np.ceil(lead / 24).astype(int)
    csum = np.concatenate([[0.0], np.nancumsum(v)])
    cnt = np.concatenate([[0], np.cumsum(np.isfinite(v))])

    def mean_last(h: int) -> np.ndarray:
        lo = np.maximum(origins - h, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (csum[origins] - csum[lo]) / (cnt[origins] - cnt[lo])

    same = np.stack([v[np.maximum(tgt - back[None, :] - 24 * d, 0)] for d in range(14)], axis=-1)
    known = np.isfinite(same)
    ones = np.ones((1, horizon))
    with np.errstate(invalid="ignore", divide="ignore"):
        same_mean = np.where(known, same, 0.0).sum(axis=-1) / known.sum(axis=-1)
    return {
        "last": v[origins - 1][:, None] * ones,
        "mean_24h": mean_last(24)[:, None] * ones,
        "mean_168h": mean_last(168)[:, None] * ones,
        "same_hour_last_day": same[..., 0],
        "same_hour_14d": same_mean,
    }


def _history_design(
    values: np.ndarray, sky: np.ndarray | None, index: pd.DatetimeIndex, origins: np.ndarray, horizon: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature rows (origin x lead, flattened) and targets of one normalised series.

    With ``sky`` (clear-sky GHI / 1000 W m-2, PV) the series and its features are clear-sky indices.
    """
    lead = np.arange(1, horizon + 1)
    tgt = origins[:, None] + lead[None, :] - 1
    if sky is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            series = np.where(sky > 0.05, values / sky, np.nan)
    else:
        series = values
    feats = _origin_features(series, origins, horizon)
    feats["lead_h"] = np.broadcast_to(lead, tgt.shape).astype(float)
    feats["hour"] = index.hour.to_numpy()[tgt].astype(float)
    if sky is not None:
        feats["sky"] = sky[tgt]
        feats["doy"] = index.dayofyear.to_numpy()[tgt].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            day_k = np.array([np.nansum(values[o - 24 : o]) / np.nansum(sky[o - 24 : o]) for o in origins])
        feats["k_last_day"] = np.broadcast_to(day_k[:, None], tgt.shape)
    rows = pd.DataFrame({k: np.asarray(a, dtype=float).reshape(-1) for k, a in feats.items()})
    return rows, series[tgt].reshape(-1)
