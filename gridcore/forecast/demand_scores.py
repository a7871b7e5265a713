"""Out-of-sample scores of the grid demand forecast over its evaluation origins.

The fit blocks of the origins, the cross-conformal calibration sets behind the reported coverage, the
per-series scores (:func:`series_scores`), the screened MSTL candidate and the choice of each series'
champion (:func:`choose_candidates`), used by :func:`gridcore.forecast.demand.forecast_group`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.forecast import metrics
from gridcore.forecast.champion import NAIVE, STAT_ORIGINS, ModelChoice, choose_model, mape_pct, score
from gridcore.forecast.intervals import lead_bucket_quantiles
from gridcore.forecast.statistical import MSTLModel

#: Leads pooled in one calibration bucket [h] (a lead day: every hour of the day).
LEAD_BUCKET_H = 24
#: Consecutive calibration origins counted as one cluster of errors (a week: weather regimes and the shared
#: target hours of neighbouring origins tie them; :func:`gridcore.forecast.intervals.lead_bucket_quantiles`).
CLUSTER_ORIGINS = 7
#: Origins MSTL is screened on before it is fitted on the rest of the decision window.
MSTL_SCREEN_ORIGINS = 7
#: MSTL is dominated (not fitted further) when its screening MAPE exceeds the best other candidate's by this
#: factor [-].
MSTL_SCREEN_MARGIN = 1.25


def screened_mstl(
    load: np.ndarray,
    last: np.ndarray,
    index: pd.DatetimeIndex,
    day: int,
    actual: np.ndarray,
    preds: dict[str, list[np.ndarray]],
) -> tuple[np.ndarray, int]:
    """MSTL day-ahead forecasts of the head series over the decision window, screened first.

    MSTL fits once per origin, the dearest candidate by far. It is fitted on the last
    :data:`MSTL_SCREEN_ORIGINS` origins of the window first; when its MAPE there is above
    :data:`MSTL_SCREEN_MARGIN` times the best other candidate's on the same hours, it is clearly
    dominated and scored on those origins only (the other origins NaN); otherwise on the whole window.

    Returns
    -------
    np.ndarray
        (origin of ``last``, lead) [MW].
    int
        Origins it was scored on.
    """
    k, n = len(last), min(MSTL_SCREEN_ORIGINS, len(last))
    out = np.full((k, day), np.nan)
    out[k - n :] = mstl_forecasts(load, last[k - n :], index, day)
    head = actual[0, -n:]
    others = [mape_pct(head, p[0][:-1][-n:, :day])[0] for p in preds.values()]
    best = np.nanmin(others) if np.isfinite(others).any() else np.nan
    if np.isfinite(best) and mape_pct(head, out[k - n :])[0] > MSTL_SCREEN_MARGIN * best:
        return out, n
    if k > n:
        out[: k - n] = mstl_forecasts(load, last[: k - n], index, day)
    return out, k


def mstl_forecasts(
    load: np.ndarray, origins: np.ndarray, index: pd.DatetimeIndex, horizon: int
) -> np.ndarray:
    """MSTL point forecasts from each origin, from the load before it [MW], (origin, lead)."""
    model = MSTLModel()
    return np.array([model.forecast_history(load[:o], index[o], horizon) for o in origins])


def fit_blocks(origins: np.ndarray, refit_days: int) -> np.ndarray:
    """Fit block of each origin (ascending; the last is the issue).

    Counted back from the issue: the issue and the ``refit_days`` calibration origins before it form the
    last block, the ``refit_days`` before those the one before, and so on; each block is forecast by a
    model fitted before its first origin.
    """
    n_c = len(origins) - 1
    from_end = (n_c - 1 - np.arange(n_c)) // refit_days
    block = np.concatenate([from_end, [0]])
    return block.max() - block


def cross_conformal_sets(n: int, overlap: int, size: int) -> np.ndarray:
    """Which origins calibrate each origin's interval in the cross-conformal coverage.

    Parameters
    ----------
    n : int
        Evaluation origins (daily, ascending).
    overlap : int
        Origins ``i`` and ``j`` share target hours when ``|i - j| < overlap`` (``ceil(horizon / 24)``).
    size : int
        Calibration origins per interval (the issue's number): the nearest in time not sharing a target
        hour, earlier ones first on ties.

    Returns
    -------
    np.ndarray of bool
        Shape (n, n): row ``i`` marks the origins calibrating origin ``i``.
    """
    i = np.arange(n)
    dist = np.abs(i[:, None] - i[None, :]).astype(float)
    dist[dist < overlap] = np.inf
    rank = np.argsort(dist + 1e-3 * (i[None, :] > i[:, None]), axis=1, kind="stable")
    chosen = np.zeros((n, n), dtype=bool)
    take = rank[:, :size]
    np.put_along_axis(chosen, take, True, axis=1)
    return chosen & np.isfinite(dist)


def series_scores(
    sid: str,
    actual: np.ndarray,
    pred: np.ndarray,
    naive: np.ndarray,
    errors: np.ndarray,
    chosen: np.ndarray,
    levels: tuple[float, ...],
) -> dict[str, object]:
    """Out-of-sample figures of one series over the evaluation origins.

    Coverage is cross-conformal: each origin's 80 % interval comes from the errors of the origins
    ``chosen`` for it (none sharing a target hour with it, as many as the issued interval uses), by the
    same lead-bucket quantiles, so it estimates the coverage of the issued intervals.
    """
    lo, hi = levels.index(0.1), levels.index(0.9)
    masked = np.where(chosen[:, :, None], errors[None, :, :], np.nan)  # (origin, calibration origin, lead)
    q = lead_bucket_quantiles(  # (origin, lead, 2)
        masked, (levels[lo], levels[hi]), LEAD_BUCKET_H, cluster_origins=CLUSTER_ORIGINS
    )
    lower = pred * (1.0 + q[:, :, 0])
    upper = pred * (1.0 + q[:, :, 1])
    ok = np.isfinite(actual) & np.isfinite(lower) & np.isfinite(upper)
    inside = int(((actual >= lower) & (actual <= upper))[ok].sum())
    total = int(ok.sum())
    a, f, n = actual.reshape(-1), pred.reshape(-1), naive.reshape(-1)
    day = min(24, actual.shape[1])
    return {
        "series": sid,
        "day_ahead_mape_pct": round(metrics.mape(actual[:, :day], pred[:, :day]), 3),
        "day_ahead_naive_mape_pct": round(metrics.mape(actual[:, :day], naive[:, :day]), 3),
        "mape_pct": round(metrics.mape(a, f), 3),
        "naive_mape_pct": round(metrics.mape(a, n), 3),
        "rmse_mw": round(metrics.rmse(a, f), 5),
        "coverage_80_pct": round(100.0 * inside / total, 2) if total else float("nan"),
        "n_hours": int(np.isfinite(a).sum()),
    }


def choose_candidates(
    history: pd.DataFrame,
    past: pd.DataFrame,
    origins: np.ndarray,
    index: pd.DatetimeIndex,
    horizon: int,
    preds: dict[str, list[np.ndarray]],
    actuals: list[np.ndarray],
    mstl: bool = True,
) -> list[ModelChoice]:
    """Score the candidates of each series day ahead and crown the best (:mod:`gridcore.forecast.champion`).

    The decision window of a series: its last :data:`~gridcore.forecast.champion.STAT_ORIGINS`
    evaluation origins, every candidate on the same hours; MSTL for the head series (the first column:
    the system or the feeder) only, and only with ``mstl`` (:func:`screened_mstl`). The head's choice also
    records the candidates of ``preds`` over every series and origin of the group.

    Parameters
    ----------
    history, past : pd.DataFrame
        The group's load [MW], and the same with the issue's hours and after set to NaN.
    origins : np.ndarray
        Positions of the evaluation origins and, last, the issue.
    index : pd.DatetimeIndex
    horizon : int
    preds : dict
        Candidate name -> per series (origin, lead) forecasts [MW], the issue's own row last.
    actuals : list of np.ndarray
        Per series (origin, lead) actual load [MW] (NaN where unknown).
    mstl : bool
        Score MSTL on the head series.

    Returns
    -------
    list of ModelChoice
        One per series, in the order of ``history``'s columns.
    """
    day = min(24, horizon)
    actual = np.stack([a[:-1, :day] for a in actuals])
    naive = np.stack([p[:-1, :day] for p in preds[NAIVE]])
    overall = [
        score(name, actual, np.stack([p[:-1, :day] for p in pred]), naive, "all series, all origins")
        for name, pred in preds.items()
    ]
    last = origins[:-1][-STAT_ORIGINS:]
    k = k_stat = len(last)
    if mstl:
        head = past[history.columns[0]].to_numpy(dtype=float)
        stat, k_stat = screened_mstl(head, last, index, day, actual, preds)
    out = []
    for s, sid in enumerate(history.columns):
        own = {name: pred[s][:-1][-k:, :day] for name, pred in preds.items()}
        if s == 0 and mstl:
            own["mstl"] = stat
        window = [
            score(
                name, actual[s, -k:], f, own[NAIVE], f"{sid}, last {k_stat if name == 'mstl' else k} origins"
            )
            for name, f in own.items()
        ]
        out.append(choose_model(window, overall if s == 0 else None))
    return out
