"""Demand forecasts for the series of a grid: the system total, every feeder and every load point.

The series of a grid come from its topology in force (:func:`grid_series`): a feeder is the load of the
buses behind one line leaving the busbar (see :mod:`gridcore.network.feeders`), a load point is one MV/LV
substation or MV customer load, and the system total is the sum of all loads. Open a switch or connect a
load and the series follow: nothing here names a feeder or a load.

Series are forecast in groups, one group per feeder (its head and its load points) plus the system: one
gradient-boosted model is fitted per group on the pooled, level-normalised rows of its series (a "global"
model: each series' features are ratios to its own last-week mean, so one model serves large and small
series alike), and the groups are independent, so a scheduler can fan them out.

Intervals are conformal per series and lead (:mod:`gridcore.forecast.intervals`), on the model's errors
over the ``calibration_days`` daily origins before the issue time, all out-of-sample: the model is fitted
on targets before the first calibration origin only. Those errors are also the model's reported accuracy.

History comes from :func:`demand_history`; hours flagged by :func:`history_issues` (gaps, spikes,
negative values) are left out of fitting and scoring, and reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.forecast import metrics
from gridcore.forecast.features import WEATHER_LOOKBACK_H, design
from gridcore.forecast.intervals import apply_quantiles, conformal_quantiles
from gridcore.forecast.models import GradientBoosted, SeasonalNaive
from gridcore.forecast.weather import ForecastWeather, WeatherProvider

#: Quantile levels of the grid forecasts.
DEMAND_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
#: LightGBM settings for grid series (noisy, many series pooled: fewer, more regularised trees).
GRID_MODEL = {"n_estimators": 150, "learning_rate": 0.08, "min_child_samples": 300}
#: Fewest out-of-sample calibration origins a given (registry) model may be calibrated on.
MIN_CALIBRATION_ORIGINS = 7
#: Id of the system-total series.
SYSTEM = "system"
#: Local time zone of the default grid's load profiles (SimBench: Germany).
DEFAULT_TZ = "Europe/Berlin"


def grid_series(grid, feeders) -> pd.DataFrame:  # noqa: ANN001 (GridModel, FeederMap: no import cycle)
    """The demand series of a grid under the topology in force.

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
    feeders : gridcore.network.feeders.FeederMap

    Returns
    -------
    pd.DataFrame
        Index ``series`` (``system``, ``feeder:<feeder id>``, ``load:<load name>``); columns ``kind``
        (system, feeder, load), ``feeder`` (feeder id, ``""`` for the system or a load with no feeder),
        ``group`` (the forecast group: the feeder id, or ``system``), ``bus`` (-1 when not one bus),
        ``p_nominal_mw`` [MW].
    """
    bus_feeder = feeders.bus_feeder
    load_feeder = grid.load["bus"].map(bus_feeder).fillna("").astype(str)
    rows = [
        {
            "series": SYSTEM,
            "kind": "system",
            "feeder": "",
            "group": SYSTEM,
            "bus": -1,
            "p_nominal_mw": float(grid.load["p_mw"].sum()),
        }
    ]
    for f in feeders.feeders:
        rows.append(
            {
                "series": f"feeder:{f}",
                "kind": "feeder",
                "feeder": f,
                "group": f,
                "bus": -1,
                "p_nominal_mw": float(grid.load.loc[load_feeder == f, "p_mw"].sum()),
            }
        )
    for i, load in grid.load.iterrows():
        f = load_feeder.at[i]
        rows.append(
            {
                "series": f"load:{load['name']}",
                "kind": "load",
                "feeder": f,
                "group": f or SYSTEM,
                "bus": int(load["bus"]),
                "p_nominal_mw": float(load["p_mw"]),
            }
        )
    return pd.DataFrame(rows).set_index("series")


def demand_history(grid, catalog: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:  # noqa: ANN001
    """Hourly demand of every series from the grid's load profiles.

    The profiles are the grid's yearly load curves (SimBench: one year of quarter hours per load), replayed
    by day of year and time of day onto any year; hourly values are the mean of the four quarter hours.

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
    catalog : pd.DataFrame
        From :func:`grid_series`.
    start, end : pd.Timestamp
        UTC hour starts; ``end`` excluded.

    Returns
    -------
    pd.DataFrame
        Hourly UTC index, one column per series of ``catalog`` [MW].
    """
    quarters = pd.date_range(start, end, freq="15min", inclusive="left")
    p = grid.load_p_mw[grid.profile_index(quarters)]
    hourly = p.reshape(-1, 4, p.shape[1]).mean(axis=1)
    index = quarters[::4]
    names = "load:" + grid.load["name"].astype(str)
    loads = pd.DataFrame(hourly, index=index, columns=names.to_numpy())
    out = {}
    for sid, row in catalog.iterrows():
        if row["kind"] == "system":
            out[sid] = loads.sum(axis=1)
        elif row["kind"] == "feeder":
            members = catalog.index[(catalog["kind"] == "load") & (catalog["feeder"] == row["feeder"])]
            out[sid] = loads[members].sum(axis=1)
        else:
            out[sid] = loads[sid]
    return pd.DataFrame(out, index=index)


def history_issues(history: pd.DataFrame, z: float = 8.0) -> pd.DataFrame:
    """Gaps, spikes and negative values in hourly demand history.

    A spike is an hour that stands out from both its neighbours in the same direction by more than ``z``
    robust standard deviations of the series' hour-to-hour changes (1.4826 x their median absolute value)
    and by more than half the neighbours' mean: a lone reading far off its surroundings, not a ramp.

    Parameters
    ----------
    history : pd.DataFrame
        Hourly UTC index, one column per series [MW].
    z : float
        Spike threshold in robust standard deviations.

    Returns
    -------
    pd.DataFrame
        One row per flagged hour: ``series``, ``time`` (UTC), ``issue`` (gap, spike, negative),
        ``value_mw`` (NaN for a gap).
    """
    rows = []
    for sid in history.columns:
        x = history[sid]
        gaps = x.index[x.isna()]
        rows += [(sid, t, "gap", np.nan) for t in gaps]
        neg = x[x < 0]
        rows += [(sid, t, "negative", v) for t, v in neg.items()]
        up = x - x.shift(1)
        down = x - x.shift(-1)
        step = up.abs().to_numpy()
        scale = 1.4826 * float(np.nanmedian(step)) if np.isfinite(step).any() else 0.0
        jump = np.minimum(up.abs(), down.abs())
        around = (x.shift(1) + x.shift(-1)).abs() / 2.0
        spike = (np.sign(up) == np.sign(down)) & (jump > max(z * scale, 1e-9)) & (jump > 0.5 * around)
        rows += [(sid, t, "spike", v) for t, v in x[spike].items()]
    out = pd.DataFrame(rows, columns=["series", "time", "issue", "value_mw"])
    return out.sort_values(["series", "time"], kind="stable").reset_index(drop=True)


def clean_history(history: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """``history`` with flagged hours set to NaN (left out of fitting and scoring, never filled)."""
    out = history.copy()
    for sid, g in issues.groupby("series"):
        out.loc[pd.DatetimeIndex(g["time"]), sid] = np.nan
    return out


@dataclass
class GroupForecast:
    """Forecast of one group of series from one issue time.

    Attributes
    ----------
    group : str
    series : list of str
    issue_time : pd.Timestamp
        UTC; the first forecast hour.
    point : np.ndarray
        (series, lead) point forecast [MW].
    quantiles : np.ndarray
        (series, lead, level) [MW], levels :data:`DEMAND_QUANTILES`.
    scores : pd.DataFrame
        Per series, out-of-sample over the calibration origins: ``day_ahead_mape_pct`` (leads 1-24 h)
        and ``day_ahead_naive_mape_pct``, ``mape_pct`` and ``naive_mape_pct`` (all leads),
        ``rmse_mw``, ``coverage_80_pct`` (intervals calibrated on the first half of the origins, scored
        on the second half), ``n_hours``.
    model : GradientBoosted
    train_start, train_end : pd.Timestamp
        First and last target hour the model was fitted on (UTC).
    fitted : bool
        Whether the model was fitted here (else it was given).
    seconds : float
    """

    group: str
    series: list[str]
    issue_time: pd.Timestamp
    point: np.ndarray
    quantiles: np.ndarray
    scores: pd.DataFrame
    model: GradientBoosted
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    fitted: bool
    seconds: float = 0.0
    info: dict[str, object] = field(default_factory=dict)


def calibration_origins(at_pos: int, horizon: int, days: int) -> np.ndarray:
    """Positions of the daily origins before ``at_pos`` whose whole horizon ends by ``at_pos``."""
    first_k = int(np.ceil(horizon / 24.0))
    return np.array([at_pos - 24 * k for k in range(first_k + days - 1, first_k - 1, -1)])


def fit_rows(
    history: pd.DataFrame,
    temperature: np.ndarray,
    before: int,
    horizon: int,
    tz: str,
    train_days: int,
    max_rows: int,
    seed: int = 0,
) -> pd.DataFrame:
    """Pooled design rows of all series, for targets before position ``before``.

    Origins are daily at the hour of ``before`` over the ``train_days`` before it; when the pool exceeds
    ``max_rows`` rows with a known target, a seeded random subset is kept.
    """
    index = history.index
    first = max(before - 24 * train_days, 24 * 15)
    origins = np.arange(before - horizon, first - 1, -24)[::-1]
    origins = origins[origins >= 24 * 15]
    if origins.size == 0:
        raise ValueError(
            f"not enough history to fit: need more than 15 days before {index[before]:%Y-%m-%dT%H:%MZ}"
        )
    parts = []
    for sid in history.columns:
        rows = design(history[sid].to_numpy(dtype=float), temperature, index, origins, horizon, tz)
        rows = rows[(rows["target"] < before) & np.isfinite(rows["y"])]
        parts.append(rows)
    pooled = pd.concat(parts, ignore_index=True)
    if len(pooled) > max_rows:
        keep = np.random.default_rng(seed).choice(len(pooled), max_rows, replace=False)
        pooled = pooled.iloc[np.sort(keep)]
    return pooled


def forecast_group(
    group: str,
    history: pd.DataFrame,
    temperature: pd.Series,
    issue_time: pd.Timestamp,
    horizon: int = 168,
    tz: str = DEFAULT_TZ,
    weather: WeatherProvider | None = None,
    model: GradientBoosted | None = None,
    train_end: pd.Timestamp | None = None,
    train_start: pd.Timestamp | None = None,
    train_days: int = 182,
    calibration_days: int = 28,
    max_rows: int = 50_000,
    levels: tuple[float, ...] = DEMAND_QUANTILES,
    params: dict[str, object] | None = None,
) -> GroupForecast:
    """Forecast every series of a group from ``issue_time``, with calibrated quantiles.

    Parameters
    ----------
    group : str
        Group id (feeder id or ``system``).
    history : pd.DataFrame
        Hourly UTC index running through ``issue_time + horizon`` (hours from ``issue_time`` on are not
        read as load), one column per series [MW]; NaN where unknown or flagged.
    temperature : pd.Series
        Observed temperature [°C] on ``history.index`` (after the issue time it is only seen through
        ``weather``).
    issue_time : pd.Timestamp
        UTC hour of the first forecast hour.
    horizon : int
        Hours ahead (1..168).
    tz : str
        Local time zone of the demand (calendar features).
    weather : WeatherProvider, optional
        What is known of the weather after each origin; a synthetic forecast by default.
    model : GradientBoosted, optional
        A fitted model to use (e.g. the registry's champion); fitted here when omitted. It is
        calibrated on the calibration origins after its ``train_end`` only (out-of-sample), and refitted
        here when fewer than :data:`MIN_CALIBRATION_ORIGINS` remain.
    train_end, train_start : pd.Timestamp, optional
        Training window of the given ``model`` (for the record).
    train_days, calibration_days, max_rows : int
        Fit window [days], calibration origins, and the cap on pooled training rows.
    levels : tuple of float
    params : dict, optional
        LightGBM settings overriding :data:`GRID_MODEL`.

    Returns
    -------
    GroupForecast
    """
    if not 1 <= horizon <= 168:
        raise ValueError(f"horizon must be 1..168 h, got {horizon}")
    t0 = time.perf_counter()
    weather = weather or ForecastWeather()
    index = history.index
    issue_time = pd.Timestamp(issue_time).tz_convert("UTC")
    at = int(index.get_loc(issue_time))
    if at + horizon > len(index):
        raise ValueError("history must run through the end of the horizon (NaN load there)")
    past = history.copy()
    past.iloc[at:] = np.nan  # nothing from the issue time on is known
    temp = temperature.reindex(index).to_numpy(dtype=float)
    calib = calibration_origins(at, horizon, calibration_days)
    calib = calib[calib - WEATHER_LOOKBACK_H >= 24 * 15]
    note = ""
    if model is not None:
        # calibrate on the given model's out-of-sample origins only; too few and it is refitted here
        unseen = calib[index[calib] > pd.Timestamp(train_end)] if train_end is not None else calib[:0]
        if unseen.size >= MIN_CALIBRATION_ORIGINS:
            calib = unseen
        else:
            model, note = None, f"given model refitted: {unseen.size} out-of-sample calibration origins"
    fitted = model is None
    if fitted:
        before = int(calib[0]) if calib.size else at
        rows = fit_rows(past, temp, before, horizon, tz, train_days, max_rows)
        model = GradientBoosted(**{**GRID_MODEL, **(params or {})}).fit(rows)
        train_start = index[int(rows["target"].min())]
        train_end = index[int(rows["target"].max())]
    origins = np.concatenate([calib, [at]]).astype(int)
    known = {}
    temps = pd.DataFrame({"temperature_c": temp}, index=index)
    for o in origins:
        seen = weather.at_origin(temps.iloc[o - WEATHER_LOOKBACK_H : o + horizon], index[o])
        known[int(o)] = seen["temperature_c"].to_numpy(dtype=float)
    n_s, n_o = history.shape[1], len(origins)
    point = np.full((n_s, horizon), np.nan)
    quant = np.full((n_s, horizon, len(levels)), np.nan)
    score_rows = []
    for s, sid in enumerate(history.columns):
        load = past[sid].to_numpy(dtype=float)
        rows = design(load, temp, index, origins, horizon, tz, known)
        pred = model.predict(rows).reshape(n_o, horizon)
        naive = SeasonalNaive().predict(rows).reshape(n_o, horizon)
        actual = (rows["y"] * rows["level"]).to_numpy().reshape(n_o, horizon)
        actual[-1] = np.nan  # the issue's own horizon is the future
        errors = actual[:-1] / pred[:-1] - 1.0
        point[s] = pred[-1]
        quant[s] = apply_quantiles(pred[-1], conformal_quantiles(errors, levels))
        score_rows.append(_scores(sid, actual[:-1], pred[:-1], naive[:-1], errors, levels))
    return GroupForecast(
        group=group,
        series=list(history.columns),
        issue_time=issue_time,
        point=point,
        quantiles=quant,
        scores=pd.DataFrame(score_rows).set_index("series"),
        model=model,
        train_start=train_start,
        train_end=train_end,
        fitted=fitted,
        seconds=round(time.perf_counter() - t0, 3),
        info={
            "weather": weather.name,
            "calibration_origins": int(calib.size),
            "timezone": tz,
            **({"note": note} if note else {}),
        },
    )


def _scores(
    sid: str,
    actual: np.ndarray,
    pred: np.ndarray,
    naive: np.ndarray,
    errors: np.ndarray,
    levels: tuple[float, ...],
) -> dict[str, object]:
    """Out-of-sample figures of one series over the calibration origins.

    Coverage is of intervals calibrated on the first half of the origins and applied to the second half,
    so it is an honest estimate of the forecast's coverage.
    """
    lo, hi = levels.index(0.1), levels.index(0.9)
    half = actual.shape[0] // 2
    q = conformal_quantiles(errors[:half], levels)
    lower = pred[half:] * (1.0 + q[None, :, lo])
    upper = pred[half:] * (1.0 + q[None, :, hi])
    ok = np.isfinite(actual[half:]) & np.isfinite(lower) & np.isfinite(upper)
    inside = int(((actual[half:] >= lower) & (actual[half:] <= upper))[ok].sum())
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


def registry_metrics(forecast: GroupForecast) -> dict[str, object]:
    """The figures a registry records for a model fitted by :func:`forecast_group`.

    Day-ahead MAPE (mean over the group's series), as :func:`gridcore.forecast.retrain.evaluate` reports
    it, so the drift check compares like with like.
    """
    sc = forecast.scores
    return {
        "mape_pct": round(float(np.nanmean(sc["day_ahead_mape_pct"])), 3),
        "naive_mape_pct": round(float(np.nanmean(sc["day_ahead_naive_mape_pct"])), 3),
        "n_origins": int(forecast.info.get("calibration_origins", 0)),
        "horizon_h": 24,
        "source": "calibration origins of the first forecast",
    }


@dataclass
class DemandInputs:
    """Everything the group forecasts of one issue time need.

    Attributes
    ----------
    catalog : pd.DataFrame
        From :func:`grid_series`.
    history : pd.DataFrame
        Hourly demand per series [MW] through the end of the horizon, flagged hours set to NaN.
    temperature : pd.Series
        Observed temperature [°C] on the same index.
    issues : pd.DataFrame
        From :func:`history_issues` (before the issue time only).
    issue_time : pd.Timestamp
    horizon : int
    """

    catalog: pd.DataFrame
    history: pd.DataFrame
    temperature: pd.Series
    issues: pd.DataFrame
    issue_time: pd.Timestamp
    horizon: int

    def group(self, group: str) -> pd.DataFrame:
        """History of the series of one group."""
        return self.history[self.catalog.index[self.catalog["group"] == group]]

    @property
    def groups(self) -> list[str]:
        """Group ids, the system first."""
        return sorted(self.catalog["group"].unique(), key=lambda g: (g != SYSTEM, g))


def demand_inputs(system, issue_time: pd.Timestamp, horizon: int = 168, days: int = 250) -> DemandInputs:  # noqa: ANN001
    """Assemble the inputs of a grid demand forecast.

    Parameters
    ----------
    system : gridcore.system.System
        Grid and feeders in force.
    issue_time : pd.Timestamp
        UTC hour of the first forecast hour.
    horizon : int
        Hours ahead.
    days : int
        History before the issue time [days] (fit window, calibration and feature look-back).

    Returns
    -------
    DemandInputs
    """
    from gridcore.data.weather import weather_observations

    issue_time = pd.Timestamp(issue_time).tz_convert("UTC").floor("h")
    catalog = grid_series(system.grid, system.feeders)
    start = issue_time - pd.Timedelta(days=days)
    history = demand_history(system.grid, catalog, start, issue_time + pd.Timedelta(hours=horizon))
    issues = history_issues(history.loc[: issue_time - pd.Timedelta(hours=1)])
    history = clean_history(history, issues)
    temperature = weather_observations(start, len(history)).set_index("timestamp")["temperature_c"]
    return DemandInputs(catalog, history, temperature, issues, issue_time, horizon)
