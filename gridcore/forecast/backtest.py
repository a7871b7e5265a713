"""Rolling-origin backtests of demand forecasts on any hourly load series.

Origins are daily at 00:00 UTC over the last ``test_days`` days with load to score. Before each origin
the model is refitted (every ``refit_days``) on the ``train_days`` before it only; the weather after the
origin is what the provider says a forecast would know. A warm-up of ``calibration_days`` origins before
the test period produces the out-of-sample errors the first intervals are calibrated on; from then on
every origin's errors join the rolling calibration window as their targets pass (a 48 h forecast's
second day joins a day after the next origin).

A load file without weather (or ``weather=NoWeather()``) is forecast from its load history and the
calendar only. Short files are forecast with what they have: a fit needs :data:`LOOKBACK_DAYS` of load
before its first training origin and :data:`MIN_TRAIN_ORIGINS` training origins
(:func:`min_history_hours`: 15 days before a day-ahead origin); origins with less are left out and
counted, and only a file too short for any origin is refused. With few earlier origins the intervals
rest on fewer errors and are widened for it (see :mod:`gridcore.forecast.intervals`); the number of
calibration origins behind the test intervals is reported.

The design rows of every fit are cut from one design over all training origins (a row depends only on
data before its own origin, and on the observed temperature up to its target), and the fits, which do
not depend on each other, run on up to two threads; the figures are the same for any number. Scores
cover the test origins only, beside the seasonal naive on exactly the same hours.
"""

from __future__ import annotations

import copy
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.backtest_scores import (
    BacktestScores,
    BaselineScore,
    LeadScore,
    ReadAsDict,
    run_fields,
    summarise,
)
from gridcore.forecast.features import WEATHER_LOOKBACK_H, design
from gridcore.forecast.intervals import QUANTILES, apply_quantiles, conformal_quantiles
from gridcore.forecast.models import DemandModel, SeasonalNaive
from gridcore.forecast.weather import NoWeather, ObservedWeather, WeatherProvider

#: Days of load a training origin needs before it (the weekly features and the level) [days].
LOOKBACK_DAYS = 8
#: Fewest training origins (days) a fit accepts: one of each weekday.
MIN_TRAIN_ORIGINS = 7


def min_history_hours(horizon: int) -> int:
    """Hours of load a forecast origin needs before it for a fit (look-back, training days, horizon).

    Parameters
    ----------
    horizon : int
        Hours ahead [h].

    Returns
    -------
    int
        ``24 * LOOKBACK_DAYS + 24 * (MIN_TRAIN_ORIGINS - 1) + horizon`` [h]: 360 h (15 days) day-ahead,
        504 h (21 days) a week ahead.
    """
    return 24 * LOOKBACK_DAYS + 24 * (MIN_TRAIN_ORIGINS - 1) + int(horizon)


@dataclass(frozen=True)
class BacktestSummary(ReadAsDict):
    """The figures of a backtest: its scores and how it ran, as the CLI prints them (:meth:`to_dict`).

    Reads as that dict too (``summary["mape_pct"]``).

    Attributes
    ----------
    scores : BacktestScores
        From :func:`~gridcore.forecast.backtest_scores.summarise`.
    n_origins : int
        Test origins.
    horizon_h : int
        [h]
    model : dict
        The model's description (``name``, parameters, ``features``).
    weather : str
        ``observed``, ``forecast`` or ``none``.
    timezone : str
        Local time zone of the calendar features.
    refits : int
        Fits over the test and calibration origins.
    train_days, train_days_min, train_days_max : int, float, float
        Training window asked and the shortest and longest history a fit had [days].
    test_origins_skipped_short_history : int
    calibration_days : int
    calibration_origins_min, calibration_origins_max : int
        Origins whose errors calibrated the intervals, fewest and most.
    test_start, test_end : str
        First origin and end of the last horizon (UTC, ``%Y-%m-%dT%H:%MZ``).
    seconds : float
        Wall time [s].
    flagged_hours_in_test, flagged_hours_excluded_from_fits : int or None
        With ``flagged`` hours only (else left out of the dict).
    """

    scores: BacktestScores
    n_origins: int
    horizon_h: int
    model: dict[str, object]
    weather: str
    timezone: str
    refits: int
    train_days: int
    train_days_min: float
    train_days_max: float
    test_origins_skipped_short_history: int
    calibration_days: int
    calibration_origins_min: int
    calibration_origins_max: int
    test_start: str
    test_end: str
    seconds: float
    flagged_hours_in_test: int | None = None
    flagged_hours_excluded_from_fits: int | None = None

    def to_dict(self) -> dict[str, object]:
        """The scores' dict, then how the backtest ran (the flagged counts only with flagged hours)."""
        return {**self.scores.to_dict(), **run_fields(self)}


