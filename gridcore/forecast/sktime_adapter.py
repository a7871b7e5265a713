"""The demand models through sktime's forecaster interface (``fit`` / ``predict`` / ``predict_quantiles``).

:class:`GradientBoostedForecaster` wraps :class:`~gridcore.forecast.models.GradientBoosted` as an sktime
``BaseForecaster``: ``y`` is the hourly load [MW] on a regular hourly UTC ``DatetimeIndex``, ``X`` the
observed weather on the same hours (``temperature_c`` or ``temperature_c_<station>`` [°C]; their mean is
the temperature the features use, as in the backtest). The forecast origin is the hour after the cutoff
(the last hour of ``y``); ``fh`` counts hours from the cutoff (1 = the origin hour), up to the fitted
horizon (at most 168 h). ``X`` given to ``predict`` is the weather as known at the origin for the hours
after the cutoff (a weather forecast, or the observations for an ex-post forecast); it must give the
temperature at every hour of ``fh`` and should cover the hours between (else the temperature lags there are
missing values to the model). Fitted without ``X``, the model uses load and calendar features only
(:data:`~gridcore.forecast.features.LOAD_CALENDAR_FEATURES`, the backtest's ``weather="none"``) and
``predict`` ignores ``X``. A fit needs :func:`~gridcore.forecast.backtest.min_history_hours` of load (15 days
for a day-ahead horizon, 21 days for a week); more is used up to ``train_days``.

The fit is the backtest's fit at that origin (:func:`gridcore.forecast.backtest.backtest`): the design of
:mod:`gridcore.forecast.features` over daily training origins at the cutoff's hour of day, the
``train_days`` before the origin, targets before it; the forecast row uses the temperature known at the
origin over the :data:`~gridcore.forecast.features.WEATHER_LOOKBACK_H` hours before it, as the backtest
does. The same history, weather and settings give the backtest's point forecast for that origin.

Quantiles are split-conformal (:mod:`gridcore.forecast.intervals`) on out-of-sample relative errors of the
``calibration_days`` daily origins before the cutoff (errors of hours before the cutoff only, as the
backtest's rolling calibration). To keep it to one extra fit, those origins are forecast by one
calibration model fitted before the first of them (the backtest refits every ``refit_days``), with the
observed weather after each calibration origin (ex-post, as the backtest's default ``ObservedWeather``).
On a short history only the origins with enough load before them for that fit are used
(``calibration_origins_``, at least one), and the quantiles widen for the fewer errors.

The seasonal naive needs no wrapper: :func:`seasonal_naive_forecaster` is sktime's own
``NaiveForecaster(strategy="last", sp=168)``, which gives
:class:`~gridcore.forecast.models.SeasonalNaive`'s forecast (same hour one week before, repeated weekly
beyond a week).
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster, ForecastingHorizon
from sktime.forecasting.naive import NaiveForecaster

from gridcore.errors import InputError
from gridcore.forecast.backtest import MIN_TRAIN_ORIGINS, _training_origins, infer_timezone, min_history_hours
from gridcore.forecast.features import WEATHER_LOOKBACK_H, design
from gridcore.forecast.intervals import apply_quantiles, conformal_quantiles
from gridcore.forecast.models import GradientBoosted

#: Longest horizon [h].
MAX_HORIZON_H = 168

_HOUR_NS = 3_600_000_000_000


class QuietNaiveForecaster(NaiveForecaster):
    """sktime's ``NaiveForecaster`` without two harmless warnings; same parameters and forecasts.

    * The ``remember_data`` config is ``False`` (sktime 1.3's default): sktime 1.2 warns
      (``FutureWarning``) at every construction and every ``fit`` (which re-initialises) while it is
      left at the old default. ``NaiveForecaster`` keeps its own copy of the history (``_cur_y``).
    * With a seasonal period on a time-zone aware index, sktime pivots the series through a
      ``PeriodIndex`` and pandas warns (``UserWarning``) that this drops the time zone; the forecast is
      returned on the time-zone aware index all the same. That one message is silenced in ``predict``.

    The project's tests turn warnings into errors.
    """

    _config: ClassVar[dict[str, object]] = {"remember_data": False}

    def _predict(self, fh: ForecastingHorizon, X: pd.DataFrame | None = None) -> pd.Series:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Converting to PeriodArray/Index", UserWarning)
            return super()._predict(fh=fh, X=X)


def seasonal_naive_forecaster() -> NaiveForecaster:
    """The seasonal naive of sktime with a weekly season: the project's ``seasonal_naive_7d`` baseline.

    Returns
    -------
    NaiveForecaster
        ``NaiveForecaster(strategy="last", sp=168)`` (as :class:`QuietNaiveForecaster`): the load [MW] of
        the same hour one week before the target; for leads beyond 168 h, that of the last week before
        the cutoff. Where that hour's load is missing it takes the latest known week at that hour, where
        :class:`~gridcore.forecast.models.SeasonalNaive` gives NaN.
    """
    return QuietNaiveForecaster(strategy="last", sp=168)


def temperature_of(X: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """The temperature the features use [°C]: the mean of the temperature columns of ``X`` on ``index``.

    Parameters
    ----------
    X : pd.DataFrame
        Weather, hourly index; ``temperature_c`` and/or ``temperature_c_<station>`` columns [°C]; other
        columns are ignored.
    index : pd.DatetimeIndex
        Hours wanted (hours ``X`` lacks are NaN).

    Returns
    -------
    np.ndarray
        Shape ``(len(index),)`` [°C].
    """
    cols = [c for c in X.columns if c == "temperature_c" or str(c).startswith("temperature_c_")]
    if not cols:
        raise InputError(
            f"X has no temperature column (temperature_c or temperature_c_<station>); got {list(X.columns)}",
            field="X",
        )
    temp = X[cols].mean(axis=1)
    return temp.reindex(_utc(pd.DatetimeIndex(temp.index))).reindex(index).to_numpy(dtype=float)


def _utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The index in UTC (a naive index is taken to be UTC)."""
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


class GradientBoostedForecaster(BaseForecaster):
    """Gradient-boosted hourly demand forecast (LightGBM, weather and calendar) as an sktime forecaster.

    Parameters
    ----------
    horizon : int, optional
        Longest lead the model is fitted for [h], 1..168. Default: the largest step of ``fh`` when ``fh``
        is given to ``fit``, else 168. ``predict`` accepts steps 1..horizon.
    train_days : int
        Days of training origins before the forecast origin (the backtest's ``train_days``) [days].
    calibration_days : int
        Daily origins before the cutoff whose out-of-sample errors calibrate the quantiles; 0 skips the
        calibration fit (then ``predict_quantiles`` raises).
    tz : str, optional
        IANA time zone of the load for the calendar features (e.g. ``America/New_York``); inferred from
        the daily profile of ``y`` when omitted (needs some months of history, see
        :func:`gridcore.forecast.backtest.infer_timezone`).
    n_estimators, learning_rate, num_leaves, min_child_samples, linear_tree, seed
        :class:`~gridcore.forecast.models.GradientBoosted` settings.

    Attributes
    ----------
    model_ : GradientBoosted
        The model fitted on the targets before the origin.
    horizon_ : int
        The fitted horizon [h].
    tz_ : str
        The time zone used.
    calibration_errors_ : np.ndarray or None
        Relative errors ``actual / forecast - 1`` (calibration origins, horizon_), NaN where the target
        is not before the origin; ``None`` without calibration.
    calibration_origins_ : int
        Daily origins behind ``calibration_errors_`` (fewer than ``calibration_days`` on a short history).
    history_days_ : float
        Days of load before the origin the fit could draw on (at most ``train_days``) [days].
    weather_ : bool
        Whether the model reads the temperature of ``X`` (``False`` when fitted without ``X``).

    Examples
    --------
    >>> f = GradientBoostedForecaster(tz="America/New_York")  # doctest: +SKIP
    >>> f.fit(load, X=weather.loc[load.index])  # doctest: +SKIP
    >>> f.predict_quantiles(fh=range(1, 25), X=weather_forecast, alpha=[0.1, 0.9])  # doctest: +SKIP
    """

    _tags: ClassVar[dict[str, object]] = {
        "authors": ["gridflow"],
        "python_dependencies": "lightgbm",
        "capability:multivariate": False,  # y: one load series
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
        "capability:exogenous": True,
        "requires-fh-in-fit": False,
        "X-y-must-have-same-index": True,
        "enforce_index_type": pd.DatetimeIndex,
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:missing_values": True,  # the design skips missing load; LightGBM takes missing weather
    }
    # sktime 1.3's default, set now: the history is kept here (``update`` refits on what it is given),
    # and sktime 1.2 warns (FutureWarning) at every construction while the config is left at its default
    _config: ClassVar[dict[str, object]] = {"remember_data": False}

    def __init__(
        self,
        horizon: int | None = None,
        train_days: int = 365,
        calibration_days: int = 14,
        tz: str | None = None,
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        linear_tree: bool = False,
        seed: int = 0,
    ) -> None:
        self.horizon = horizon
        self.train_days = train_days
        self.calibration_days = calibration_days
        self.tz = tz
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.linear_tree = linear_tree
        self.seed = seed
        super().__init__()

    # -- fitting -------------------------------------------------------------------------------------

    def _new_model(self) -> GradientBoosted:
        return GradientBoosted(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            linear_tree=self.linear_tree,
            seed=self.seed,
        )

    def _fit(
        self, y: pd.Series, X: pd.DataFrame | None = None, fh: ForecastingHorizon | None = None
    ) -> GradientBoostedForecaster:
        """Fit on the load ``y`` [MW] and observed weather ``X`` before the cutoff.

        Parameters
        ----------
        y : pd.Series
            Hourly load [MW], regular hourly UTC ``DatetimeIndex``, at least
            :func:`~gridcore.forecast.backtest.min_history_hours` from its first value (15 days for a
            day-ahead horizon).
        X : pd.DataFrame, optional
            Observed weather on ``y``'s hours (``temperature_c`` [°C], ...). Without it the model uses
            load and calendar features only and ``predict`` ignores ``X``.
        fh : ForecastingHorizon, optional
            Sets the fitted horizon when ``horizon`` is not given.

        Returns
        -------
        self
        """
        index = _utc(pd.DatetimeIndex(y.index))
        if not (np.diff(index.asi8) == _HOUR_NS).all():
            raise InputError("y must be on a regular hourly index (no missing or repeated hours)", field="y")
        horizon = self.horizon
        if horizon is None:
            horizon = int(np.max(fh.to_relative(self.cutoff).to_numpy())) if fh is not None else MAX_HORIZON_H
        if not 1 <= horizon <= MAX_HORIZON_H:
            raise InputError(f"horizon must be 1..{MAX_HORIZON_H} h, got {horizon}", field="horizon")
        load = y.to_numpy(dtype=float)
        known = np.flatnonzero(np.isfinite(load))
        need = min_history_hours(horizon)
        if known.size == 0 or len(load) - known[0] < need:
            have = len(load) - known[0] if known.size else 0
            raise InputError(
                f"need at least {need} hours ({need / 24:g} days) of load for a {horizon} h horizon, "
                f"got {have}",
                field="y",
            )
        self.horizon_ = int(horizon)
        self.tz_ = self.tz or infer_timezone(pd.Series(load, index=index))
        self._load = load
        self._start = int(known[0])
        self.weather_ = X is not None
        self._temp = temperature_of(X, index) if self.weather_ else np.full(len(index), np.nan)
        self._index = index
        self._name = y.name

        o = len(load)  # the origin: the hour after the cutoff
        self.history_days_ = round(min(o - self._start, 24 * self.train_days) / 24, 1)
        self.model_ = self._fit_before(o)
        self.calibration_errors_ = self._calibration_errors(o)
        self.calibration_origins_ = 0 if self.calibration_errors_ is None else len(self.calibration_errors_)
        return self

    def _fit_before(self, o: int) -> GradientBoosted:
        """A model fitted as the backtest fits at origin position ``o`` (targets before ``o`` only)."""
        origins = _training_origins(o, self.horizon_, self.train_days, self._start)
        rows = design(self._load[:o], self._temp[:o], self._index[:o], origins, self.horizon_, self.tz_)
        model = self._new_model() if self.weather_ else self._new_model().without_weather()
        return model.fit(rows[rows["target"] < o])

    def _calibration_errors(self, o: int) -> np.ndarray | None:
        """Relative errors of the daily origins before ``o`` (targets before ``o``), one fit before them.

        Only origins with enough load before them for that fit are used (none: ``None``).
        """
        calib = o - 24 * np.arange(self.calibration_days, 0, -1)
        enough = [len(_training_origins(int(c), self.horizon_, self.train_days, self._start)) for c in calib]
        calib = calib[np.asarray(enough, dtype=int) >= MIN_TRAIN_ORIGINS]
        if calib.size == 0:
            return None
        model = self._fit_before(int(calib[0]))
        rows = self._rows(calib, self._load, self._temp)
        shape = (len(calib), self.horizon_)
        point = model.predict(rows).reshape(shape)
        actual = (rows["y"].to_numpy() * rows["level"].to_numpy()).reshape(shape)
        target = rows["target"].to_numpy().reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):  # missing load
            return np.where(target < o, actual / point - 1.0, np.nan)

    # -- forecasting ---------------------------------------------------------------------------------

    def _rows(self, origins: np.ndarray, load: np.ndarray, temp: np.ndarray) -> pd.DataFrame:
        """Design rows of ``origins`` on the history extended by ``horizon_`` hours (load unknown there).

        Each origin sees the temperature of ``temp`` over the look-back before it and its horizon (the
        backtest's weather as known at the origin).
        """
        h = self.horizon_
        load_x = np.concatenate([load, np.full(h, np.nan)])
        temp_x = np.concatenate([temp, np.full(len(load) + h - len(temp), np.nan)])
        index_x = pd.date_range(self._index[0], periods=len(load) + h, freq="h")
        known = {int(c): temp_x[c - WEATHER_LOOKBACK_H : c + h] for c in origins}
        return design(load_x, temp_x, index_x, np.asarray(origins), h, self.tz_, known)

    def _steps(self, fh: ForecastingHorizon) -> np.ndarray:
        """Leads [h] of ``fh`` (1 = the hour after the cutoff), checked against the fitted horizon."""
        with warnings.catch_warnings():  # pandas, on a time-zone aware absolute fh (harmless)
            warnings.filterwarnings("ignore", "Converting to PeriodArray/Index", UserWarning)
            steps = np.asarray(fh.to_relative(self.cutoff).to_numpy(), dtype=np.int64)
        if steps.min() < 1 or steps.max() > self.horizon_:
            raise InputError(
                f"fh must be 1..{self.horizon_} hours after the cutoff (fitted horizon), "
                f"got {steps.tolist()}",
                field="fh",
            )
        return steps

    def _point(self, fh: ForecastingHorizon, X: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
        """Point forecast [MW] of all leads 1..horizon_ from the origin, and the steps of ``fh``."""
        steps = self._steps(fh)
        o = len(self._load)
        future = pd.date_range(self._index[-1], periods=self.horizon_ + 1, freq="h")[1:]
        if not self.weather_:
            ahead = np.full(self.horizon_, np.nan)
        else:
            if X is None:
                raise InputError(
                    "fitted with weather X: predict needs X for the hours after the cutoff", field="X"
                )
            ahead = temperature_of(X, future)
            if not np.isfinite(ahead[steps - 1]).all():
                raise InputError("X must give the temperature at every hour of fh", field="X")
        temp = np.concatenate([self._temp, ahead])
        rows = self._rows(np.array([o]), self._load, temp)
        return self.model_.predict(rows), steps

    def _index_of(self, fh: ForecastingHorizon) -> pd.Index:
        return fh.to_absolute_index(self.cutoff)

    def _predict(self, fh: ForecastingHorizon, X: pd.DataFrame | None = None) -> pd.Series:
        """Hourly load forecast [MW] at the steps of ``fh`` after the cutoff.

        Parameters
        ----------
        fh : ForecastingHorizon
            Steps 1..``horizon_`` [h] relative to the cutoff (or the same hours as absolute times).
        X : pd.DataFrame, optional
            Weather as known at the origin for the hours after the cutoff (``temperature_c`` [°C], ...).

        Returns
        -------
        pd.Series
            Load [MW] on the absolute hours of ``fh``, named as ``y``.
        """
        point, steps = self._point(fh, X)
        return pd.Series(point[steps - 1], index=self._index_of(fh), name=self._name)

    def _predict_quantiles(
        self, fh: ForecastingHorizon, X: pd.DataFrame | None, alpha: list[float]
    ) -> pd.DataFrame:
        """Conformal quantile forecasts [MW]: ``point * (1 + Q_alpha(relative errors))`` per lead.

        Parameters
        ----------
        fh : ForecastingHorizon
            As for :meth:`_predict`.
        X : pd.DataFrame, optional
            As for :meth:`_predict`.
        alpha : list of float
            Quantile levels in (0, 1).

        Returns
        -------
        pd.DataFrame
            Rows: the absolute hours of ``fh``; columns: MultiIndex (variable name, alpha); load [MW],
            non-decreasing in alpha (NaN for leads with fewer than 10 pooled errors).
        """
        if self.calibration_errors_ is None:
            need = min_history_hours(self.horizon_) + 24
            raise InputError(
                "no calibration errors: need calibration_days > 0 and at least "
                f"{need} hours ({need / 24:g} days) of load before the cutoff",
                field="calibration_days",
            )
        point, steps = self._point(fh, X)
        levels = np.asarray(alpha, dtype=float)
        order = np.argsort(levels)
        rel = conformal_quantiles(self.calibration_errors_, tuple(levels[order]), finite_sample=True)
        quant = np.empty((len(point), len(levels)))
        quant[:, order] = apply_quantiles(point, rel)
        columns = pd.MultiIndex.from_product([self._get_varnames(), list(alpha)])
        return pd.DataFrame(quant[steps - 1], index=self._index_of(fh), columns=columns)

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, object]]:
        """Small settings for sktime's estimator checks (fast fits on short series).

        Returns
        -------
        list of dict
        """
        return [
            {"n_estimators": 10, "train_days": 30, "calibration_days": 3, "tz": "UTC"},
            {"n_estimators": 5, "num_leaves": 7, "horizon": 24, "calibration_days": 0, "tz": "UTC"},
        ]
