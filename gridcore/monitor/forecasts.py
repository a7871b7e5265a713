"""Forecast errors far outside the interval, and drift of a model's accuracy.

* **Forecast error**: the actual load of a series at an hour lies beyond its forecast interval (the 5 %
  and 95 % quantiles) by more than :data:`FAR` times the interval's width: not the one hour in ten an
  honest 90 % interval misses, but an hour the forecast did not see coming.
* **Drift**: a series' rolling error (MAPE over the hours of the last week with a forecast of at most a
  day ahead and an actual) exceeds the accuracy its model was registered with by :data:`DRIFT_FACTOR`
  and :data:`DRIFT_MIN_PTS` points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.monitor.report import anomaly_table, concat, rounded

#: How far beyond the interval an actual must lie, in interval widths [-].
FAR = 0.5
#: Rolling MAPE over the registered MAPE that is drift [-] ...
DRIFT_FACTOR = 1.5
#: ... and by at least this many percentage points.
DRIFT_MIN_PTS = 2.0
#: Hours of errors a rolling MAPE needs.
DRIFT_MIN_HOURS = 24


def forecast_errors(frame: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Series whose actual at ``at`` lies far outside the forecast interval.

    Parameters
    ----------
    frame : pd.DataFrame
        Index series id; ``actual_mw``, ``point_mw``, ``low_mw`` (5 % quantile), ``high_mw`` (95 %) [MW],
        ``lead_h`` (hours ahead the forecast was issued).
    at : pd.Timestamp
        UTC hour.

    Returns
    -------
    pd.DataFrame
        Anomaly table of type ``forecast_error``; place: the series (``feeder:<id>``, ``system``).
    """
    f = frame.dropna(subset=["actual_mw", "low_mw", "high_mw"])
    width = np.maximum(f["high_mw"] - f["low_mw"], 1e-6)
    beyond = np.maximum(f["low_mw"] - f["actual_mw"], f["actual_mw"] - f["high_mw"])
    far = f[beyond > FAR * width]
    b = (beyond / width)[far.index]
    return anomaly_table(
        "forecast_error",
        np.where(b > 1.5, "high", "medium"),
        "series",
        far.index.to_numpy().astype(str),
        [at] * len(far),
        [at] * len(far),
        [
            {
                "actual_mw": rounded(r.actual_mw),
                "point_mw": rounded(r.point_mw),
                "low_mw": rounded(r.low_mw),
                "high_mw": rounded(r.high_mw),
                "beyond_widths": rounded(w, 2),
                "lead_h": int(r.lead_h),
            }
            for r, w in zip(far.itertuples(), b, strict=True)
        ],
    )


def model_drift(
    errors: pd.DataFrame, registered: pd.Series, at: pd.Timestamp, reference: pd.Series | None = None
) -> pd.DataFrame:
    """Series whose rolling error exceeds their model's registered accuracy.

    Parameters
    ----------
    errors : pd.DataFrame
        Columns ``series``, ``actual_mw``, ``point_mw``: one row per forecast hour in the window.
    registered : pd.Series
        Registered day-ahead MAPE per series [%].
    at : pd.Timestamp
        UTC hour (the window's end).
    reference : pd.Series, optional
        Where each registered figure comes from (``registry <group> v<n>``, ``forecast``), for the evidence.

    Returns
    -------
    pd.DataFrame
        Anomaly table of type ``model_drift``; place: the series.
    """
    ok = errors.dropna(subset=["actual_mw", "point_mw"])
    ok = ok[ok["actual_mw"].abs() > 1e-6]
    if ok.empty:
        return concat([])
    ape = 100.0 * (ok["point_mw"] - ok["actual_mw"]).abs() / ok["actual_mw"].abs()
    g = ape.groupby(ok["series"]).agg(["mean", "size"])
    g["registered"] = registered.reindex(g.index)
    g = g.dropna()
    drift = g[
        (g["size"] >= DRIFT_MIN_HOURS)
        & (g["mean"] > DRIFT_FACTOR * g["registered"])
        & (g["mean"] > g["registered"] + DRIFT_MIN_PTS)
    ]
    return anomaly_table(
        "model_drift",
        np.where(drift["mean"] > 2.5 * drift["registered"], "high", "medium"),
        "series",
        drift.index.to_numpy().astype(str),
        [at] * len(drift),
        [at] * len(drift),
        [
            {
                "rolling_mape_pct": rounded(m, 2),
                "registered_mape_pct": rounded(r, 2),
                "hours": int(n),
                "reference": None if reference is None else str(reference.get(name, "")),
            }
            for name, m, r, n in zip(
                drift.index, drift["mean"], drift["registered"], drift["size"], strict=True
            )
        ],
    )
