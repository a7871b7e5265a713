"""Demand forecasts for the series of a grid: the system total, every feeder and every load point.

The series of a grid come from its topology in force (:func:`grid_series`): a feeder is the load of the
buses behind one line leaving the busbar (see :mod:`gridcore.network.feeders`), a load point is one MV/LV
substation or MV customer load, and the system total is the sum of all loads. Open a switch or connect a
load and the series follow: nothing here names a feeder or a load.

Series are forecast in groups, one group per feeder (its head and its load points) plus the system: one
gradient-boosted model is fitted per group on the pooled, level-normalised rows of its series (a "global"
model: each series' features are ratios to its own last-week mean, so one model serves large and small
series alike), and the groups are independent, so a scheduler can fan them out.

Intervals are split-conformal per series and lead day (:func:`gridcore.forecast.intervals.
lead_bucket_quantiles`: the relative errors of the 24 leads of each lead day pooled over the origins, with
the finite-sample level), on the model's errors over the ``calibration_days`` daily origins before the
issue time, all out-of-sample: the origins are forecast by models refitted every ``refit_days`` on targets
before the first origin each serves, and the last of them forecasts the issue. Those errors are also the
model's reported accuracy, over ``calibration_days`` plus ``2 ceil(horizon / 24) - 1`` origins, and its
reported coverage is cross-conformal: each of those origins gets the interval the same procedure would have
given it from ``calibration_days`` other origins, none sharing a target hour with it, so the estimate rests
on as many errors as the issued intervals.

Why: with the former 28 origins per series and lead (sliding 49-lead windows) the reported coverage, which
calibrated on 14 origins to score the other 14, said 55-84 % (mean 73-75 %) at 13 issue times of 2016 on
the default grid, while the issued 80 % bands covered 76 % of the 168 hours after the issue on average: an
empirical 10-90 % range of two weeks of errors is too narrow (an hour's error shares its day's weather and
profile noise with its neighbours, so two weeks are few independent draws) and swings with the fortnight.
Now the reported figure is 76-80 % (mean 78.5-78.8 %) at the same issue times, the realized one 76 % again
(one week of one grid swings from 51 % to 91 %; ``bench/bench_grid_coverage.py``). The error spread
changes with the hour of the day, hardly with the lead day, so a lead day (all 24 hours) is the bucket.

History comes from :func:`demand_history`; hours flagged by :func:`history_issues` (gaps, spikes,
negative values) are left out of fitting and scoring, and reported.
"""

from __future__ import annotations

__all__ = [
    "SYSTEM",
    "clean_history",
    "demand_history",
    "grid_series",
    "history_issues",
]

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.backtest import LOOKBACK_DAYS, min_history_hours
from gridcore.forecast.champion import (
    NAIVE,
    ModelChoice,
    mean_of_weeks,
    shares_of_weeks,
)
from gridcore.forecast.demand_history import (
    SYSTEM,
    clean_history,
    demand_history,
    grid_series,
    history_issues,
)
from gridcore.forecast.demand_scores import (
    CLUSTER_ORIGINS,
    LEAD_BUCKET_H,
    choose_candidates,
)
from gridcore.forecast.demand_scores import cross_conformal_sets as _cross_conformal_sets
from gridcore.forecast.demand_scores import fit_blocks as _blocks
from gridcore.forecast.demand_scores import mstl_forecasts as _mstl
from gridcore.forecast.demand_scores import series_scores as _scores
from gridcore.forecast.features import WEATHER_LOOKBACK_H, design
from gridcore.forecast.intervals import apply_quantiles, lead_bucket_quantiles
from gridcore.forecast.models import GradientBoosted, SeasonalNaive
from gridcore.forecast.weather import ForecastWeather, NoWeather, WeatherProvider

