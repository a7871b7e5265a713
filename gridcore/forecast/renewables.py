"""Renewable forecasts: file checks, rolling-origin backtests and the default grid's PV and wind forecast.

* :func:`read_table` checks a renewable data file (columns, numbers, UTC times, duplicates) for the solar
  and wind readers (:mod:`gridcore.forecast.solar`, :mod:`gridcore.forecast.wind`).
* :func:`backtest_renewables` scores a forecaster from daily 00:00 UTC origins: refitted every
  ``refit_days`` on the hours before the origin only, intervals conformal per lead on the out-of-sample
  errors of the ``calibration_days`` origins before (:mod:`gridcore.forecast.intervals`), errors scaled by
  the clear-sky index for solar so the night interval is exactly zero. Errors are normalised by the
  capacity (nMAE, nRMSE, pinball) and set beside persistence and an hour-of-day x month climatology on the
  same hours.
* :func:`forecast_grid_renewables` forecasts every static generator of a grid (SimBench: PV, wind,
  aggregated LV rooftop PV, biomass, hydro) from its own profile history before the issue time: PV as
  pvlib clear sky at the grid's location times a learned clear-sky index, the rest as a learned ratio of
  the installed power; per generator, per type and for the system, with calibrated quantiles.
  :func:`renewable_actuals` gives the hourly profile values (what the battery scheduler takes as the
  renewable power actually available).

Models are :class:`gridcore.forecast.models.GradientBoosted` (LightGBM, one thread) fitted through
:func:`fit_gbm`; the demand-specific terms of that model (level, temperature extrapolation) are neutral
here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.forecast import metrics
from gridcore.forecast.backtest import daily_origins
from gridcore.forecast.intervals import QUANTILES, conformal_quantiles
from gridcore.forecast.models import GradientBoosted

#: LightGBM settings of the renewable models (one thread: see GradientBoosted).
RENEWABLE_MODEL = {"n_estimators": 250, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 40}
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


# -- file checks ------------------------------------------------------------------------------------


def read_table(
    path: object,
    required: tuple[str, ...],
    optional: list[str] | tuple[str, ...],
    time_columns: tuple[str, ...],
    id_column: str,
    kind: str,
) -> pd.DataFrame:
    """Read and check a long-format renewable CSV file.

    Parameters
    ----------
    path : str, Path or file-like
        CSV, gzip allowed.
    required : tuple of str
        Columns that must be present.
    optional : sequence of str
        Columns read when present.
    time_columns : tuple of str
        ISO 8601 columns with a UTC offset (``Z``); empty cells allowed except in ``timestamp``.
    id_column : str
        Series id column (site, farm), read as text.
    kind : str
        ``solar`` or ``wind``, for messages.

    Returns
    -------
    pd.DataFrame
        The required and present optional columns: times tz-aware UTC, the id as text, the rest float.

    Raises
    ------
    ValueError
        Naming the missing column, or the column, file row and value that is not a number or not a UTC
        time, or the first duplicated row.
    """
    try:
        raw = pd.read_csv(path, dtype={c: str for c in (*time_columns, id_column)}, keep_default_na=True)
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"{kind} file {path}: not a readable CSV ({err})") from None
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise ValueError(
            f"{kind} file {path}: missing column {', '.join(missing)} (a {kind} file has "
            f"{', '.join(required)}{' and ' + ', '.join(optional) if optional else ''})"
        )
    if raw.empty:
        raise ValueError(f"{kind} file {path}: no rows")
    cols = [c for c in (*required, *optional) if c in raw.columns]
    out = pd.DataFrame(index=raw.index)
    for c in cols:
        text = raw[c]
        if c in time_columns:
            out[c] = _utc_column(text, c, kind, allow_empty=c != "timestamp")
        elif c == id_column:
            empty = text.isna() | (text.str.strip() == "")
            if empty.any():
                raise ValueError(f"{kind} file: {c} is empty at row {_row(empty)}")
            out[c] = text.str.strip()
        else:
            values = pd.to_numeric(text, errors="coerce")
            bad = values.isna() & text.notna()
            if bad.any():
                r = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"{kind} file: {c} is not a number at row {r + 2}: {text.iloc[r]!r}")
            out[c] = values.astype(float)
    return out


def _row(mask: pd.Series) -> int:
    """File row (1 = header) of the first true entry."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def _utc_column(text: pd.Series, name: str, kind: str, allow_empty: bool) -> pd.Series:
    """Parse an ISO 8601 column that must carry a UTC offset."""
    empty = text.isna() | (text.str.strip() == "")
    if empty.any() and not allow_empty:
        raise ValueError(f"{kind} file: {name} is empty at row {_row(empty)}")
    filled = text[~empty].str.strip()
    naive = ~filled.str.contains(_OFFSET)
    if naive.any():
        r = int(filled.index[np.flatnonzero(naive.to_numpy())[0]])
        raise ValueError(
            f"{kind} file: {name} at row {r + 2} ({text.iloc[r]!r}) has no UTC offset; write it as ...Z"
        )
    parsed = pd.to_datetime(filled, utc=True, errors="coerce", format="ISO8601")
    if parsed.isna().any():
        r = int(parsed.index[np.flatnonzero(parsed.isna().to_numpy())[0]])
        raise ValueError(f"{kind} file: {name} at row {r + 2} is not an ISO 8601 time: {text.iloc[r]!r}")
    return parsed.reindex(text.index)


