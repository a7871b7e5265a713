"""Statistical demand forecast from the load history alone: MSTL with daily and weekly seasonality.

:class:`MSTLModel` decomposes the last ``window_days`` of hourly load into a trend, a daily (24 h) and a
weekly (168 h) seasonal component with MSTL (repeated STL, Bandara, Bergmeir & Smyl 2021, as in R's
``forecast::mstl``), forecasts the seasonally adjusted series (trend + remainder) with an exponential
smoothing model and adds back the seasonal components of the last cycle. It uses neither temperature nor
the calendar: it is the statistical reference beside :class:`~gridcore.forecast.models.GradientBoosted`.
It is refitted at every origin on the history before it (``uses_history``; the backtest then calls
:meth:`MSTLModel.forecast_history` instead of ``fit``/``predict``).

statsforecast's ``MSTL`` is called directly, not through sktime 1.2.0's
``sktime.forecasting.statsforecast.StatsForecastMSTL``. The wrapper runs with statsforecast 2.1.1 and gives
the same numbers, but

* it accepts ``stl_kwargs`` and silently drops them (``_get_statsforecast_params`` passes only
  ``season_length`` and ``trend_forecaster``), so STL runs with statsmodels' defaults of evaluating every
  loess at every point: about 0.5-0.7 s CPU per forecast on 56 days, too slow for a backtest that
  refits at every origin;
* each construction emits a ``FutureWarning`` (``remember_data``, one per wrapped forecaster), which
  this project's test settings turn into errors;
* its input checks and adapters add some 25-50 ms per forecast.

Speed: STL here evaluates its loess smoothers every ``trend_jump`` / ``low_pass_jump`` /
``seasonal_jump`` points and interpolates between them, as R's ``stl`` does by default (its jumps are a
tenth of the window). With the default settings (56 days, additive damped trend: ``AAN`` with
``damped=True``) one :meth:`MSTLModel.forecast_history` call takes about 0.12 s CPU (0.12-0.19 s wall on a
busy 2-core machine), measured over 60 origins of GEFCom 2014; the undamped ``ANN`` takes 0.08 s, the
statsforecast default ``ZZN`` (six ETS fits) 0.2 s, and statsmodels' STL without jumps 0.5 s. Importing
statsforecast (statsmodels, utilsforecast) takes several seconds once per process.

Accuracy, day-ahead on GEFCom 2014-E (``backtest(..., horizon=24, test_days=56)``): on two validation
periods (56 origins ending 2014-03-31 and 2014-08-31) the jumps left the MAPE unchanged (2.57 / 2.76 %
with, 2.57 / 2.75 % without, ``ANN``) and the damped trend lowered it to 2.38 / 2.60 % (``ZZN``: 2.34 /
2.60 %; seasonal naive 4.68 / 5.40 %). On the last 56 days of the file (2014-11-06 .. 2014-12-31) the
default model scores 2.95 % against 6.74 % for the seasonal naive, without any weather input.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from gridcore.forecast.model_base import DemandModel

#: Forecasts remembered per process by :meth:`MSTLModel.forecast_history` (about 1.4 kB each at 168 h).
MEMO_SIZE = 4096
_MEMO: OrderedDict[tuple, np.ndarray] = OrderedDict()
_MEMO_LOCK = threading.Lock()

#: Loess evaluation steps for statsmodels' STL [points] (statsmodels' default is 1 for each).
STL_JUMPS = {"trend_jump": 10, "low_pass_jump": 5, "seasonal_jump": 2}


def _runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` positions of the runs of ``True`` in a boolean array."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def fill_gaps(values: np.ndarray, period: int = 168, max_interpolate: int = 3) -> np.ndarray:
    """Fill missing values of an hourly series for fitting a model (never to report as data).

    Gaps of up to ``max_interpolate`` hours inside the series are interpolated linearly. Longer gaps
    (and gaps at either end) take the values of the same hours one ``period`` earlier, repeated over gaps
    longer than a period (one ``period`` later for a gap in the first period), shifted to the level of the
    known values beside the gap: by the difference between each neighbour and the value one period from
    it on the side the fill comes from, blended linearly across the gap when it has neighbours on both
    sides. A gap just before the
    origin thus continues from the last known hour. Whatever is still missing is interpolated linearly
    (held constant beyond the ends).

    Parameters
    ----------
    values : np.ndarray
        Hourly values [any unit]; NaN or inf where missing.
    period : int
        Seasonal period [h] whose values fill long gaps (168: the same hour of the previous week).
    max_interpolate : int
        Longest gap [h] inside the series filled by linear interpolation between its neighbours.

    Returns
    -------
    np.ndarray
        A copy with every value finite (all NaN if no value was finite).
    """
    out = np.asarray(values, dtype=float).copy()
    missing = ~np.isfinite(out)
    if not missing.any() or missing.all():
        return out
    n = out.size
    for start, stop in _runs(missing):
        if stop - start <= max_interpolate and start > 0 and stop < n:
            out[start:stop] = np.interp(np.arange(start, stop), [start - 1, stop], out[[start - 1, stop]])
    for start, stop in _runs(~np.isfinite(out)):
        step = -period if start >= period else period
        inside = range(start, stop) if step < 0 else range(stop - 1, start - 1, -1)
        for i in inside:  # in this order a gap longer than a period repeats its source
            if 0 <= i + step < n:
                out[i] = out[i + step]
        shifts = {
            edge: out[edge] - out[edge + step]
            for edge in (start - 1, stop)
            if 0 <= edge < n and 0 <= edge + step < n and np.isfinite(out[edge] - out[edge + step])
        }
        if len(shifts) == 2:
            out[start:stop] += np.interp(np.arange(start, stop), list(shifts), list(shifts.values()))
        elif shifts:
            out[start:stop] += next(iter(shifts.values()))
    left = ~np.isfinite(out)
    if left.any():
        pos = np.arange(n)
        out[left] = np.interp(pos[left], pos[~left], out[~left])
    return out


@dataclass
class MSTLModel(DemandModel):
    """MSTL decomposition with daily and weekly seasonality, refitted at every forecast origin.

    Parameters
    ----------
    window_days : int
        History [days] each forecast is fitted on (the last ``24 * window_days`` hours before the
        origin).
    season_lengths : tuple of int
        Seasonal periods [h].
    trend_model : str
        ETS specification of the model for the seasonally adjusted series (statsforecast ``AutoETS``
        ``model``: error, trend, season letters; ``ZZN`` is statsforecast's default, slower).
    damped : bool, optional
        Damped trend (``None`` lets ``AutoETS`` choose).
    stl_kwargs : dict
        Passed to statsmodels' ``STL`` for every period (loess jumps by default, see :data:`STL_JUMPS`).
    min_finite : float
        Least fraction of finite load in the window; below it the forecast is NaN.
    name : str
    """

    uses_history: ClassVar[bool] = True

    window_days: int = 56
    season_lengths: tuple[int, ...] = (24, 168)
    trend_model: str = "AAN"
    damped: bool | None = True
    stl_kwargs: dict[str, int] = field(default_factory=lambda: dict(STL_JUMPS))
    min_finite: float = 0.5
    name: str = "mstl"

    def fit(self, rows: pd.DataFrame) -> MSTLModel:
        """Nothing to fit ahead: the model is fitted on the history at each origin."""
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Not available: the model forecasts from the load history, not from design rows."""
        raise NotImplementedError(
            "MSTLModel forecasts from the load history: call forecast_history(load, origin, horizon) "
            "(the backtest does so for models with uses_history = True)"
        )

    def forecast_history(self, load: np.ndarray, origin: pd.Timestamp, horizon: int) -> np.ndarray:
        """Point forecast [MW] for the ``horizon`` hours from ``origin``, from the load before it.

        Parameters
        ----------
        load : np.ndarray
            Hourly load [MW] ending at the hour before ``origin`` (NaN where missing); only the last
            ``24 * window_days`` values are used. Gaps are filled for fitting only (:func:`fill_gaps`).
        origin : pd.Timestamp
            First hour forecast (UTC); the model is positional, so it only labels the forecast.
        horizon : int
            Hours ahead.

        Returns
        -------
        np.ndarray
            Shape (horizon,): load [MW] for hours ``origin`` .. ``origin + horizon - 1``; all NaN when
            the window is shorter than two of the longest seasonal period or less than ``min_finite``
            of it is known.

        Notes
        -----
        The forecast depends only on the window, the horizon and the settings, so it is remembered per
        process (the last :data:`MEMO_SIZE`, keyed by a hash of the window): evaluation windows that
        overlap (the calibration origins of consecutive issues, a rolling backtest, the daily forecast
        after the first one) fit each origin once.
        """
        y = np.asarray(load, dtype=float)[-24 * self.window_days :]
        finite = np.isfinite(y)
        if y.size < 2 * max(self.season_lengths) or finite.mean() < self.min_finite:
            return np.full(horizon, np.nan)
        key = (repr(self.describe()), int(horizon), hashlib.blake2b(y.tobytes(), digest_size=16).digest())
        with _MEMO_LOCK:
            known = _MEMO.get(key)
            if known is not None:
                _MEMO.move_to_end(key)
                return known.copy()
        out = self._forecast(y, horizon)
        with _MEMO_LOCK:
            _MEMO[key] = out.copy()
            while len(_MEMO) > MEMO_SIZE:
                _MEMO.popitem(last=False)
        return out

    def _forecast(self, y: np.ndarray, horizon: int) -> np.ndarray:
        """The MSTL forecast of ``horizon`` hours after the window ``y`` (not remembered)."""
        from statsforecast.models import MSTL, AutoETS

        model = MSTL(
            season_length=list(self.season_lengths),
            trend_forecaster=AutoETS(model=self.trend_model, damped=self.damped),
            stl_kwargs=dict(self.stl_kwargs),
        )
        filled = fill_gaps(y, period=max(self.season_lengths))
        return np.asarray(model.forecast(y=filled, h=horizon)["mean"], dtype=float)

    def describe(self) -> dict[str, object]:
        """Name and settings."""
        return {
            "name": self.name,
            "window_days": self.window_days,
            "season_lengths": list(self.season_lengths),
            "trend_model": self.trend_model,
            "damped": self.damped,
            "stl_kwargs": dict(self.stl_kwargs),
        }