#: Quantile levels of the grid forecasts.
DEMAND_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
#: LightGBM settings for grid series (on the weather-driven world: 0.47x the naive on the system in June
#: 2016 where 150 trees with 300 rows per leaf gave 0.51x), with the linear cooling response beyond the
#: 98th percentile of each local hour's training cooling degree hours (``heat_quantile``,
#: :class:`~gridcore.forecast.models.GradientBoosted`). Trees alone give a +5 °C week at 2016-07-01 a
#: daily-peak rise of 0.59 MW (0.12 MW/°C, 0.49 of the real data's 0.239 MW/°C); with the term it is
#: 1.08 MW (0.217 MW/°C, 0.91 of it), while forecasts below the edge are the trees' alone
#: (the 69 origins before 2016-07-01: 0.47x the naive, as without it). The 99th percentile gives 0.79
#: of the real figure, the 97th 1.00 (but the week's own forecast 0.1 MAPE point worse): the edge is
#: where the trees have seen few enough hot hours that they flatten. The degree-hour response under the trees
#: (``temperature_response``) is left off: over 340 daily issue times of 2016 it lowered the system's
#: day-ahead MAPE from 2.77 to 2.51 % (July 4.24 -> 2.96 %, August 4.55 -> 3.24 %) but raised May-June's
#: from 1.72 / 2.31 to 1.97 / 2.46 %, so the 69 origins before 2016-07-01 went from 0.47 to 0.54 of the
#: naive (0.54 also with its cooling side alone), above the 0.5 goal; and it reaches 0.78 of the real
#: heat response only.
GRID_MODEL = {"n_estimators": 500, "learning_rate": 0.05, "min_child_samples": 20, "heat_quantile": 0.98}
#: Fewest out-of-sample calibration origins a given (registry) model may be calibrated on.
MIN_CALIBRATION_ORIGINS = 7
#: Daily origins whose out-of-sample errors calibrate the intervals of a grid forecast.
CALIBRATION_DAYS = 56
#: Days between refits of a group's model across its calibration origins [days].
REFIT_DAYS = 35
#: Days of target hours a group model is fitted on: more than a year, so every season's weather response
#: is learnt (half a year before a summer origin holds no summer).
TRAIN_DAYS = 540
#: Days of history a grid forecast reads before its issue time (fit window, calibration, look-back).
HISTORY_DAYS = 700
#: Local time zone of the default grid's load profiles (SimBench: Germany).
DEFAULT_TZ = "Europe/Berlin"


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
        Per series, out-of-sample over the evaluation origins (the calibration origins and, for a
        ``2 ceil(horizon / 24) - 1`` before them): ``day_ahead_mape_pct``
        (leads 1-24 h) and ``day_ahead_naive_mape_pct``, ``mape_pct`` and ``naive_mape_pct`` (all
        leads), ``rmse_mw``, ``coverage_80_pct`` (cross-conformal: each origin's 80 % interval from
        ``calibration_days`` other origins sharing no target hour with it), ``n_hours``.
    model : GradientBoosted
        The model of the issue's forecast.
    train_start, train_end : pd.Timestamp
        First and last target hour the model was fitted on (UTC).
    fitted : bool
        Whether the model was fitted here (else it was given).
    seconds : float
    info : dict
        Weather, calibration and evaluation origins, fits, history days, time zone, notes.
    choice : ModelChoice
        The head series' (system or feeder) candidates, their day-ahead scores and its champion
        (:func:`gridcore.forecast.champion.choose_model`).
    series_champions : list of str
        Each series' own champion, in the order of ``series``.
    origin_times : pd.DatetimeIndex
        The evaluation origins and the issue time (UTC).
    origin_point : np.ndarray
        (series, origin, lead) the champion's point forecast from each of ``origin_times`` [MW].
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
    choice: ModelChoice | None = None
    series_champions: list[str] = field(default_factory=list)
    origin_times: pd.DatetimeIndex | None = None
    origin_point: np.ndarray | None = None


@dataclass(frozen=True)
class TopDown:
    """The system's forecasts a feeder group's ``top_down`` candidate multiplies by each series' share.

    Attributes
    ----------
    history : pd.Series
        The system's hourly demand [MW] (UTC index).
    origin_times : pd.DatetimeIndex
        The system forecast's origins (its evaluation origins and the issue time).
    point : np.ndarray
        (origin, lead) system forecast from each origin [MW].
    """

    history: pd.Series
    origin_times: pd.DatetimeIndex
    point: np.ndarray

    def at(self, origins: pd.DatetimeIndex) -> np.ndarray:
        """The system forecast from each of ``origins`` (NaN rows for an origin it has not) [MW]."""
        pos = self.origin_times.get_indexer(origins)
        out = np.full((len(origins), self.point.shape[1]), np.nan)
        out[pos >= 0] = self.point[pos[pos >= 0]]
        return out

    @classmethod
    def of(cls, system: GroupForecast, history: pd.Series) -> TopDown:
        """From the system group's forecast and its history."""
        return cls(history, system.origin_times, system.origin_point[0])


