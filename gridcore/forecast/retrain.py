"""Retraining and promotion of the demand models of a grid's forecast groups.

Each day, per group (see :mod:`gridcore.forecast.demand`):

1. No champion in the registry: fit one on the history before the evaluation window, score it on the
   window (out-of-sample), register it as champion.
2. Otherwise score the champion's day-ahead forecasts over the last ``drift_days`` origins. Retrain when
   the champion was trained more than ``max_age_days`` before now, or when this recent MAPE
   exceeds ``drift_ratio`` times the MAPE recorded when it was registered.
3. Retraining fits a challenger on the history before the last ``eval_days`` days, scores both models on
   those days (the challenger out-of-sample), and promotes the challenger only when its MAPE is lower;
   otherwise it is retired. The decision, with both figures and the reasons, is written to the registry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast import metrics
from gridcore.forecast.champion import promotion
from gridcore.forecast.demand import DEFAULT_TZ, GRID_MODEL, calibration_origins, fit_rows
from gridcore.forecast.features import WEATHER_LOOKBACK_H, design
from gridcore.forecast.models import GradientBoosted, SeasonalNaive
from gridcore.forecast.registry import ModelRegistry
from gridcore.forecast.weather import ForecastWeather, WeatherProvider


@dataclass(frozen=True)
class RetrainPolicy:
    """When to retrain and how to judge a challenger.

    Attributes
    ----------
    max_age_days : float
        Retrain when the champion was trained (its ``created`` data time) longer ago than this [days].
    drift_ratio : float
        Retrain when the recent day-ahead MAPE exceeds this multiple of the registered MAPE.
    drift_days : int
        Daily origins of the recent-error check.
    eval_days : int
        Daily origins the challenger and the champion are compared on.
    train_days : int
        History a fit sees [days].
    horizon : int
        Hours ahead the models are fitted for [h].
    max_rows : int
        Cap on pooled training rows.
    """

    max_age_days: float = 28.0
    drift_ratio: float = 1.3
    drift_days: int = 7
    eval_days: int = 14
    train_days: int = 182
    horizon: int = 168
    max_rows: int = 50_000


@dataclass(frozen=True)
class Evaluation:
    """Day-ahead accuracy of a model over daily origins, beside the seasonal naive on the same hours.

    Attributes
    ----------
    mape_pct : float
        Mean over the group's series of each series' MAPE [%].
    naive_mape_pct : float
        The same for the seasonal naive (same hour a week before) [%].
    n_origins : int
        Daily origins scored.
    horizon_h : int
        Hours ahead scored from each origin [h].
    window : (str, str)
        First origin and last target hour scored, ISO 8601 UTC (``2016-07-01T00:00Z``).
    """

    mape_pct: float
    naive_mape_pct: float
    n_origins: int
    horizon_h: int
    window: tuple[str, str]

    def to_dict(self) -> dict[str, object]:
        """``mape_pct``, ``naive_mape_pct``, ``n_origins``, ``horizon_h``, ``window`` (a list of two)."""
        out = asdict(self)
        out["window"] = list(self.window)
        return out


@dataclass(frozen=True)
class RetrainDecision:
    """What the daily retraining check decided for a group (:func:`retrain_group`).

    Attributes
    ----------
    group : str
    at : str
        Time of the decision, ISO 8601 UTC.
    policy : RetrainPolicy
    action : str
        ``first_model``, ``first_model_rejected``, ``kept``, ``promoted`` or ``rejected``.
    reasons : tuple of str
        Why it retrained (empty when the champion was kept), or why a first model was (not) crowned.
    champion, challenger : int, optional
        Registry versions of the champion in force and of the challenger fitted, where there is one.
    recent : Evaluation, optional
        The champion's accuracy over the last ``drift_days`` origins (the drift check).
    champion_eval, challenger_eval : Evaluation, optional
        Both models over the last ``eval_days`` origins (the challenger out-of-sample).
    """

    group: str
    at: str
    policy: RetrainPolicy
    action: str = ""
    reasons: tuple[str, ...] = ()
    champion: int | None = None
    challenger: int | None = None
    recent: Evaluation | None = None
    champion_eval: Evaluation | None = None
    challenger_eval: Evaluation | None = None

    def to_dict(self) -> dict[str, object]:
        """The decision as written to the registry and printed: fields that do not apply are left out."""
        out: dict[str, object] = {
            "group": self.group,
            "at": self.at,
            "policy": asdict(self.policy),
            "action": self.action,
            "reasons": list(self.reasons),
        }
        for key in ("champion", "challenger"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        for key in ("recent", "champion_eval", "challenger_eval"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.to_dict()
        return out


def evaluate(
    model: GradientBoosted,
    history: pd.DataFrame,
    temperature: pd.Series,
    at: pd.Timestamp,
    days: int,
    horizon: int = 24,
    tz: str = DEFAULT_TZ,
    weather: WeatherProvider | None = None,
) -> Evaluation:
    """Score a model on the ``days`` daily origins whose ``horizon`` ends by ``at``.

    Parameters
    ----------
    model : GradientBoosted
    history : pd.DataFrame
        Hourly UTC index through at least ``at``, one column per series [MW].
    temperature : pd.Series
        Observed temperature [°C] on ``history.index``.
    at : pd.Timestamp
        UTC; no load from it on is used.
    days : int
    horizon : int
        Hours ahead scored [h].
    tz : str
    weather : WeatherProvider, optional
        Weather known at each origin (synthetic forecast by default).

    Returns
    -------
    Evaluation
        ``mape_pct`` and ``naive_mape_pct`` (mean over series of each series' MAPE), ``n_origins``,
        ``horizon_h``, ``window`` (first origin, last target; UTC).
    """
    weather = weather or ForecastWeather()
    index = history.index
    pos = int(index.get_loc(pd.Timestamp(at).tz_convert("UTC")))
    origins = calibration_origins(pos, horizon, days)
    origins = origins[origins - WEATHER_LOOKBACK_H >= 0]
    if origins.size == 0:
        raise InputError("not enough history to evaluate", field="history")
    temp = temperature.reindex(index).to_numpy(dtype=float)
    temps = pd.DataFrame({"temperature_c": temp}, index=index)
    known = {
        int(o): weather.at_origin(temps.iloc[o - WEATHER_LOOKBACK_H : o + horizon], index[o])[
            "temperature_c"
        ].to_numpy(dtype=float)
        for o in origins
    }
    past = history.copy()
    past.iloc[pos:] = np.nan
    model_mape, naive_mape = [], []
    for sid in history.columns:
        rows = design(past[sid].to_numpy(dtype=float), temp, index, origins, horizon, tz, known)
        actual = (rows["y"] * rows["level"]).to_numpy()
        model_mape.append(metrics.mape(actual, model.predict(rows)))
        naive_mape.append(metrics.mape(actual, SeasonalNaive().predict(rows)))
    return Evaluation(
        mape_pct=round(float(np.nanmean(model_mape)), 3),
        naive_mape_pct=round(float(np.nanmean(naive_mape)), 3),
        n_origins=int(origins.size),
        horizon_h=int(horizon),
        window=(
            f"{index[origins[0]]:%Y-%m-%dT%H:%MZ}",
            f"{index[origins[-1] + horizon - 1]:%Y-%m-%dT%H:%MZ}",
        ),
    )


def fit_model(
    history: pd.DataFrame,
    temperature: pd.Series,
    before: pd.Timestamp,
    policy: RetrainPolicy,
    tz: str = DEFAULT_TZ,
    params: dict[str, object] | None = None,
) -> tuple[GradientBoosted, pd.Timestamp, pd.Timestamp]:
    """Fit a group model on targets before ``before``; returns the model and its training window."""
    index = history.index
    pos = int(index.get_loc(pd.Timestamp(before).tz_convert("UTC")))
    past = history.copy()
    past.iloc[pos:] = np.nan
    temp = temperature.reindex(index).to_numpy(dtype=float)
    rows = fit_rows(past, temp, pos, policy.horizon, tz, policy.train_days, policy.max_rows)
    model = GradientBoosted(**{**GRID_MODEL, **(params or {})}).fit(rows)
    return model, index[int(rows["target"].min())], index[int(rows["target"].max())]


def retrain_group(
    group: str,
    history: pd.DataFrame,
    temperature: pd.Series,
    at: pd.Timestamp,
    registry: ModelRegistry,
    policy: RetrainPolicy | None = None,
    tz: str = DEFAULT_TZ,
    weather: WeatherProvider | None = None,
    params: dict[str, object] | None = None,
) -> RetrainDecision:
    """Check a group's champion and retrain, challenge and promote as the policy says.

    Parameters
    ----------
    group : str
    history : pd.DataFrame
        Hourly UTC index through ``at``, one column per series of the group [MW]; NaN where unknown.
    temperature : pd.Series
        Observed temperature [°C].
    at : pd.Timestamp
        UTC time of the decision: data from it on are not used.
    registry : ModelRegistry
    policy : RetrainPolicy, optional
    tz : str
    weather : WeatherProvider, optional
    params : dict, optional
        LightGBM settings for new fits.

    Returns
    -------
    RetrainDecision
        The decision: ``group``, ``at``, ``action`` (first_model, kept, promoted, rejected), ``reasons``,
        ``champion`` / ``challenger`` versions and their ``*_eval`` figures, ``recent`` figures; also
        written to the registry (:meth:`RetrainDecision.to_dict`).
    """
    policy = policy or RetrainPolicy()
    at = pd.Timestamp(at).tz_convert("UTC")
    eval_start = at - pd.Timedelta(days=policy.eval_days)
    series = list(history.columns)
    decision = RetrainDecision(group, f"{at:%Y-%m-%dT%H:%MZ}", policy)
    current = registry.champion(group)
    if current is None:
        model, t0, t1 = fit_model(history, temperature, eval_start, policy, tz, params)
        score = evaluate(model, history, temperature, at, policy.eval_days, 24, tz, weather)
        ok, why = promotion(score.mape_pct, score.naive_mape_pct)
        meta = registry.register(
            group,
            model,
            series,
            t0,
            t1,
            score.to_dict(),
            at,
            status="champion" if ok else "challenger",
            reason=f"first model of the group: {why}",
            horizon_h=policy.horizon,
        )
        version = int(meta["version"])
        decision = replace(
            decision,
            action="first_model" if ok else "first_model_rejected",
            reasons=("no champion", why),
            champion=version if ok else None,
            challenger=None if ok else version,
            champion_eval=score,
        )
        registry.log_decision(group, at, decision.to_dict())
        return decision
    champion = registry.load(current)
    recent = evaluate(champion, history, temperature, at, policy.drift_days, 24, tz, weather)
    reasons = []
    age = (at - pd.Timestamp(current["created"])) / pd.Timedelta(days=1)
    if age > policy.max_age_days:
        reasons.append(f"age {age:.1f} d > {policy.max_age_days:g} d")
    registered = float(current["metrics"].get("mape_pct", np.nan))
    if np.isfinite(registered) and recent.mape_pct > policy.drift_ratio * registered:
        reasons.append(
            f"recent day-ahead MAPE {recent.mape_pct:.2f} % > {policy.drift_ratio:g} x "
            f"registered {registered:.2f} %"
        )
    decision = replace(decision, champion=int(current["version"]), recent=recent, reasons=tuple(reasons))
    if not reasons:
        decision = replace(decision, action="kept")
        registry.log_decision(group, at, decision.to_dict())
        return decision
    model, t0, t1 = fit_model(history, temperature, eval_start, policy, tz, params)
    challenger_eval = evaluate(model, history, temperature, at, policy.eval_days, 24, tz, weather)
    champion_eval = evaluate(champion, history, temperature, at, policy.eval_days, 24, tz, weather)
    meta = registry.register(
        group,
        model,
        series,
        t0,
        t1,
        challenger_eval.to_dict(),
        at,
        reason="; ".join(reasons),
        horizon_h=policy.horizon,
    )
    decision = replace(
        decision,
        challenger=int(meta["version"]),
        challenger_eval=challenger_eval,
        champion_eval=champion_eval,
    )
    ok, why = promotion(challenger_eval.mape_pct, challenger_eval.naive_mape_pct, champion_eval.mape_pct)
    if ok:
        registry.promote(group, int(meta["version"]), f"{why} over the last {policy.eval_days} days", at)
        decision = replace(decision, action="promoted")
    else:
        registry.set_status(group, int(meta["version"]), "retired", why, at)
        decision = replace(decision, action="rejected")
    registry.log_decision(group, at, decision.to_dict())
    return decision
