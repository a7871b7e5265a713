"""Rolling-origin backtest of a solar or wind forecaster, and its capacity-normalised scores.

:func:`backtest_renewables` scores a forecaster from daily 00:00 UTC origins: refitted every ``refit_days``
on the hours before the origin only, intervals conformal per lead on the out-of-sample errors of the
``calibration_days`` origins before (:mod:`gridcore.forecast.intervals`), errors scaled by the clear-sky
index for solar so the night interval is exactly zero. :func:`summarise_renewables` normalises the errors
by the capacity (nMAE, nRMSE, pinball) and sets them beside persistence and an hour-of-day x month
climatology on the same hours.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast import metrics
from gridcore.forecast.backtest import daily_origins
from gridcore.forecast.backtest_scores import ReadAsDict, run_fields
from gridcore.forecast.intervals import QUANTILES, conformal_quantiles
from gridcore.forecast.renewables.baselines import climatology_forecast, persistence_forecast
from gridcore.forecast.renewables.forecaster import Forecaster
from gridcore.forecast.renewables.interval import conformal_interval


@dataclass(frozen=True)
class RenewableBacktestSummary(ReadAsDict):
    """The figures of a renewable backtest: its scores and how it ran, as the CLI prints them.

    :meth:`to_dict` is the JSON; the summary reads as that dict too (``summary["nmae_pct"]``).

    Attributes
    ----------
    scores : RenewableScores
        From :func:`summarise_renewables`.
    kind : str
        ``solar`` or ``wind``.
    series : list of str
        The series (zones, farms) forecast.
    n_origins : int
        Test origins.
    horizon_h : int
        [h]
    test_start, test_end : str
        First origin and end of the last horizon (UTC, ``%Y-%m-%dT%H:%MZ``).
    calibration_origins : int
        Origins before the test whose errors calibrated the first intervals.
    refits, refit_days : int
        Fits made, and days between them.
    capacity : float
        Capacity the errors are normalised by [unit of the power].
    persistence_rule : str
        The persistence baseline's rule.
    model : dict
        The forecaster's description.
    seconds : float
        Wall time [s].
    """

    scores: RenewableScores
    kind: str
    series: list[str]
    n_origins: int
    horizon_h: int
    test_start: str
    test_end: str
    calibration_origins: int
    refits: int
    refit_days: int
    capacity: float
    persistence_rule: str
    model: dict[str, object]
    seconds: float

    def to_dict(self) -> dict[str, object]:
        """The scores' dict, then how the backtest ran."""
        return {**self.scores.to_dict(), **run_fields(self)}