def check_unique(frame: pd.DataFrame, key: list[str], kind: str) -> None:
    """Raise ``ValueError`` naming the first row whose ``key`` repeats an earlier row."""
    dup = frame.duplicated(key)
    if dup.any():
        r = int(np.flatnonzero(dup.to_numpy())[0])
        values = ", ".join(f"{k}={frame[k].iloc[r]}" for k in key)
        raise ValueError(f"{kind} file: duplicated row {r + 2} ({values})")


def detect_kind(path: object) -> str:
    """``solar`` or ``wind`` from a file's header.

    Solar has ``site`` or ``ssrd_j_m2_acc``; wind has ``farm`` and ``issue_time``.

    Raises
    ------
    ValueError
        When the header fits neither format.
    """
    try:
        columns = set(pd.read_csv(path, nrows=0).columns)
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"renewable file {path}: not a readable CSV ({err})") from None
    finally:
        if hasattr(path, "seek"):
            path.seek(0)
    if {"farm", "issue_time"} <= columns:
        return "wind"
    if "site" in columns or "ssrd_j_m2_acc" in columns:
        return "solar"
    raise ValueError(
        f"renewable file {path}: neither solar (columns site, ssrd_j_m2_acc) nor wind (farm, issue_time); "
        "give the kind"
    )


def renewable_forecaster(
    path: object, kind: str | None = None, location: tuple[float, float] | None = None, **settings: object
) -> Forecaster:
    """Read a solar or wind file and wrap it in its forecaster.

    Parameters
    ----------
    path : str, Path or file-like
        A file in the solar (GEFCom2014) or wind (GEFCom2012) long format.
    kind : str, optional
        ``solar`` or ``wind``; detected from the columns when omitted.
    location : (float, float), optional
        Solar: latitude and longitude [deg] of every site (inferred from the power when omitted).
    **settings
        Passed to :class:`gridcore.forecast.solar.SolarForecaster` or
        :class:`gridcore.forecast.wind.WindForecaster`.

    Returns
    -------
    Forecaster
    """
    from gridcore.forecast.solar import SolarForecaster, read_solar
    from gridcore.forecast.wind import WindForecaster, read_wind

    kind = kind or detect_kind(path)
    if location is not None and kind != "solar":
        raise ValueError("a site location applies to solar files only")
    if kind == "solar":
        data = read_solar(path)
        where = {s: location for s in data.series} if location is not None else None
        return SolarForecaster(data, where, **settings)  # type: ignore[arg-type]
    if kind == "wind":
        return WindForecaster(read_wind(path), **settings)  # type: ignore[arg-type]
    raise ValueError(f"kind must be solar or wind, not {kind!r}")


# -- the LightGBM model ----------------------------------------------------------------------------


def fit_gbm(
    features: pd.DataFrame, target: np.ndarray, params: dict[str, object] | None = None
) -> GradientBoosted:
    """Fit :class:`GradientBoosted` on a feature frame and a target (no level, no temperature term).

    Parameters
    ----------
    features : pd.DataFrame
        Numeric features (NaN allowed).
    target : np.ndarray
        Target per row (normalised power or clear-sky index) [-].
    params : dict, optional
        Settings overriding :data:`RENEWABLE_MODEL`.

    Returns
    -------
    GradientBoosted
    """
    rows = features.reset_index(drop=True).assign(y=np.asarray(target, dtype=float), level=1.0, temp=0.0)
    model = GradientBoosted(features=list(features.columns), **{**RENEWABLE_MODEL, **(params or {})})
    return model.fit(rows)


def predict_gbm(model: GradientBoosted, features: pd.DataFrame) -> np.ndarray:
    """Predictions of a model from :func:`fit_gbm` [unit of its target]."""
    return np.asarray(model.predict(features.reset_index(drop=True).assign(level=1.0, temp=0.0)), dtype=float)


# -- backtest --------------------------------------------------------------------------------------


class Forecaster(Protocol):
    """What :func:`backtest_renewables` needs: a solar or wind forecaster."""

    kind: str
    capacity: float
    persistence: str

    @property
    def series(self) -> list[str]: ...  # noqa: D102

    @property
    def power(self) -> pd.DataFrame: ...  # noqa: D102

    def available(self) -> np.ndarray: ...  # noqa: D102

    def fit(self, before: pd.Timestamp) -> object: ...  # noqa: D102

    def predict(self, origin: pd.Timestamp, horizon: int) -> tuple[np.ndarray, np.ndarray]: ...  # noqa: D102

    def describe(self) -> dict[str, object]: ...  # noqa: D102