def calibration_origins(at_pos: int, horizon: int, days: int) -> np.ndarray:
    """Positions of the daily origins before ``at_pos`` whose whole horizon ends by ``at_pos``."""
    first_k = int(np.ceil(horizon / 24.0))
    return np.array([at_pos - 24 * k for k in range(first_k + days - 1, first_k - 1, -1)])


def first_load(history: pd.DataFrame) -> int:
    """Position of the first hour with load in any series of ``history`` (0 when none has any)."""
    known = np.flatnonzero(np.isfinite(history.to_numpy(dtype=float)).any(axis=1))
    return int(known[0]) if known.size else 0


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

    Origins are daily at the hour of ``before`` over the ``train_days`` before it, from
    :data:`~gridcore.forecast.backtest.LOOKBACK_DAYS` after the first load on; when the pool exceeds
    ``max_rows`` rows with a known target, a seeded random subset is kept.
    """
    index = history.index
    lowest = first_load(history) + 24 * LOOKBACK_DAYS
    first = max(before - 24 * train_days, lowest)
    origins = np.arange(before - horizon, first - 1, -24)[::-1]
    origins = origins[origins >= lowest]
    if origins.size == 0:
        need = min_history_hours(horizon)
        raise InputError(
            f"not enough history to fit: a {horizon} h forecast needs {need / 24:g} days of load before "
            f"{index[min(before, len(index) - 1)]:%Y-%m-%dT%H:%MZ}",
            field="history",
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
    train_days: int = TRAIN_DAYS,
    calibration_days: int = CALIBRATION_DAYS,
    max_rows: int = 80_000,
    levels: tuple[float, ...] = DEMAND_QUANTILES,
    params: dict[str, object] | None = None,
    refit_days: int = REFIT_DAYS,
    top: TopDown | None = None,
    mstl: bool = True,
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
        ``weather``). All NaN (no weather) is the same as ``weather=NoWeather()``.
    issue_time : pd.Timestamp
        UTC hour of the first forecast hour.
    horizon : int
        Hours ahead (1..168).
    tz : str
        Local time zone of the demand (calendar features).
    weather : WeatherProvider, optional
        What is known of the weather after each origin; a synthetic forecast by default;
        :class:`~gridcore.forecast.weather.NoWeather` forecasts from load and calendar only.
    model : GradientBoosted, optional
        A fitted model to use (e.g. the registry's champion); fitted here when omitted. It is
        calibrated on the calibration origins after its ``train_end`` only (out-of-sample), and refitted
        here when fewer than :data:`MIN_CALIBRATION_ORIGINS` remain or when it reads weather that is not
        there.
    train_end, train_start : pd.Timestamp, optional
        Training window of the given ``model`` (for the record).
    train_days, calibration_days, max_rows : int
        Fit window [days], calibration origins (fewer on a short history), and the cap on pooled
        training rows.
    levels : tuple of float
    params : dict, optional
        LightGBM settings overriding :data:`GRID_MODEL`.
    refit_days : int
        Days between the refits across the calibration origins (counted back from the issue time) [days].
    top : TopDown, optional
        The system's forecasts: adds the ``top_down`` candidate (system forecast times share).
    mstl : bool
        Whether the head series' MSTL candidate is scored (screened first); False leaves it out of this
        forecast's choice (:func:`gridcore.forecast.champion.screen_mstl` decides, from its last verdict).

    Returns
    -------
    GroupForecast

    Raises
    ------
    ValueError
        A horizon outside 1..168 h, a history not running through the horizon, or less load before the
        issue time than a fit needs (:func:`~gridcore.forecast.backtest.min_history_hours`).
    """
    if not 1 <= horizon <= 168:
        raise InputError(f"horizon must be 1..168 h, got {horizon}", field="horizon")
    t0 = time.perf_counter()
    index = history.index
    issue_time = pd.Timestamp(issue_time).tz_convert("UTC")
    at = int(index.get_loc(issue_time))
    if at + horizon > len(index):
        raise InputError("history must run through the end of the horizon (NaN load there)", field="history")
    past = history.copy()
    past.iloc[at:] = np.nan  # nothing from the issue time on is known
    temp = temperature.reindex(index).to_numpy(dtype=float)
    if isinstance(weather, NoWeather) or not np.isfinite(temp[:at]).any():
        weather, temp = NoWeather(), np.full(len(index), np.nan)
    weather = weather or ForecastWeather()
    start = first_load(past)
    need = min_history_hours(horizon)
    if at - start < need:
        raise InputError(
            f"not enough history to forecast {group}: {(at - start) / 24:.1f} days of load before "
            f"{issue_time:%Y-%m-%dT%H:%MZ}; a {horizon} h forecast needs {need / 24:g} days",
            field="history",
            element=str(group),
        )
    # evaluation origins: the calibration origins and, beyond a day ahead, those the cross-conformal
    # coverage needs so that every origin keeps calibration_days others sharing no target hour with it
    overlap = int(np.ceil(horizon / 24.0))
    origins = calibration_origins(at, horizon, calibration_days + 2 * overlap - 1)
    origins = origins[(origins - start >= need) & (origins >= WEATHER_LOOKBACK_H)]
    note = ""
    if model is not None and (isinstance(weather, NoWeather) and model.uses_weather):
        model, note = None, "given model refitted: it reads weather and there is none"
    if model is not None:
        # calibrate on the given model's out-of-sample origins only; too few and it is refitted here
        unseen = origins[index[origins] > pd.Timestamp(train_end)] if train_end is not None else origins[:0]
        if unseen.size >= MIN_CALIBRATION_ORIGINS:
            origins = unseen
        else:
            model, note = None, f"given model refitted: {unseen.size} out-of-sample calibration origins"
    fitted = model is None
    all_origins = np.concatenate([origins, [at]]).astype(int)
    block_of = _blocks(all_origins, refit_days) if fitted else np.zeros(len(all_origins), dtype=int)
    models: list[GradientBoosted] = []
    if fitted:
        for b in range(int(block_of[-1]) + 1):
            before = int(all_origins[np.flatnonzero(block_of == b)[0]])
            rows = fit_rows(past, temp, before, horizon, tz, train_days, max_rows)
            m = GradientBoosted(**{**GRID_MODEL, **(params or {})})
            models.append((m.without_weather() if isinstance(weather, NoWeather) else m).fit(rows))
        model = models[-1]
        train_start = index[int(rows["target"].min())]
        train_end = index[int(rows["target"].max())]
    else:
        models.append(model)
    known = {}
    temps = pd.DataFrame({"temperature_c": temp}, index=index)
    for o in all_origins:
        seen = weather.at_origin(temps.iloc[o - WEATHER_LOOKBACK_H : o + horizon], index[o])
        known[int(o)] = seen["temperature_c"].to_numpy(dtype=float)
    n_s, n_o = history.shape[1], len(all_origins)
    calib = np.arange(max(n_o - 1 - calibration_days, 0), n_o - 1)  # the issue's calibration origins
    chosen = _cross_conformal_sets(n_o - 1, overlap, calibration_days)
    point = np.full((n_s, horizon), np.nan)
    quant = np.full((n_s, horizon, len(levels)), np.nan)
    origin_point = np.full((n_s, n_o, horizon), np.nan)
    score_rows = []
    preds: dict[str, list[np.ndarray]] = {"lightgbm": [], NAIVE: [], "mean_4w": []}
    if top is not None:
        preds["top_down"] = []
        top_total = top.history.reindex(index).to_numpy(dtype=float)
        top_total[at:] = np.nan
        top_point = top.at(index[all_origins])
    actuals = []
    for sid in history.columns:
        load = past[sid].to_numpy(dtype=float)
        rows = design(load, temp, index, all_origins, horizon, tz, known)
        pred = np.full((n_o, horizon), np.nan)
        for b, m in enumerate(models):
            members = np.flatnonzero(block_of == b)
            part = rows.iloc[members[0] * horizon : (members[-1] + 1) * horizon]
            pred[members] = m.predict(part).reshape(len(members), horizon)
        preds["lightgbm"].append(pred)
        preds[NAIVE].append(SeasonalNaive().predict(rows).reshape(n_o, horizon))
        preds["mean_4w"].append(mean_of_weeks(load, all_origins, horizon))
        if top is not None:
            share = shares_of_weeks(load, top_total, all_origins, horizon)
            preds["top_down"].append(top_point * share)
        actual = (rows["y"] * rows["level"]).to_numpy().reshape(n_o, horizon)
        actual[-1] = np.nan  # the issue's own horizon is the future
        actuals.append(actual)
    choices = choose_candidates(history, past, all_origins, index, horizon, preds, actuals, mstl)
    if choices[0].champion == "mstl":
        preds["mstl"] = [_mstl(past[history.columns[0]].to_numpy(dtype=float), all_origins, index, horizon)]
    for s, sid in enumerate(history.columns):
        pred, naive, actual = preds[choices[s].champion][s], preds[NAIVE][s], actuals[s]
        with np.errstate(invalid="ignore", divide="ignore"):
            errors = actual[:-1] / pred[:-1] - 1.0
        point[s] = pred[-1]
        if calib.size:
            quant[s] = apply_quantiles(
                pred[-1],
                lead_bucket_quantiles(errors[calib], levels, LEAD_BUCKET_H, cluster_origins=CLUSTER_ORIGINS),
            )
        score_rows.append(_scores(sid, actual[:-1], pred[:-1], naive[:-1], errors, chosen, levels))
        origin_point[s] = pred
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
        choice=choices[0],
        series_champions=[c.champion for c in choices],
        origin_times=index[all_origins],
        origin_point=origin_point,
        info={
            "weather": weather.name,
            "calibration_origins": int(calib.size),
            "evaluation_origins": int(n_o - 1),
            "fits": len(models) if fitted else 0,
            "history_days": round((at - start) / 24, 1),
            "mstl_scored": bool(mstl),
            "timezone": tz,
            **({"note": note} if note else {}),
        },
    )