@dataclass
class RenewableBacktest:
    """Forecasts and figures of a renewable backtest.

    Attributes
    ----------
    forecasts : pd.DataFrame
        One row per (origin, series, lead) of the test origins: ``origin``, ``series``, ``target`` (UTC),
        ``lead`` [h], ``actual``, ``forecast``, ``persistence``, ``climatology`` and ``q<level>``
        columns [unit of the power].
    summary : RenewableBacktestSummary
        The scores and how the backtest ran; ``summary.to_dict()`` is the JSON the CLI prints.
    """

    forecasts: pd.DataFrame
    summary: RenewableBacktestSummary


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
        raise InputError(f"horizon must be 1..168 h, got {horizon}", field="horizon")
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
        raise InputError(
            f"{forecaster.kind}: no hour with power and inputs after two weeks of history", field="power"
        )
    test = daily_origins(index, scoreable, test_days, horizon, until=stop)
    test = test[test >= 24 * 14]
    calib = daily_origins(index, scoreable, calibration_days, horizon, before=len(test), until=stop)
    calib = calib[calib >= 24 * 14]
    if len(test) == 0:
        raise InputError(f"{forecaster.kind}: no origin has a full horizon of power to score", field="power")
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
    test_o = origins[keep]
    summary = RenewableBacktestSummary(
        scores=summarise_renewables(forecasts, forecaster.capacity, levels),
        kind=forecaster.kind,
        series=forecaster.series,
        n_origins=int(len(test_o)),
        horizon_h=int(horizon),
        test_start=f"{index[test_o[0]]:%Y-%m-%dT%H:%MZ}",
        test_end=f"{index[test_o[-1]] + pd.Timedelta(hours=horizon):%Y-%m-%dT%H:%MZ}",
        calibration_origins=int(len(calib)),
        refits=fits,
        refit_days=refit_days,
        capacity=forecaster.capacity,
        persistence_rule=forecaster.persistence,
        model=forecaster.describe(),
        seconds=round(time.perf_counter() - t0, 2),
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


@dataclass(frozen=True)
class BaselineErrors:
    """A baseline's errors on the hours scored: ``nmae_pct``, ``nrmse_pct`` [% of capacity]."""

    nmae_pct: float
    nrmse_pct: float


@dataclass(frozen=True)
class RenewableLeadScore:
    """Scores of one lead time.

    Attributes
    ----------
    lead_h : int
        Hours ahead [h].
    nmae_pct, persistence_nmae_pct : float
        The model's and persistence's nMAE [% of capacity].
    coverage_80_pct : float
        Share of actuals inside the 80 % interval [%].
    """

    lead_h: int
    nmae_pct: float
    persistence_nmae_pct: float
    coverage_80_pct: float


@dataclass(frozen=True)
class RenewableScores:
    """Capacity-normalised scores of renewable backtest forecasts (:func:`summarise_renewables`).

    Attributes
    ----------
    nmae_pct, nrmse_pct : float
        Mean absolute and root mean square error [% of capacity].
    coverage_80_pct, coverage_90_pct : float
        Share of actuals inside the 80 % and 90 % intervals [%].
    pinball : float
        Mean pinball loss over the quantile levels [share of capacity].
    width_80_pct : float
        Mean width of the 80 % interval [% of capacity].
    n_scored : int
        Hours scored.
    baselines : dict of str to BaselineErrors
        ``persistence`` and ``climatology`` on the same hours.
    skill_vs_persistence_pct, skill_vs_climatology_pct : float
        nMAE skill against each baseline [%].
    skill_rmse_vs_persistence_pct : float
        nRMSE skill against persistence [%].
    per_lead : tuple of RenewableLeadScore
        Every lead up to 48 h, every 6th beyond.
    """

    nmae_pct: float
    nrmse_pct: float
    coverage_80_pct: float
    coverage_90_pct: float
    pinball: float
    width_80_pct: float
    n_scored: int
    baselines: dict[str, BaselineErrors]
    skill_vs_persistence_pct: float
    skill_vs_climatology_pct: float
    skill_rmse_vs_persistence_pct: float
    per_lead: tuple[RenewableLeadScore, ...]

    def to_dict(self) -> dict[str, object]:
        """The scores as JSON-ready plain data (``per_lead`` a list of dicts)."""
        out = asdict(self)
        out["per_lead"] = list(out["per_lead"])
        return out


def summarise_renewables(
    forecasts: pd.DataFrame, capacity: float = 1.0, levels: tuple[float, ...] = QUANTILES
) -> RenewableScores:
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
    RenewableScores
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

    nmae_pct = round(n("forecast", metrics.mae), 3)
    nrmse_pct = round(n("forecast", metrics.rmse), 3)
    base = {
        name: BaselineErrors(round(n(name, metrics.mae), 3), round(n(name, metrics.rmse), 3))
        for name in ("persistence", "climatology")
    }
    per_lead = []
    step = 1 if s["lead"].max() <= 48 else 6
    for lead, g in s.groupby("lead"):
        if (int(lead) - 1) % step:
            continue
        ga = g["actual"].to_numpy() / capacity
        per_lead.append(
            RenewableLeadScore(
                lead_h=int(lead),
                nmae_pct=round(100 * metrics.mae(ga, g["forecast"].to_numpy() / capacity), 3),
                persistence_nmae_pct=round(100 * metrics.mae(ga, g["persistence"].to_numpy() / capacity), 3),
                coverage_80_pct=round(metrics.coverage(ga, g["q0.1"] / capacity, g["q0.9"] / capacity), 1),
            )
        )
    return RenewableScores(
        nmae_pct=nmae_pct,
        nrmse_pct=nrmse_pct,
        coverage_80_pct=round(metrics.coverage(a, s["q0.1"] / capacity, s["q0.9"] / capacity), 2),
        coverage_90_pct=round(metrics.coverage(a, s["q0.05"] / capacity, s["q0.95"] / capacity), 2),
        pinball=round(metrics.pinball(a, s[qcols].to_numpy() / capacity, np.array(levels)), 5),
        width_80_pct=round(100.0 * metrics.mean_width(s["q0.1"] / capacity, s["q0.9"] / capacity), 3),
        n_scored=int(len(s)),
        baselines=base,
        skill_vs_persistence_pct=round(100 * metrics.skill(nmae_pct, base["persistence"].nmae_pct), 2),
        skill_vs_climatology_pct=round(100 * metrics.skill(nmae_pct, base["climatology"].nmae_pct), 2),
        skill_rmse_vs_persistence_pct=round(100 * metrics.skill(nrmse_pct, base["persistence"].nrmse_pct), 2),
        per_lead=tuple(per_lead),
    )
