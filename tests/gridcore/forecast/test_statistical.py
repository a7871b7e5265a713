"""MSTL demand model: accuracy on a seasonal series, gap handling, interface, backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast import metrics
from gridcore.forecast.backtest import backtest
from gridcore.forecast.models import DemandModel
from gridcore.forecast.statistical import MSTLModel, fill_gaps


def seasonal_load(days: int = 70, seed: int = 0) -> pd.DataFrame:
    """Hourly load [MW] with daily and weekly cycles, a wandering level and noise; UTC index."""
    idx = pd.date_range("2013-01-07", periods=24 * days, freq="1h", tz="UTC")
    rng = np.random.default_rng(seed)
    hour = idx.hour.to_numpy()
    weekday = (idx.dayofweek < 5).astype(float)
    level = np.cumsum(rng.normal(0, 3, len(idx)))  # a random walk the seasonal naive cannot follow
    load = (
        1000
        + 200 * np.sin(2 * np.pi * (hour - 9) / 24)
        + 150 * weekday * ((hour >= 7) & (hour < 19))
        + level
        + rng.normal(0, 10, len(idx))
    )
    temp = 10 + 5 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 1, len(idx))
    return pd.DataFrame({"load_mw": load, "temperature_c": temp}, index=idx)


def test_mstl_beats_the_seasonal_naive_on_a_seasonal_series() -> None:
    df = seasonal_load(70)
    load, index = df["load_mw"].to_numpy(), df.index
    model = MSTLModel()
    ours, naive = [], []
    for day in (60, 63, 66, 69):
        o = 24 * day
        actual = load[o : o + 24]
        forecast = model.forecast_history(load[:o], index[o], 24)
        assert forecast.shape == (24,)
        assert np.isfinite(forecast).all()
        ours.append(metrics.mape(actual, forecast))
        naive.append(metrics.mape(actual, load[o - 168 : o - 168 + 24]))
    # noise alone is 10 MW on ~1100 MW (~0.7 %); the naive also carries a week of level drift
    assert np.mean(ours) < 2.0
    assert np.mean(ours) < 0.7 * np.mean(naive)


def test_fill_gaps_short_long_leading_and_trailing() -> None:
    n = 24 * 21
    t = np.arange(n, dtype=float)
    y = 100 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168)  # weekly periodic
    holes = y.copy()
    holes[5:8] = np.nan  # short: interpolated
    holes[30:60] = np.nan  # long, in the first week: from the week after
    holes[300:450] = np.inf  # nearly a week: from the week before
    holes[-20:] = np.nan  # just before the origin
    filled = fill_gaps(holes)
    assert np.isfinite(filled).all()
    assert np.isnan(holes[5]) and np.isinf(holes[300])  # the input is not modified
    np.testing.assert_allclose(filled[5:8], np.interp([5, 6, 7], [4, 8], y[[4, 8]]))
    np.testing.assert_allclose(filled[30:], y[30:])  # a weekly-periodic series is restored exactly
    np.testing.assert_array_equal(fill_gaps(y), y)
    assert np.isnan(fill_gaps(np.full(5, np.nan))).all()


def test_fill_gaps_follows_the_level_beside_the_gap() -> None:
    n = 24 * 21
    t = np.arange(n, dtype=float)
    y = 100 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168)
    stepped = y + 50 * (t >= 24 * 14)  # the level rose in the last week
    gap = stepped.copy()
    gap[-30:] = np.nan
    np.testing.assert_allclose(fill_gaps(gap)[-30:], stepped[-30:])  # not last week's lower level
    ramp = y + 0.5 * t
    gap = ramp.copy()
    gap[200:260] = np.nan
    np.testing.assert_allclose(fill_gaps(gap)[200:260], ramp[200:260])
    long_gap = ramp.copy()
    long_gap[200:450] = np.nan  # longer than a week: the week before repeats, shifted to both edges
    np.testing.assert_allclose(fill_gaps(long_gap)[[199, 450]], ramp[[199, 450]])
    assert np.isfinite(fill_gaps(long_gap)).all()


def test_gaps_in_the_history_are_filled_for_fitting_only() -> None:
    df = seasonal_load(60)
    load, index = df["load_mw"].to_numpy(), df.index
    o = 24 * 58
    clean = MSTLModel().forecast_history(load[:o], index[o], 24)
    history = load[:o].copy()
    history[-24 * 10 : -24 * 7] = np.nan  # three days
    history[-30:-28] = np.nan  # two hours just before the origin
    history[-1] = np.nan  # the last hour
    history[::97] = np.nan  # scattered hours
    gappy = MSTLModel().forecast_history(history, index[o], 24)
    assert np.isfinite(gappy).all()
    assert np.isnan(history[-1])  # the caller's array keeps its gaps
    assert metrics.mape(clean, gappy) < 1.0
    assert metrics.mape(load[o : o + 24], gappy) < 3.0


def test_a_window_seen_before_is_not_fitted_again(monkeypatch) -> None:
    import gridcore.forecast.statistical as statistical

    df = seasonal_load(60)
    load, index = df["load_mw"].to_numpy(), df.index
    o = 24 * 58
    fits = []
    fit = MSTLModel._forecast
    monkeypatch.setattr(MSTLModel, "_forecast", lambda self, y, h: fits.append(h) or fit(self, y, h))
    monkeypatch.setattr(statistical, "_MEMO", type(statistical._MEMO)())
    first = MSTLModel().forecast_history(load[:o], index[o], 24)
    first[:] = 0.0  # a caller that writes into its forecast does not change the remembered one
    again = MSTLModel().forecast_history(load[:o].copy(), index[o], 24)
    assert fits == [24] and np.isfinite(again).all() and (again > 500).all()
    np.testing.assert_array_equal(again, fit(MSTLModel(), load[:o][-24 * 56 :], 24))
    # another window, horizon or setting is fitted
    MSTLModel().forecast_history(load[: o - 1], index[o - 1], 24)
    MSTLModel().forecast_history(load[:o], index[o], 12)
    MSTLModel(damped=False).forecast_history(load[:o], index[o], 24)
    assert fits == [24, 24, 12, 24]
    monkeypatch.setattr(statistical, "MEMO_SIZE", 2)
    MSTLModel().forecast_history(load[: o - 2], index[o - 2], 24)
    assert len(statistical._MEMO) == 2  # the oldest are forgotten


def test_too_little_history_gives_nan() -> None:
    df = seasonal_load(60)
    load, index = df["load_mw"].to_numpy(), df.index
    model = MSTLModel()
    assert np.isnan(model.forecast_history(load[: 24 * 10], index[24 * 10], 24)).all()
    mostly_missing = load[: 24 * 56].copy()
    mostly_missing[: 24 * 40] = np.nan
    assert np.isnan(model.forecast_history(mostly_missing, index[24 * 56], 6)).all()


def test_interface() -> None:
    model = MSTLModel()
    assert isinstance(model, DemandModel)
    assert MSTLModel.uses_history is True
    assert model.name == "mstl"
    assert model.fit(pd.DataFrame()) is model
    with pytest.raises(NotImplementedError, match="forecast_history"):
        model.predict(pd.DataFrame())
    described = model.describe()
    assert described["name"] == "mstl"
    assert described["window_days"] == 56
    assert described["season_lengths"] == [24, 168]


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_same_numbers_as_the_sktime_wrapper_without_stl_jumps() -> None:
    # sktime 1.2's StatsForecastMSTL drops stl_kwargs, so it matches only with statsmodels' STL defaults
    from sktime.forecasting.statsforecast import StatsForecastAutoETS, StatsForecastMSTL

    df = seasonal_load(21)
    y = df["load_mw"].to_numpy()
    ours = MSTLModel(stl_kwargs={}).forecast_history(y, df.index[-1] + pd.Timedelta(hours=1), 24)
    wrapper = StatsForecastMSTL(
        season_length=[24, 168], trend_forecaster=StatsForecastAutoETS(model="AAN", damped=True)
    )
    sk = wrapper.fit(pd.Series(y)).predict(fh=np.arange(1, 25)).to_numpy()
    np.testing.assert_allclose(ours, sk, rtol=1e-9)


def test_backtest_with_mstl() -> None:
    df = seasonal_load(120, seed=1)
    result = backtest(df, MSTLModel(), horizon=24, test_days=7, calibration_days=7, tz="UTC")
    s = result.summary
    assert s["n_origins"] == 7
    assert s["refits"] == 0
    assert s["model"]["name"] == "mstl"
    assert np.isfinite(s["mape_pct"])
    assert s["mape_pct"] < s["baseline"]["mape_pct"]
    assert np.isfinite(result.forecasts["forecast"]).all()