@dataclass
class RenewableBacktest:
    """Forecasts and figures of a renewable backtest.

    Attributes
    ----------
    forecasts : pd.DataFrame
        One row per (origin, series, lead) of the test origins: ``origin``, ``series``, ``target`` (UTC),
        ``lead`` [h], ``actual``, ``forecast``, ``persistence``, ``climatology`` and ``q<level>``
        columns [unit of the power].
    summary : dict
        See :func:`summarise_renewables`.
    """

    forecasts: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)


def persistence_forecast(power: np.ndarray, origin: int, horizon: int, rule: str) -> np.ndarray:
    """Persistence from position ``origin``: ``last`` hour before it, or ``diurnal`` (same hour, last day).

    Parameters
    ----------
    power : np.ndarray
        Shape (time, series).
    origin : int
        Position of the first forecast hour.
    horizon : int
        Hours ahead.
    rule : str
        ``last`` (wind) or ``diurnal`` (solar: the value 24 h x ceil(lead / 24) before the target).

    Returns
    -------
    np.ndarray
        Shape (series, horizon).
    """
    lead = np.arange(1, horizon + 1)
    if rule == "last":
        return np.repeat(power[origin - 1][:, None], horizon, axis=1)
    src = origin + lead - 1 - 24 * np.ceil(lead / 24).astype(int)
    return power[src].T


def climatology_forecast(
    power: np.ndarray, index: pd.DatetimeIndex, origin: int, horizon: int, days: int = 365
) -> np.ndarray:
    """Mean by month and hour of day over the ``days`` before ``origin`` (hour of day alone as fallback).

    Parameters
    ----------
    power : np.ndarray
        Shape (time, series).
    index : pd.DatetimeIndex
        Hourly UTC index of ``power``.
    origin, horizon : int
        Position of the first forecast hour; hours ahead.
    days : int
        History used [days].

    Returns
    -------
    np.ndarray
        Shape (series, horizon).
    """
    lo = max(origin - 24 * days, 0)
    past = power[lo:origin]
    ok = np.isfinite(past)
    hours, months = index.hour.to_numpy(), index.month.to_numpy() - 1
    cell = (months[lo:origin] * 24 + hours[lo:origin])[:, None]
    n_s = power.shape[1]
    total = np.zeros((288, n_s))
    count = np.zeros((288, n_s))
    cols = np.broadcast_to(np.arange(n_s), past.shape)
    np.add.at(total, (np.broadcast_to(cell, past.shape)[ok], cols[ok]), past[ok])
    np.add.at(count, (np.broadcast_to(cell, past.shape)[ok], cols[ok]), 1.0)
    by_hour = total.reshape(12, 24, n_s).sum(axis=0) / np.maximum(count.reshape(12, 24, n_s).sum(axis=0), 1)
    target = np.arange(origin, origin + horizon)
    t_cell = months[target] * 24 + hours[target]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = total[t_cell] / count[t_cell]
    value = np.where(count[t_cell] >= 3, value, by_hour[hours[target]])
    return value.T


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