@dataclass
class BacktestResult:
    """Forecasts and scores of a backtest.

    Attributes
    ----------
    forecasts : pd.DataFrame
        One row per (origin, lead) of the test period: ``origin``, ``target`` (UTC), ``lead`` [h],
        ``actual``, ``forecast``, ``naive`` [MW] and ``q<level>`` quantile columns [MW].
    summary : BacktestSummary
        The scores and how the backtest ran; ``summary.to_dict()`` is the JSON the CLI prints.
    """

    forecasts: pd.DataFrame
    summary: BacktestSummary


#: Zones with daylight saving time by standard UTC offset [h], for :func:`infer_timezone`.
_DST_ZONES = {
    -8: "America/Los_Angeles",
    -7: "America/Denver",
    -6: "America/Chicago",
    -5: "America/New_York",
    0: "Europe/London",
    1: "Europe/Berlin",
    2: "Europe/Athens",
}


def _weekday_profile(load: pd.Series, months: list[int]) -> np.ndarray:
    part = load[load.index.month.isin(months) & (load.index.dayofweek < 5)]
    profile = part.groupby(part.index.hour).mean().reindex(range(24)).interpolate(limit_direction="both")
    values = profile.to_numpy()
    return (values - values.mean()) / (values.std() or 1.0)


#: Months searched in turn for the winter (standard time) profile of :func:`infer_timezone`.
_WINTER_MONTHS = ([1, 2], [12, 1, 2], [11, 12, 1, 2, 3], list(range(1, 13)))


def infer_timezone(load: pd.Series) -> str:
    """The load's local time zone, from its weekday profile.

    The steepest morning rise is taken to be at 06:00 local standard time in winter (January-February;
    a file of a few months without them uses November-March, else all its months, where daylight saving
    time may put it an hour east). If the summer (July-August) profile runs one hour earlier on the UTC
    axis, the region keeps daylight saving time and a zone with it is chosen (``America/New_York`` for
    UTC-5, ``Europe/Berlin`` for UTC+1, ...); otherwise a fixed offset (``Etc/GMT+5`` is UTC-5). Pass
    the zone when it is known.

    Parameters
    ----------
    load : pd.Series
        Hourly load, UTC index (a year or more for the daylight-saving test).

    Returns
    -------
    str
        IANA zone name.
    """
    recent = load.dropna().iloc[-24 * 3 * 365 :]
    months = recent.index.month
    weekdays = recent.index.dayofweek < 5
    chosen = next(m for m in _WINTER_MONTHS if (months.isin(m) & weekdays).sum() >= 24 * 10 or len(m) == 12)
    winter = _weekday_profile(recent, chosen)
    rise = winter - np.roll(winter, 1)
    offset = (6 - int(np.argmax(rise)) + 12) % 24 - 12
    summer = _weekday_profile(recent, [7, 8])
    dst = False
    if np.isfinite(summer).all() and np.isfinite(winter).all():
        shifts = {k: float(np.dot(np.roll(winter, -k), summer)) for k in (-1, 0, 1)}
        dst = max(shifts, key=shifts.get) == 1
    if dst and offset in _DST_ZONES:
        return _DST_ZONES[offset]
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def daily_origins(
    index: pd.DatetimeIndex,
    load: np.ndarray,
    days: int,
    horizon: int,
    before: int = 0,
    until: int | None = None,
) -> np.ndarray:
    """Positions of daily 00:00 UTC origins: the last ``days`` whose horizon has load, skipping ``before``.

    Parameters
    ----------
    index : pd.DatetimeIndex
        Hourly UTC index.
    load : np.ndarray
        Load on ``index``.
    days : int
        Number of origins.
    horizon : int
        Leads [h] that must fit before the last load value.
    before : int
        Origins to skip at the end (to place a calibration window before a test window).
    until : int, optional
        Position of the last origin allowed (its horizon need not have load: a forecast of the unknown).

    Returns
    -------
    np.ndarray of int
    """
    pos = np.arange(len(index))
    if until is None:
        last = int(np.flatnonzero(np.isfinite(load))[-1])
        allowed = pos + horizon - 1 <= last
    else:
        allowed = (pos <= until) & (pos + horizon <= len(index))
    midnight = np.flatnonzero((index.hour == 0) & allowed)
    chosen = midnight[: len(midnight) - before] if before else midnight
    return chosen[-days:]


