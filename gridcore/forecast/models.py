"""Demand forecasting models over the origin-anchored design (see :mod:`gridcore.forecast.features`).

* :class:`SeasonalNaive`: the load of the same hour one week earlier (for leads beyond a week, the
  latest such week known at the origin). The reference every figure is compared with.
* :class:`GradientBoosted`: LightGBM on calendar, temperature and origin-anchored load features,
  predicting the ratio of load to the origin's level. Trees cannot extrapolate: beyond the hottest (or
  coldest) temperature of the training data they flatten. A temperature-sensitivity term fitted on the
  hottest and coldest 5 % of the training hours (least squares slope of the ratio on temperature) carries
  the forecast on beyond the training range, so a heat wave neither flatlines nor explodes.

  With ``temperature_response`` a linear term is fitted first and the trees learn what it leaves: the
  ratio's slope on the target's heating and cooling degree hours (24 h means) above those of the week its
  level was made of, one slope per local hour of the day and side (:func:`response_matrix`), least
  squares with an intercept per hour. Trees alone give a +5 °C week about half the daily-peak rise the
  real data show (they flatten near the hottest days they saw, and the load-history features anchor
  them to the cooler days before); the linear term carries the response on, in and beyond the range.

  With ``heat_quantile`` (the grid's default, :data:`gridcore.forecast.demand.GRID_MODEL`) the trees
  stay as they are where they saw enough hot weather and a linear term carries the forecast beyond:
  per local hour, the part of the target's cooling degree hours (24 h mean) above the ``heat_quantile``
  of the training rows of that hour, times that hour's cooling slope of the degree-hour response
  (:func:`fit_response`, fitted on the ratio beside the trees, not under them; negative slopes are
  set to 0). Forecasts below that quantile are the trees' alone, so a heat wave moves the forecast by
  the trees' (flattening) response up to the edge of the data and by the fitted slope beyond, and the
  hot-side temperature slope above is not used (it would count the same heat twice).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.features import FEATURES, WEATHER_FEATURES
from gridcore.forecast.model_base import DemandModel
from gridcore.forecast.statistical import MSTLModel

#: Held around LightGBM's dataset construction and prediction. Fits run on threads (backtests, the
#: forecast groups on the flows' Dask threads); a prediction in one thread beside a dataset built in another
#: crashed the process once (a segmentation fault in ``__inner_predict_np2d`` next to ``__init_from_np2d``,
#: LightGBM 4.7.0 under two pytest-xdist workers), as LightGBM's own notes on concurrent native calls warn.
#: Both steps are short beside the tree building, which still runs in parallel.
_LIGHTGBM_NATIVE = threading.Lock()


@dataclass
class SeasonalNaive(DemandModel):
    """Same hour one week before the target (the latest such week known at the origin)."""

    name: str = "seasonal_naive_7d"

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """``level * same_hour_last_week`` [MW]."""
        return (rows["same_hour_last_week"] * rows["level"]).to_numpy()


@dataclass
class GradientBoosted(DemandModel):
    """LightGBM on the origin-anchored features; target is load / level.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples : LightGBM settings.
    linear_tree : bool
        Linear models in the leaves (extrapolates temperature sensitivity).
    temperature_response : bool
        Fit a linear degree-hour response first, the trees on its residual (see the module docstring).
    heat_quantile : float, optional
        Quantile (0-1) of the training rows' cooling degree hours (24 h mean) per local hour beyond which a
        linear cooling response carries the forecast (see the module docstring); None: off.
    seed : int
    """

    n_estimators: int = 500
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 20
    linear_tree: bool = False
    temperature_response: bool = False
    heat_quantile: float | None = None
    seed: int = 0
    name: str = "lightgbm"
    features: list[str] = field(default_factory=lambda: list(FEATURES))
    _booster: object = None
    _temp_range: tuple[float, float] = (float("-inf"), float("inf"))
    _slopes: tuple[float, float] = (0.0, 0.0)
    _response: np.ndarray | None = None
    _heat: np.ndarray | None = None

    @property
    def uses_weather(self) -> bool:
        """Whether any temperature feature is among :attr:`features`."""
        return any(f in WEATHER_FEATURES for f in self.features)

    def without_weather(self) -> GradientBoosted:
        """An unfitted copy without the temperature features (itself when it has none)."""
        if not self.uses_weather:
            return self
        return replace(
            self,
            features=[f for f in self.features if f not in WEATHER_FEATURES],
            _booster=None,
            _temp_range=(float("-inf"), float("inf")),
            _slopes=(0.0, 0.0),
            _response=None,
            _heat=None,
        )

    def fit(self, rows: pd.DataFrame) -> GradientBoosted:
        """Fit on rows whose target ``y`` and level are known."""
        import lightgbm as lgb

        ok = np.isfinite(rows["y"].to_numpy()) & np.isfinite(rows["level"].to_numpy())
        params = {
            "objective": "l2",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "linear_tree": self.linear_tree,
            "linear_lambda": 1.0,
            "lambda_l2": 1.0,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "max_bin": 63,
            "force_col_wise": True,
            "seed": self.seed,
            # one thread: with two, OpenMP contention on a 2-core machine made fits ~9x slower (measured)
            "num_threads": 1,
            "verbose": -1,
        }
        y = rows.loc[ok, "y"].to_numpy(dtype=float)
        self._response = None
        if self.temperature_response and self.uses_weather:
            self._response = fit_response(rows.loc[ok], y)
            y = y - response_matrix(rows.loc[ok]) @ self._response
        data = lgb.Dataset(rows.loc[ok, self.features], y, params=params)
        with _LIGHTGBM_NATIVE:
            data.construct()
        # the training booster itself: the same trees, without a text round trip (~0.13 s per fit);
        # it keeps only the binned data (the raw frame is freed), a few MB
        self._booster = lgb.train(params, data, num_boost_round=self.n_estimators, keep_training_booster=True)
        temp = rows.loc[ok, "temp"].to_numpy(dtype=float)
        good = np.isfinite(temp)
        temp, y = temp[good], y[good]
        if temp.size >= 100 and self.uses_weather:
            lo, hi = np.quantile(temp, [0.05, 0.95])
            self._temp_range = (float(temp.min()), float(temp.max()))
            self._slopes = (
                min(_slope(temp[temp <= lo], y[temp <= lo]), 0.0),
                max(_slope(temp[temp >= hi], y[temp >= hi]), 0.0),
            )
        self._heat = None
        if self.heat_quantile is not None and self.uses_weather:
            self._heat = fit_heat(rows.loc[ok], rows.loc[ok, "y"].to_numpy(dtype=float), self.heat_quantile)
            self._slopes = (self._slopes[0], 0.0)
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Load [MW]: the predicted ratio times the origin's level."""
        if self._booster is None:
            raise RuntimeError("GradientBoosted.predict before fit")
        with _LIGHTGBM_NATIVE:
            ratio = np.asarray(self._booster.predict(rows[self.features], num_threads=1))
        if self._response is not None:
            ratio = ratio + response_matrix(rows) @ self._response
        temp = rows["temp"].to_numpy(dtype=float)
        (t_min, t_max), (cold, hot) = self._temp_range, self._slopes
        with np.errstate(invalid="ignore"):
            beyond = hot * np.clip(temp - t_max, 0.0, None) + cold * np.clip(temp - t_min, None, 0.0)
        # no temperature (a load file without weather, a gap): no extrapolation term
        ratio = ratio + np.where(np.isfinite(beyond), beyond, 0.0)
        if self._heat is not None:
            ratio = ratio + heat_beyond(rows, self._heat)
        return ratio * rows["level"].to_numpy()

    def describe(self) -> dict[str, object]:
        """Name and LightGBM settings."""
        return {
            "name": self.name,
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "linear_tree": self.linear_tree,
            "temperature_response": self.temperature_response,
            "heat_quantile": self.heat_quantile,
            "features": self.features,
        }

    def to_dict(self) -> dict[str, object]:
        """The fitted model as plain data (LightGBM text model, settings, extrapolation terms)."""
        if self._booster is None:
            raise RuntimeError("GradientBoosted.to_dict before fit")
        return {
            "settings": {
                "n_estimators": self.n_estimators,
                "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves,
                "min_child_samples": self.min_child_samples,
                "linear_tree": self.linear_tree,
                "temperature_response": self.temperature_response,
                "heat_quantile": self.heat_quantile,
                "seed": self.seed,
                "features": self.features,
            },
            # JSON has no infinity: an open range (a model without weather) is written as nulls
            "temp_range": [v if np.isfinite(v) else None for v in self._temp_range],
            "slopes": list(self._slopes),
            "response": None if self._response is None else self._response.tolist(),
            # an hour without training rows has an infinite edge, written as null
            "heat": None if self._heat is None else [[_finite(v) for v in r] for r in self._heat],
            "booster": self._booster.model_to_string(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> GradientBoosted:
        """Rebuild a fitted model written by :meth:`to_dict`."""
        import lightgbm as lgb

        model = cls(**data["settings"])
        model._booster = lgb.Booster(model_str=data["booster"])
        low, high = data["temp_range"]
        model._temp_range = (
            float("-inf") if low is None else float(low),
            float("inf") if high is None else float(high),
        )
        model._slopes = tuple(float(v) for v in data["slopes"])
        response = data.get("response")
        model._response = None if response is None else np.asarray(response, dtype=float)
        heat = data.get("heat")
        model._heat = None if heat is None else np.array(heat, dtype=float)
        if model._heat is not None:
            model._heat[np.isnan(model._heat)] = np.inf
        return model


def response_matrix(rows: pd.DataFrame) -> np.ndarray:
    """Regressors of the linear temperature response, one row per design row.

    Columns 0-23: the target's cooling degree hours (24 h mean) minus those of the week before the origin
    [°C] in the column of the target's local hour; columns 24-47 the same for heating degree hours. Zero
    where the temperature is unknown (no weather: no response).
    """
    n = len(rows)
    hour = rows["hour"].to_numpy(dtype=np.int64)
    out = np.zeros((n, 48))
    at = np.arange(n)
    for side, (now, week) in enumerate((("cdh_ma24", "cdh_level"), ("hdh_ma24", "hdh_level"))):
        diff = rows[now].to_numpy(dtype=float) - rows[week].to_numpy(dtype=float)
        out[at, 24 * side + hour] = np.where(np.isfinite(diff), diff, 0.0)
    return out


def fit_response(
    rows: pd.DataFrame, y: np.ndarray, ridge: float = 1.0, by_offday: bool = False
) -> np.ndarray:
    """Slopes of the ratio ``y`` on :func:`response_matrix`, least squares with an intercept per hour.

    Parameters
    ----------
    rows : pd.DataFrame
        Design rows with known targets.
    y : np.ndarray
        Their targets (load / level) [-].
    ridge : float
        Ridge penalty on the slopes (a few rows of one hour cannot give it a wild slope) [-].
    by_offday : bool
        An intercept per hour and working / off day (the profile of a Sunday is not a Tuesday's).

    Returns
    -------
    np.ndarray
        Shape (48,): per °C of degree hours [1/°C]; the intercepts are left to the trees.
    """
    x = response_matrix(rows)
    cell = rows["hour"].to_numpy(dtype=np.int64)
    n_cells = 24
    if by_offday:
        cell, n_cells = cell + 24 * rows["offday"].to_numpy(dtype=np.int64), 48
    # each row has three entries in [intercepts | cooling | heating]: its cell's 1 and its hour's two
    # degree-hour differences, so the normal equations are sums over rows (a dense product is ~10x dearer)
    hour = rows["hour"].to_numpy(dtype=np.int64)
    at = np.arange(len(rows))
    cols = np.stack([cell, n_cells + hour, n_cells + 24 + hour])
    vals = np.stack([np.ones(len(rows)), x[at, hour], x[at, 24 + hour]])
    n = n_cells + 48
    gram = np.zeros(n * n)
    for i in range(3):
        for j in range(3):
            gram += np.bincount(cols[i] * n + cols[j], weights=vals[i] * vals[j], minlength=n * n)
    rhs = sum(np.bincount(cols[i], weights=vals[i] * y, minlength=n) for i in range(3))
    # a cell without rows: its zero column is held at 0 by a tiny penalty
    penalty = np.diag(np.concatenate([np.full(n_cells, 1e-9), np.full(48, ridge)]))
    beta = np.linalg.solve(gram.reshape(n, n) + penalty, rhs)
    return beta[n_cells:]


def fit_heat(rows: pd.DataFrame, y: np.ndarray, quantile: float) -> np.ndarray:
    """Edges and slopes of the cooling response beyond the training data (see the module docstring).

    Parameters
    ----------
    rows : pd.DataFrame
        Design rows with known targets.
    y : np.ndarray
        Their targets (load / level) [-].
    quantile : float
        Quantile (0-1) of each local hour's cooling degree hours (24 h mean) that marks the edge.

    Returns
    -------
    np.ndarray
        Shape (2, 24): per local hour, the edge [°C] (infinite for an hour without rows: no term) and
        the slope of the ratio per °C of cooling degree hours beyond it [1/°C], at least 0.
    """
    if not 0.0 < quantile <= 1.0:
        raise InputError(f"heat_quantile must be in (0, 1], got {quantile}", field="heat_quantile")
    cdh = rows["cdh_ma24"].to_numpy(dtype=float)
    hour = rows["hour"].to_numpy(dtype=np.int64)
    known = np.isfinite(cdh)
    edge = np.full(24, np.inf)
    for h in range(24):
        at_hour = cdh[known & (hour == h)]
        if at_hour.size:
            edge[h] = np.quantile(at_hour, quantile)
    slope = np.maximum(fit_response(rows, y, by_offday=True)[:24], 0.0)
    return np.stack([edge, slope])


def heat_beyond(rows: pd.DataFrame, heat: np.ndarray) -> np.ndarray:
    """The ratio the cooling response adds beyond the edges of :func:`fit_heat` (0 below them) [-]."""
    hour = rows["hour"].to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore"):
        excess = np.clip(rows["cdh_ma24"].to_numpy(dtype=float) - heat[0, hour], 0.0, None)
    return heat[1, hour] * np.where(np.isfinite(excess), excess, 0.0)


def _finite(value: float) -> float | None:
    """``value``, or None when it is not finite (JSON has no infinity)."""
    return float(value) if np.isfinite(value) else None


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of ``y`` on ``x`` (0 when ``x`` does not vary)."""
    if x.size < 10 or np.ptp(x) == 0:
        return 0.0
    return float(np.polyfit(x, y, 1)[0])


def make_model(name: str) -> DemandModel:
    """A model by name.

    ``lightgbm`` (default), ``mstl`` (statistical, daily and weekly seasonality) or ``seasonal_naive``.
    """
    if name in {"lightgbm", "gbm", "default"}:
        return GradientBoosted()
    if name in {"seasonal_naive", "seasonal_naive_7d", "naive"}:
        return SeasonalNaive()
    if name in {"mstl", "statistical"}:
        return MSTLModel()
    raise InputError(f"unknown model {name!r}; choose lightgbm, mstl or seasonal_naive", field="model")