def backtest_renewables(
    forecaster: Forecaster,
    horizon: int = 24,
    test_days: int = 28,
    calibration_days: int = 21,
    refit_days: int = 7,
    levels: tuple[float, ...] = QUANTILES,
    pool: int = 2,
    until: pd.Timestamp | None = None,
    progress: object = None,
) -> RenewableBacktest:
    """Rolling-origin backtest of a solar or wind forecaster from daily 00:00 UTC origins.

    Parameters
    ----------
    forecaster : Forecaster
        :class:`gridcore.forecast.solar.SolarForecaster` or :class:`gridcore.forecast.wind.WindForecaster`.
    horizon : int
        Hours ahead (1..168).
    test_days : int
        Origins scored (the last ones whose horizon has power and inputs).
    calibration_days : int
        Origins before the test period whose out-of-sample errors calibrate the first intervals; from then
        on the last ``calibration_days`` origins before each one.
    refit_days : int
        Days between refits; every fit sees only the hours before its origin.
    levels : tuple of float
        Quantile levels (must hold 0.05, 0.1, 0.9, 0.95).
    pool : int
        Leads either side pooled per lead in the conformal quantiles.
    until : pd.Timestamp, optional
        Last origin allowed (UTC).
    progress : callable, optional
        Called with a label after each origin.

    Returns
    -------
    RenewableBacktest

    Raises
    ------
    ValueError
        For a horizon outside 1..168 h, or data too short for one scored origin.
    """
    if not 1 <= horizon <= 168:
        raise ValueError(f"horizon must be 1..168 h, got {horizon}")
    t0 = time.perf_counter()
    frame = forecaster.power
    index = frame.index
    power = frame.to_numpy(dtype=float)
    avail = forecaster.available()
    scoreable = np.where(np.isfinite(power).any(axis=1) & avail, 1.0, np.nan)
    scoreable[: 24 * 14] = np.nan  # two weeks of history before any origin
    stop = None
    if until is not None:
        stop = int(index.get_indexer([pd.Timestamp(until).tz_convert("UTC")], method="pad")[0])
    if not np.isfinite(scoreable).any():
        raise ValueError(f"{forecaster.kind}: no hour with power and inputs after two weeks of history")
    test = daily_origins(index, scoreable, test_days, horizon, until=stop)
    test = test[test >= 24 * 14]
    calib = daily_origins(index, scoreable, calibration_days, horizon, before=len(test), until=stop)
    calib = calib[calib >= 24 * 14]
    if len(test) == 0:
        raise ValueError(f"{forecaster.kind}: no origin has a full horizon of power to score")
    origins = np.concatenate([calib, test]).astype(int)
    n_o, n_s, k = len(origins), len(forecaster.series), len(levels)
    point = np.full((n_o, n_s, horizon), np.nan)
    scale = np.zeros((n_o, n_s, horizon))
    actual = np.full((n_o, n_s, horizon), np.nan)
    pers = np.full((n_o, n_s, horizon), np.nan)
    clim = np.full((n_o, n_s, horizon), np.nan)
    quant = np.full((n_o, n_s, horizon, k), np.nan)
    fitted_at: int | None = None
    fits = 0
    for i, o in enumerate(origins):
        if fitted_at is None or o - fitted_at >= 24 * refit_days:
            forecaster.fit(index[o])
            fitted_at, fits = int(o), fits + 1
        point[i], scale[i] = forecaster.predict(index[o], horizon)
        actual[i] = power[o : o + horizon].T
        pers[i] = persistence_forecast(power, int(o), horizon, forecaster.persistence)
        clim[i] = climatology_forecast(power, index, int(o), horizon)
        if i >= 1:
            past = slice(max(i - calibration_days, 0), i)
            with np.errstate(invalid="ignore", divide="ignore"):
                err = np.where(scale[past] > 0, (actual[past] - point[past]) / scale[past], np.nan)
            rel = conformal_quantiles(err.reshape(-1, horizon), levels, pool)
            quant[i] = conformal_interval(point[i], scale[i], rel, forecaster.capacity)
        if progress is not None:
            progress(f"{index[o]:%Y-%m-%d}")
    keep = slice(len(calib), n_o)
    forecasts = _long_frame(
        index, origins[keep], forecaster.series, horizon,
        {
            "actual": actual[keep],
            "forecast": point[keep],
            "persistence": pers[keep],
            "climatology": clim[keep],
        },
        quant[keep], levels,
    )  # fmt: skip
    summary = summarise_renewables(forecasts, forecaster.capacity, levels)
    test_o = origins[keep]
    summary.update(
        {
            "kind": forecaster.kind,
            "series": forecaster.series,
            "n_origins": int(len(test_o)),
            "horizon_h": int(horizon),
            "test_start": f"{index[test_o[0]]:%Y-%m-%dT%H:%MZ}",
            "test_end": f"{index[test_o[-1]] + pd.Timedelta(hours=horizon):%Y-%m-%dT%H:%MZ}",
            "calibration_origins": int(len(calib)),
            "refits": fits,
            "refit_days": refit_days,
            "capacity": forecaster.capacity,
            "persistence_rule": forecaster.persistence,
            "model": forecaster.describe(),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    )
    return RenewableBacktest(forecasts, summary)


def _long_frame(
    index: pd.DatetimeIndex,
    origins: np.ndarray,
    series: list[str],
    horizon: int,
    values: dict[str, np.ndarray],
    quant: np.ndarray,
    levels: tuple[float, ...],
) -> pd.DataFrame:
    n_o, n_s = len(origins), len(series)
    lead = np.tile(np.arange(1, horizon + 1), n_o * n_s)
    o = np.repeat(origins, n_s * horizon)
    out = pd.DataFrame(
        {
            "origin": index[o],
            "series": np.tile(np.repeat(np.array(series, dtype=object), horizon), n_o),
            "target": index[o + lead - 1],
            "lead": lead,
        }
    )
    for name, arr in values.items():
        out[name] = arr.reshape(-1)
    for j, q in enumerate(levels):
        out[f"q{q:g}"] = quant[..., j].reshape(-1)
    return out


def summarise_renewables(
    forecasts: pd.DataFrame, capacity: float = 1.0, levels: tuple[float, ...] = QUANTILES
) -> dict[str, object]:
    """Capacity-normalised scores of backtest forecasts, with persistence and climatology beside them.

    Scored are the hours where the actual, the forecast and both baselines are known (night hours
    included: a solar forecast that is zero at night earns its zero error there).

    Parameters
    ----------
    forecasts : pd.DataFrame
        From :class:`RenewableBacktest`.
    capacity : float
        Capacity in the unit of the power.
    levels : tuple of float

    Returns
    -------
    dict
        ``nmae_pct``, ``nrmse_pct`` [% of capacity], ``pinball`` [share of capacity],
        ``coverage_80_pct``, ``coverage_90_pct``, ``width_80_pct`` [% of capacity], ``n_scored``,
        ``baselines`` {persistence, climatology: {nmae_pct, nrmse_pct}}, ``skill_vs_persistence_pct``,
        ``skill_vs_climatology_pct`` (on nMAE), ``skill_rmse_vs_persistence_pct``, ``per_lead``.
    """
    f = forecasts
    ok = np.isfinite(f[["actual", "forecast", "persistence", "climatology"]].to_numpy()).all(axis=1)
    s = f[ok]
    qcols = [f"q{q:g}" for q in levels]
    a = s["actual"].to_numpy() / capacity

    def n(col: str, fn: object) -> float:
        return 100.0 * fn(a, s[col].to_numpy() / capacity)  # type: ignore[operator]

    out: dict[str, object] = {
        "nmae_pct": round(n("forecast", metrics.mae), 3),
        "nrmse_pct": round(n("forecast", metrics.rmse), 3),
        "coverage_80_pct": round(metrics.coverage(a, s["q0.1"] / capacity, s["q0.9"] / capacity), 2),
        "coverage_90_pct": round(metrics.coverage(a, s["q0.05"] / capacity, s["q0.95"] / capacity), 2),
        "pinball": round(metrics.pinball(a, s[qcols].to_numpy() / capacity, np.array(levels)), 5),
        "width_80_pct": round(100.0 * metrics.mean_width(s["q0.1"] / capacity, s["q0.9"] / capacity), 3),
        "n_scored": int(len(s)),
    }
    base = {
        name: {"nmae_pct": round(n(name, metrics.mae), 3), "nrmse_pct": round(n(name, metrics.rmse), 3)}
        for name in ("persistence", "climatology")
    }
    out["baselines"] = base
    out["skill_vs_persistence_pct"] = round(
        100 * metrics.skill(out["nmae_pct"], base["persistence"]["nmae_pct"]), 2
    )
    out["skill_vs_climatology_pct"] = round(
        100 * metrics.skill(out["nmae_pct"], base["climatology"]["nmae_pct"]), 2
    )
    out["skill_rmse_vs_persistence_pct"] = round(
        100 * metrics.skill(out["nrmse_pct"], base["persistence"]["nrmse_pct"]), 2
    )
    per_lead = []
    step = 1 if s["lead"].max() <= 48 else 6
    for lead, g in s.groupby("lead"):
        if (int(lead) - 1) % step:
            continue
        ga = g["actual"].to_numpy() / capacity
        per_lead.append(
            {
                "lead_h": int(lead),
                "nmae_pct": round(100 * metrics.mae(ga, g["forecast"].to_numpy() / capacity), 3),
                "persistence_nmae_pct": round(
                    100 * metrics.mae(ga, g["persistence"].to_numpy() / capacity), 3
                ),
                "coverage_80_pct": round(metrics.coverage(ga, g["q0.1"] / capacity, g["q0.9"] / capacity), 1),
            }
        )
    out["per_lead"] = per_lead
    return out


# -- the default grid ------------------------------------------------------------------------------


def technology(sgen_type: str) -> str:
    """``pv``, ``wind`` or ``other`` for a generator type (SimBench: ``PV_MV``, ``lv_RES`` are PV)."""
    t = sgen_type.lower()
    if "pv" in t or t == "lv_res":
        return "pv"
    return "wind" if "wind" in t else "other"


def renewable_actuals(grid, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:  # noqa: ANN001
    """Hourly power of every static generator from the grid's profiles (the 'actual' availability).

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
    start, end : pd.Timestamp
        UTC; hours from ``start`` (floored) up to ``end`` (excluded).

    Returns
    -------
    pd.DataFrame
        UTC hourly index (interval start), one column per generator name: mean of its four quarter hours
        [MW].
    """
    start = _utc(start, "start").floor("h")
    end = _utc(end, "end").ceil("h")
    if end <= start:
        raise ValueError(f"end {end} is not after start {start}")
    quarters = pd.date_range(start, end, freq="15min", inclusive="left")
    p = grid.sgen_p_mw[grid.profile_index(quarters)]
    hourly = p.reshape(-1, 4, p.shape[1]).mean(axis=1)
    return pd.DataFrame(hourly, index=quarters[::4], columns=grid.sgen["name"].astype(str).to_numpy())


def _utc(ts: object, name: str) -> pd.Timestamp:
    t = pd.Timestamp(ts)  # type: ignore[arg-type]
    if t.tzinfo is None:
        raise ValueError(f"{name} {ts} has no UTC offset")
    return t.tz_convert("UTC")


def grid_location(grid) -> tuple[float, float]:  # noqa: ANN001
    """Mean latitude and longitude [deg] of the grid's buses (bus ``y``, ``x``)."""
    return float(grid.bus["y"].mean()), float(grid.bus["x"].mean())


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


@dataclass
class GridRenewableForecast:
    """Intermediate result of one technology: normalised forecasts of its distinct profiles."""

    point: np.ndarray  # (n_origins, n_units, horizon), normalised to the installed power
    actual: np.ndarray
    persistence: np.ndarray
    scale: np.ndarray
    model: dict[str, object]


def _forecast_technology(
    units: np.ndarray,
    sky: np.ndarray | None,
    index: pd.DatetimeIndex,
    train: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    max_rows: int,
    params: dict[str, object] | None,
) -> GridRenewableForecast:
    """Fit one model on the units' rows at ``train`` origins; forecast them from ``origins``."""
    rows, ys = [], []
    for u in range(units.shape[1]):
        r, y = _history_design(units[:, u], sky, index, train, horizon)
        keep = np.isfinite(y)
        rows.append(r[keep])
        ys.append(y[keep])
    x = pd.concat(rows, ignore_index=True)
    y = np.concatenate(ys)
    if len(y) > max_rows:
        pick = np.sort(np.random.default_rng(0).choice(len(y), max_rows, replace=False))
        x, y = x.iloc[pick], y[pick]
    model = fit_gbm(x, y, params)
    n_o, n_u = len(origins), units.shape[1]
    tgt = origins[:, None] + np.arange(horizon)[None, :]
    point = np.empty((n_o, n_u, horizon))
    actual = np.empty((n_o, n_u, horizon))
    pers = np.empty((n_o, n_u, horizon))
    for u in range(n_u):
        r, _ = _history_design(units[:, u], sky, index, origins, horizon)
        pred = predict_gbm(model, r).reshape(n_o, horizon)
        if sky is not None:
            pred = sky[tgt] * np.clip(pred, 0.0, 1.5)
        point[:, u] = np.clip(pred, 0.0, 1.0)
        actual[:, u] = units[tgt, u]
        rule = "diurnal" if sky is not None else "last"
        pers[:, u] = np.stack(
            [persistence_forecast(units[:, [u]], int(o), horizon, rule)[0] for o in origins]
        )
    # a profile the model forecasts worse than persistence on the calibration origins gets persistence
    with np.errstate(invalid="ignore"):
        worse = np.nanmean(np.abs(actual[:-1] - point[:-1]), axis=(0, 2)) > np.nanmean(
            np.abs(actual[:-1] - pers[:-1]), axis=(0, 2)
        )
    point[:, worse] = np.nan_to_num(pers[:, worse], nan=0.0)
    if sky is not None:
        scale = np.broadcast_to(
            np.where(sky[tgt] > 0, np.maximum(sky[tgt], 0.05), 0.0)[:, None, :], point.shape
        )
    else:
        scale = np.ones_like(point)
    info = {"rows": int(len(y)), "persistence_profiles": int(worse.sum())}
    return GridRenewableForecast(point, actual, pers, np.array(scale), info)


def forecast_grid_renewables(
    grid,  # noqa: ANN001
    issue_time: pd.Timestamp,
    horizon_h: int = 168,
    quantiles: tuple[float, ...] = QUANTILES,
    history_days: int = 63,
    calibration_days: int = 14,
    max_rows: int = 40_000,
    params: dict[str, object] | None = None,
) -> xr.Dataset:
    """Forecast every static generator of a grid from ``issue_time``, per generator, type and system.

    PV (``PV_MV``, ``lv_RES``) is pvlib's clear-sky GHI at the grid's mean bus location (Ineichen), as a
    fraction of 1000 W m-2, times a clear-sky index that a LightGBM model forecasts from the history before
    the issue time (recent indices, same hour of earlier days, lead, hour, sun); the night is exactly
    zero. Wind, biomass and hydro are forecast as a share of the installed power by a LightGBM model per
    technology on their own history. Generators with identical normalised profiles share one forecast.
    Every fit and every calibration forecast uses profile hours before the issue time only: nothing from
    ``issue_time`` on is read.

    Quantiles are conformal per series and lead on the out-of-sample errors of ``calibration_days`` daily
    origins before the issue time (scaled by the clear-sky index for PV), for the generators, each type's
    sum and the system's sum alike; clipped to [0, installed power].

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
        The grid (``sgen`` table and ``sgen_p_mw`` profiles; bus ``x``, ``y`` are longitude, latitude).
    issue_time : pd.Timestamp
        UTC hour of the first forecast hour.
    horizon_h : int
        Hours ahead (1..168).
    quantiles : tuple of float
        Quantile levels.
    history_days : int
        Profile history before the issue time used for fitting [days].
    calibration_days : int
        Calibration origins.
    max_rows : int
        Cap on training rows per technology.
    params : dict, optional
        LightGBM settings.

    Returns
    -------
    xr.Dataset
        Dimensions ``series`` (``system``, ``type:<type>``, ``sgen:<name>``) x ``issue_time`` (1) x
        ``lead`` (1..horizon_h) [h] x ``quantile``. Variables ``point_mw`` and ``quantile_mw`` [MW];
        per series ``calibration_nmae_pct`` and ``persistence_nmae_pct`` (out-of-sample, % of installed
        power). Coordinates ``target_time`` (UTC hour start), ``kind``, ``type``, ``technology``, ``bus``,
        ``p_installed_mw`` [MW].

    Raises
    ------
    ValueError
        For a naive issue time, a horizon outside 1..168 h, or a grid without generators.
    """
    from gridcore.forecast.solar import clear_sky

    t0 = time.perf_counter()
    if not 1 <= horizon_h <= 168:
        raise ValueError(f"horizon must be 1..168 h, got {horizon_h}")
    issue = _utc(issue_time, "issue_time").floor("h")
    sgen = grid.sgen.reset_index(drop=True)
    if sgen.empty:
        raise ValueError("the grid has no static generators (sgen)")
    days_ahead = int(np.ceil(horizon_h / 24))
    start = issue - pd.Timedelta(days=history_days + calibration_days + days_ahead + 15)
    history = renewable_actuals(grid, start, issue)
    index = pd.date_range(start, issue + pd.Timedelta(hours=horizon_h), freq="1h", inclusive="left")
    cap = sgen["p_mw"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(cap > 0, history.to_numpy() / cap, 0.0)
    norm = np.vstack([norm, np.full((horizon_h, len(cap)), np.nan)])  # the future is unknown
    at = len(history)
    calib = at - 24 * np.arange(days_ahead + calibration_days - 1, days_ahead - 1, -1)
    origins = np.concatenate([calib, [at]])
    train = np.arange(calib[0] - 24 * days_ahead, 24 * 15 - 1, -24)[::-1]
    lat, lon = grid_location(grid)
    sky_frame = clear_sky(index, lat, lon)
    sky = sky_frame["ghi_cs_w_m2"].to_numpy() / 1000.0
    tech = sgen["type"].astype(str).map(technology).to_numpy()
    n_o = len(origins)
    unit_point = np.zeros((n_o, len(cap), horizon_h))
    unit_actual = np.zeros_like(unit_point)
    unit_pers = np.zeros_like(unit_point)
    unit_scale = np.zeros_like(unit_point)
    models: dict[str, object] = {}
    types = sgen["type"].astype(str).to_numpy()
    groups = np.where(tech == "pv", "pv", types)  # one model for all PV, one per other type
    for t in sorted(set(groups)):
        members = np.flatnonzero(groups == t)
        rounded = np.round(norm[:at, members], 6)
        _, first, inverse = np.unique(rounded.T, axis=0, return_index=True, return_inverse=True)
        res = _forecast_technology(
            norm[:, members[first]],
            sky if t == "pv" else None,
            index,
            train,
            origins,
            horizon_h,
            max_rows,
            params,
        )
        inverse = inverse.reshape(-1)
        unit_point[:, members] = res.point[:, inverse]
        unit_actual[:, members] = res.actual[:, inverse]
        unit_pers[:, members] = res.persistence[:, inverse]
        unit_scale[:, members] = res.scale[:, inverse]
        models[t] = {"profiles": int(len(first)), "generators": int(members.size), **res.model}
    catalog = _grid_catalog(sgen, tech)
    weights = np.stack(catalog.pop("weights"))  # (series, generators) [MW]
    mw = {
        name: np.einsum("sg,ogh->osh", weights, arr)
        for name, arr in (
            ("point", unit_point), ("actual", unit_actual), ("pers", unit_pers), ("scale", unit_scale)
        )
    }  # fmt: skip
    installed = weights.sum(axis=1)
    cal = slice(0, n_o - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.where(
            mw["scale"][cal] > 0, (mw["actual"][cal] - mw["point"][cal]) / mw["scale"][cal], np.nan
        )
    rel = np.stack([conformal_quantiles(err[:, s], quantiles, pool=3) for s in range(len(installed))])
    quant = conformal_interval(mw["point"][-1], mw["scale"][-1], rel, installed)
    point = mw["point"][-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        nmae = 100 * np.nanmean(np.abs(mw["actual"][cal] - mw["point"][cal]), axis=(0, 2)) / installed
        pmae = 100 * np.nanmean(np.abs(mw["actual"][cal] - mw["pers"][cal]), axis=(0, 2)) / installed
    lead = np.arange(1, horizon_h + 1)
    issue_naive = issue.tz_convert(None).as_unit("ns")
    target = pd.DatetimeIndex(issue_naive + pd.to_timedelta(lead - 1, unit="h"))
    return xr.Dataset(
        {
            "point_mw": (
                ("series", "issue_time", "lead"),
                point[:, None, :].astype("float32"),
                {"units": "MW"},
            ),
            "quantile_mw": (
                ("series", "issue_time", "lead", "quantile"),
                np.nan_to_num(quant[:, None], nan=0.0).astype("float32"),
                {"units": "MW"},
            ),
            "calibration_nmae_pct": (("series",), np.round(nmae, 3), {"units": "% of installed"}),
            "persistence_nmae_pct": (("series",), np.round(pmae, 3), {"units": "% of installed"}),
        },
        coords={
            "series": np.array(catalog["series"], dtype=str),
            "issue_time": [issue_naive],
            "lead": lead,
            "quantile": np.array(quantiles, dtype=float),
            "target_time": (("issue_time", "lead"), target.values[None, :]),
            "kind": ("series", np.array(catalog["kind"], dtype=str)),
            "type": ("series", np.array(catalog["type"], dtype=str)),
            "technology": ("series", np.array(catalog["technology"], dtype=str)),
            "bus": ("series", np.array(catalog["bus"], dtype=np.int64)),
            "p_installed_mw": ("series", installed, {"units": "MW"}),
        },
        attrs={
            "issue_time": f"{issue:%Y-%m-%dT%H:%MZ}",
            "horizon_h": horizon_h,
            "grid": str(getattr(grid, "code", "")),
            "location_lat_lon_deg": [round(lat, 4), round(lon, 4)],
            "pv_model": "pvlib Ineichen clear-sky GHI x LightGBM clear-sky index",
            "other_model": "LightGBM share of installed power on own history",
            "models": str(models),
            "history_days": history_days,
            "calibration_origins": int(len(calib)),
            "no_look_ahead": "profiles from issue_time on are never read",
            "timezone": "UTC",
            "time_label": "interval start",
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )


def _grid_catalog(sgen: pd.DataFrame, tech: np.ndarray) -> dict[str, list]:
    """Output series of the grid forecast and their weights over the generators [MW]."""
    cap = sgen["p_mw"].to_numpy(dtype=float)
    types = sgen["type"].astype(str).to_numpy()
    cat: dict[str, list] = {k: [] for k in ("series", "kind", "type", "technology", "bus", "weights")}

    def add(series: str, kind: str, typ: str, techn: str, bus: int, mask: np.ndarray) -> None:
        for key, value in zip(
            ("series", "kind", "type", "technology", "bus", "weights"),
            (series, kind, typ, techn, bus, np.where(mask, cap, 0.0)),
            strict=True,
        ):
            cat[key].append(value)

    add("system", "system", "", "", -1, np.ones(len(cap), dtype=bool))
    for typ in sorted(set(types)):
        m = types == typ
        add(f"type:{typ}", "type", typ, str(tech[m][0]), -1, m)
    for g, row in sgen.iterrows():
        add(f"sgen:{row['name']}", "sgen", types[g], str(tech[g]), int(row["bus"]), np.arange(len(cap)) == g)
    return cat


def forecast_summary(ds: xr.Dataset) -> dict[str, object]:
    """Headline figures of a grid renewable forecast (:func:`forecast_grid_renewables`).

    Returns
    -------
    dict
        ``issue_time``, ``horizon_h``, ``generators``, ``series``, ``quantiles``, ``system`` and
        ``types`` (per type): ``installed_mw``, ``energy_mwh``, ``peak_mw``, ``peak_time``,
        ``p10_at_peak_mw``,
        ``p90_at_peak_mw`` [MW, MWh], ``calibration_nmae_pct``, ``persistence_nmae_pct``.
    """
    target = pd.DatetimeIndex(ds["target_time"].values[0])
    q = [float(v) for v in ds["quantile"].values]
    lo, hi = q.index(0.1), q.index(0.9)

    def one(series: str) -> dict[str, object]:
        p = ds["point_mw"].sel(series=series).values[0].astype(float)
        qs = ds["quantile_mw"].sel(series=series).values[0].astype(float)
        k = int(np.argmax(p))
        return {
            "installed_mw": round(float(ds["p_installed_mw"].sel(series=series)), 4),
            "energy_mwh": round(float(p.sum()), 3),
            "peak_mw": round(float(p[k]), 4),
            "peak_time": f"{target[k]:%Y-%m-%dT%H:%MZ}",
            "p10_at_peak_mw": round(float(qs[k, lo]), 4),
            "p90_at_peak_mw": round(float(qs[k, hi]), 4),
            "calibration_nmae_pct": float(ds["calibration_nmae_pct"].sel(series=series)),
            "persistence_nmae_pct": float(ds["persistence_nmae_pct"].sel(series=series)),
        }

    kinds = ds["kind"].values
    return {
        "issue_time": ds.attrs["issue_time"],
        "horizon_h": int(ds.attrs["horizon_h"]),
        "generators": int((kinds == "sgen").sum()),
        "series": int(ds.sizes["series"]),
        "quantiles": q,
        "location_lat_lon_deg": list(ds.attrs["location_lat_lon_deg"]),
        "system": one("system"),
        "types": {str(s)[5:]: one(str(s)) for s in ds["series"].values[kinds == "type"]},
        "model_seconds": ds.attrs["seconds"],
    }