def backtest(
    frame: pd.DataFrame,
    model: DemandModel,
    horizon: int = 24,
    test_days: int = 56,
    weather: WeatherProvider | None = None,
    refit_days: int = 7,
    train_days: int = 6 * 365,
    calibration_days: int = 28,
    tz: str | None = None,
    levels: tuple[float, ...] = QUANTILES,
    progress: object = None,
    until: pd.Timestamp | None = None,
    flagged: np.ndarray | None = None,
    workers: int | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``model`` on an hourly load frame.

    Parameters
    ----------
    frame : pd.DataFrame
        Hourly UTC index; ``load_mw`` [MW] and, optionally, temperature columns [°C] (``temperature_c``
        or ``temperature_c_<station>``; their mean is used). Without them the forecast uses load and
        calendar features only (``weather`` is then ``"none"``).
    model : DemandModel
        Fitted in place; without weather its :meth:`~DemandModel.without_weather` copy is.
    horizon : int
        Hours ahead (1..168).
    test_days : int
        Daily origins scored (the last ones with a full horizon of load; those with less than
        :func:`min_history_hours` of load before them are left out and counted).
    weather : WeatherProvider, optional
        What the forecast knows about weather after the origin; observed (ex-post) by default;
        :class:`~gridcore.forecast.weather.NoWeather` leaves the temperature out even when the frame has it.
    refit_days : int
        Days between refits.
    train_days : int
        Days of history each fit sees (at most; a short file gives its fits what it has).
    calibration_days : int
        Origins of out-of-sample errors the intervals are calibrated on (at most: fewer when the file
        holds fewer earlier origins; none, and the first test origin has no interval).
    tz : str, optional
        Local time zone of the load; inferred from the daily profile when omitted.
    levels : tuple of float
        Quantile levels.
    progress : callable, optional
        Called with a label after each origin.
    until : pd.Timestamp, optional
        Last origin (UTC midnight); the test origins end there instead of at the end of the data.
    flagged : np.ndarray of bool, optional
        Hours of ``frame`` flagged as bad (spikes, negative values; see
        :func:`gridcore.forecast.demand.history_issues`): never fitted on. They are still scored, so the
        figures are not flattered by leaving hard hours out; the count in the test window is reported.
    workers : int, optional
        Fits run at once (threads; LightGBM releases the GIL). Default: the usable cores, at most 2.
        Every fit is the same whatever the number, so the figures do not depend on it.

    Returns
    -------
    BacktestResult
    """
    if not 1 <= horizon <= 168:
        raise InputError(f"horizon must be 1..168 h, got {horizon}", field="horizon")
    t0 = time.perf_counter()
    index = frame.index
    load = frame["load_mw"].to_numpy(dtype=float)
    if not np.isfinite(load).any():
        raise InputError("the load frame has no load value", field="load_mw")
    temp_cols = [c for c in frame.columns if c == "temperature_c" or c.startswith("temperature_c_")]
    if not temp_cols or isinstance(weather, NoWeather):
        weather, temps = NoWeather(), pd.DataFrame({"temperature_c": np.nan}, index=index)
        model = model.without_weather()
    else:
        weather, temps = weather or ObservedWeather(), frame[temp_cols]
    temperature = temps.mean(axis=1).to_numpy(dtype=float)
    tz = tz or infer_timezone(frame["load_mw"])
    start = int(np.flatnonzero(np.isfinite(load))[0])
    stop = (
        None
        if until is None
        else int(index.get_indexer([pd.Timestamp(until).tz_convert("UTC")], method="pad")[0])
    )
    test = daily_origins(index, load, test_days, horizon, until=stop)
    if len(test) == 0:
        raise InputError("no origin has a full horizon of load to score", field="load_mw")
    calib = daily_origins(index, load, calibration_days, horizon, before=len(test), until=stop)
    history_model = bool(getattr(model, "uses_history", False))

    def fittable(o: np.ndarray) -> np.ndarray:
        if history_model:
            return o - start >= min_history_hours(horizon)
        return np.array([len(_training_origins(int(p), horizon, train_days, start)) for p in o]) >= (
            MIN_TRAIN_ORIGINS
        )

    skipped = int((~fittable(test)).sum())
    test, calib = test[fittable(test)], calib[fittable(calib)]
    if len(test) == 0:
        need = min_history_hours(horizon)
        raise InputError(
            f"too little history to forecast: {(len(index) - start) / 24:.1f} days of load; a "
            f"{horizon} h forecast needs {need} h ({need / 24:g} days) of load before its origin and "
            f"{horizon} h after it to score",
            field="load_mw",
        )
    origins = np.concatenate([calib, test])

    # the test rows of every origin at once: weather as known at each origin, observed before it
    known = {
        int(o): weather.at_origin(temps.iloc[o - WEATHER_LOOKBACK_H : o + horizon], index[o])
        .mean(axis=1)
        .to_numpy()
        for o in origins
    }
    rows = design(load, temperature, index, origins, horizon, tz, known)
    naive = SeasonalNaive().predict(rows).reshape(len(origins), horizon)
    actual = (rows["y"].to_numpy() * rows["level"].to_numpy()).reshape(len(origins), horizon)
    if history_model:
        point = np.stack(
            [
                model.forecast_history(load[max(o - 24 * train_days, 0) : o], index[o], horizon)
                for o in origins
            ]
        )
        fits = 0
        _report(progress, index, origins)
    else:
        point, fits = _fit_and_predict(
            model,
            load,
            temperature,
            index,
            origins,
            rows,
            horizon,
            tz,
            refit_days,
            train_days,
            flagged,
            workers,
            progress,
            start,
        )
    quant = np.full((len(origins), horizon, len(levels)), np.nan)
    n_calib = np.zeros(len(origins), dtype=int)
    target = origins[:, None] + np.arange(horizon)
    for i in range(1, len(origins)):
        # intervals from the errors known at this origin: earlier origins, targets before this origin
        # (beyond a day ahead, the latest origins' later leads are still in the future)
        past = slice(max(i - calibration_days, 0), i)
        with np.errstate(invalid="ignore", divide="ignore"):
            errors = np.where(target[past] < origins[i], actual[past] / point[past] - 1.0, np.nan)
        n_calib[i] = int(np.isfinite(errors).any(axis=1).sum())
        quant[i] = apply_quantiles(point[i], conformal_quantiles(errors, levels, finite_sample=True))
    keep = slice(len(calib), len(origins))
    history_h = np.minimum(test - start, 24 * train_days)
    forecasts = _frame(
        index, origins[keep], horizon, actual[keep], point[keep], naive[keep], quant[keep], levels
    )
    flagged_in_test = flagged_total = None
    if flagged is not None:
        first, last = int(test[0]), int(test[-1]) + horizon
        flagged_in_test, flagged_total = int(flagged[first:last].sum()), int(flagged.sum())
    summary = BacktestSummary(
        scores=summarise(forecasts, levels),
        n_origins=int(len(test)),
        horizon_h=int(horizon),
        model=model.describe(),
        weather=weather.name,
        timezone=tz,
        refits=fits,
        train_days=train_days,
        train_days_min=round(float(history_h.min()) / 24, 1),
        train_days_max=round(float(history_h.max()) / 24, 1),
        test_origins_skipped_short_history=skipped,
        calibration_days=calibration_days,
        calibration_origins_min=int(n_calib[keep].min()),
        calibration_origins_max=int(n_calib[keep].max()),
        test_start=f"{index[test[0]]:%Y-%m-%dT%H:%MZ}",
        test_end=f"{index[test[-1]] + pd.Timedelta(hours=horizon):%Y-%m-%dT%H:%MZ}",
        seconds=round(time.perf_counter() - t0, 2),
        flagged_hours_in_test=flagged_in_test,
        flagged_hours_excluded_from_fits=flagged_total,
    )
    return BacktestResult(forecasts, summary)


def _schedule(origins: np.ndarray, refit_days: int) -> list[np.ndarray]:
    """Origins grouped by the fit that serves them: a refit at the first origin ``refit_days`` days on."""
    blocks: list[list[int]] = []
    fitted_at: int | None = None
    for i, o in enumerate(origins):
        if fitted_at is None or o - fitted_at >= 24 * refit_days:
            blocks.append([])
            fitted_at = int(o)
        blocks[-1].append(i)
    return [np.array(b) for b in blocks]


def _training_origins(o: int, horizon: int, train_days: int, start: int = 0) -> np.ndarray:
    """Origins a fit at ``o`` learns from: at its hour (``o - 24 k``), however the data start.

    The first is at most ``train_days`` before ``o`` and at least :data:`LOOKBACK_DAYS` after the first
    load value (position ``start``); the last has its whole horizon before ``o``.
    """
    first = o - 24 * min(train_days, (o - start - 24 * LOOKBACK_DAYS) // 24)
    return np.arange(first, o - horizon + 1, 24)


def _fit_and_predict(
    model: DemandModel,
    load: np.ndarray,
    temperature: np.ndarray,
    index: pd.DatetimeIndex,
    origins: np.ndarray,
    rows: pd.DataFrame,
    horizon: int,
    tz: str,
    refit_days: int,
    train_days: int,
    flagged: np.ndarray | None,
    workers: int | None,
    progress: object,
    start: int = 0,
) -> tuple[np.ndarray, int]:
    """Point forecasts (origins, horizon) of ``model`` refitted before each block of origins; the fits.

    The training rows of every fit come from one design over the union of their origins (a row depends
    on its own origin only), each fit keeping the rows of its origins whose target is before the fit's
    origin. Fits are independent, so they run ``workers`` at a time; the last block is fitted on
    ``model`` itself, which is left as the last fit of the backtest.
    """
    blocks = _schedule(origins, refit_days)
    fit_at = [int(origins[b[0]]) for b in blocks]
    pool = np.unique(np.concatenate([_training_origins(o, horizon, train_days, start) for o in fit_at]))
    train = design(load, temperature, index, pool, horizon, tz)
    train_origin = train["origin"].to_numpy()
    train_target = train["target"].to_numpy()
    usable = np.ones(len(train), dtype=bool) if flagged is None else ~flagged[train_target]

    template = copy.deepcopy(model)  # copied here, never fitted: the threads copy it at will

    def run(k: int) -> np.ndarray:
        o = fit_at[k]
        wanted = _training_origins(o, horizon, train_days, start)
        take = (
            usable
            & (train_origin >= (wanted[0] if len(wanted) else o))
            & (train_origin <= o - horizon)
            & ((train_origin - o) % 24 == 0)
            & (train_target < o)
        )
        fitted = model if k == len(blocks) - 1 else copy.deepcopy(template)
        fitted.fit(train[take])
        block = blocks[k]
        part = rows.iloc[block[0] * horizon : (block[-1] + 1) * horizon]
        return np.asarray(fitted.predict(part), dtype=float).reshape(len(block), horizon)

    workers = workers or min(2, _cores())
    point = np.full((len(origins), horizon), np.nan)
    if workers > 1 and len(blocks) > 1:
        ex = ThreadPoolExecutor(max_workers=workers)
        try:
            futures = [ex.submit(run, k) for k in range(len(blocks))]
            for block, future in zip(blocks, futures, strict=True):
                point[block] = future.result()
                _report(progress, index, origins[block])
        finally:
            ex.shutdown(cancel_futures=True)  # a failed fit stops the rest
    else:
        for k, block in enumerate(blocks):
            point[block] = run(k)
            _report(progress, index, origins[block])
    return point, len(blocks)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _report(progress: object, index: pd.DatetimeIndex, origins: np.ndarray) -> None:
    if progress is not None:
        for o in origins:
            progress(f"{index[o]:%Y-%m-%d}")


def _frame(index, origins, horizon, actual, point, naive, quant, levels) -> pd.DataFrame:  # noqa: ANN001
    lead = np.tile(np.arange(1, horizon + 1), len(origins))
    o = np.repeat(origins, horizon)
    out = pd.DataFrame(
        {
            "origin": index[o],
            "target": index[np.minimum(o + lead - 1, len(index) - 1)],
            "lead": lead,
            "actual": actual.reshape(-1),
            "forecast": point.reshape(-1),
            "naive": naive.reshape(-1),
        }
    )
    for k, q in enumerate(levels):
        out[f"q{q:g}"] = quant[:, :, k].reshape(-1)
    return out


__all__ = [
    "BacktestResult",
    "BacktestScores",
    "BacktestSummary",
    "BaselineScore",
    "LeadScore",
    "backtest",
    "daily_origins",
    "infer_timezone",
    "min_history_hours",
    "summarise",
]