def registry_metrics(forecast: GroupForecast) -> dict[str, object]:
    """The figures a registry records for a model fitted by :func:`forecast_group`.

    The model's own day-ahead MAPE over the group's series and evaluation origins (not that of the
    series' champions, some of which may be other candidates), as :func:`gridcore.forecast.retrain.
    evaluate` reports it, so the drift check compares like with like; then the candidates' scores.
    """
    sc = forecast.scores
    own = [c for c in (forecast.choice.overall if forecast.choice else ()) if c.name == "lightgbm"]
    return {
        "mape_pct": own[0].day_ahead_mape_pct
        if own
        else round(float(np.nanmean(sc["day_ahead_mape_pct"])), 3),
        "naive_mape_pct": own[0].naive_mape_pct
        if own
        else round(float(np.nanmean(sc["day_ahead_naive_mape_pct"])), 3),
        "n_origins": int(forecast.info.get("evaluation_origins", 0)),
        "horizon_h": 24,
        "source": "evaluation origins of the first forecast",
        **(forecast.choice.to_dict() if forecast.choice is not None else {}),
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

    def subset(self, group: str) -> DemandInputs:
        """The inputs of one group only (what a task of that group is sent)."""
        members = self.catalog.index[self.catalog["group"] == group]
        return replace(self, catalog=self.catalog.loc[members], history=self.history[members])

    @property
    def groups(self) -> list[str]:
        """Group ids, the system first."""
        return sorted(self.catalog["group"].unique(), key=lambda g: (g != SYSTEM, g))


def demand_inputs(  # noqa: ANN001
    system, issue_time: pd.Timestamp, horizon: int = 168, days: int = HISTORY_DAYS, weather: str = "forecast"
) -> DemandInputs:
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
    weather : str
        ``forecast`` (the bundled observations; the forecasts see them through a weather provider) or
        ``none``: no temperature (all NaN), the forecasts use load and calendar only.

    Returns
    -------
    DemandInputs
    """
    if weather not in {"forecast", "none"}:
        raise InputError(f"weather must be forecast or none, not {weather!r}", field="weather")
    from gridcore.data.weather import weather_observations

    issue_time = pd.Timestamp(issue_time).tz_convert("UTC").floor("h")
    catalog = grid_series(system.grid, system.feeders)
    start = issue_time - pd.Timedelta(days=days)
    history = demand_history(system.grid, catalog, start, issue_time + pd.Timedelta(hours=horizon))
    issues = history_issues(history.loc[: issue_time - pd.Timedelta(hours=1)])
    history = clean_history(history, issues)
    temperature = weather_observations(start, len(history)).set_index("timestamp")["temperature_c"]
    if weather == "none":
        temperature = temperature * np.nan
    return DemandInputs(catalog, history, temperature, issues, issue_time, horizon)
