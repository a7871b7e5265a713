"""The demand models through sktime's interface give the project's own forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sktime.forecasting.base import ForecastingHorizon
from sktime.forecasting.model_evaluation import evaluate
from sktime.split import ExpandingWindowSplitter
from test_forecast import synthetic_load

from gridcore.forecast.backtest import backtest
from gridcore.forecast.features import WEATHER_FEATURES, design
from gridcore.forecast.models import GradientBoosted, SeasonalNaive
from gridcore.forecast.sktime_adapter import (
    GradientBoostedForecaster,
    QuietNaiveForecaster,
    seasonal_naive_forecaster,
)
from gridcore.forecast.weather import NoWeather

# sktime itself converts a time-zone aware absolute horizon to a PeriodIndex (ForecastingHorizon checks in
# ``predict``, ``evaluate``), and pandas warns that this drops the time zone; the forecasts keep it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Converting to PeriodArray/Index representation will drop timezone information:UserWarning"
)

TZ = "Etc/GMT+5"
SMALL = {"n_estimators": 40, "train_days": 60, "tz": TZ}


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, int]:
    """120 days of synthetic load and temperature, and a midnight origin 5 days before the end."""
    df = synthetic_load(120)
    origin = len(df) - 24 * 5
    assert df.index[origin].hour == 0
    return df, origin


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, int]) -> GradientBoostedForecaster:
    df, o = data
    f = GradientBoostedForecaster(calibration_days=7, **SMALL)
    return f.fit(df["load_mw"].iloc[:o], X=df[["temperature_c"]].iloc[:o], fh=np.arange(1, 25))


def test_point_forecast_is_the_backtests_for_the_same_origin(data, fitted) -> None:
    df, o = data
    own = backtest(
        df.iloc[: o + 24],
        GradientBoosted(n_estimators=40),
        horizon=24,
        test_days=1,
        calibration_days=1,
        refit_days=1,
        train_days=60,
        tz=TZ,
        workers=1,
    ).forecasts
    assert (own["origin"] == df.index[o]).all()
    pred = fitted.predict(X=df[["temperature_c"]].iloc[o : o + 24])
    assert fitted.horizon_ == 24 and fitted.tz_ == TZ
    pd.testing.assert_index_equal(pred.index, df.index[o : o + 24])
    assert pred.name == "load_mw"
    np.testing.assert_allclose(pred.to_numpy(), own["forecast"].to_numpy(), rtol=1e-12)
    # a subset of hours, given as absolute times, is the same forecast
    fh = ForecastingHorizon(df.index[[o + 2, o + 20]], is_relative=False)
    part = fitted.predict(fh=fh, X=df[["temperature_c"]].iloc[o : o + 24])
    np.testing.assert_allclose(part.to_numpy(), pred.to_numpy()[[2, 20]])


def test_quantiles_are_monotone_with_sktimes_columns(data, fitted) -> None:
    df, o = data
    X = df[["temperature_c"]].iloc[o : o + 24]
    alpha = [0.9, 0.05, 0.5, 0.1, 0.95]
    q = fitted.predict_quantiles(fh=np.arange(1, 25), X=X, alpha=alpha)
    assert list(q.columns) == [("load_mw", a) for a in alpha]
    assert q.shape == (24, 5) and np.isfinite(q.to_numpy()).all()
    ordered = q[[("load_mw", a) for a in sorted(alpha)]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    point = fitted.predict(fh=np.arange(1, 25), X=X).to_numpy()
    assert (ordered[:, 0] < point).all() and (point < ordered[:, -1]).all()
    # relative errors of the calibration origins: out-of-sample, only hours before the origin
    errors = fitted.calibration_errors_
    assert errors.shape == (7, 24) and np.isfinite(errors).all() and np.abs(errors).max() < 0.2
    # sktime derives intervals from the quantiles
    band = fitted.predict_interval(fh=np.arange(1, 25), X=X, coverage=0.8)
    np.testing.assert_allclose(band.to_numpy(), q[[("load_mw", 0.1), ("load_mw", 0.9)]].to_numpy())
    actual = df["load_mw"].iloc[o : o + 24].to_numpy()
    assert np.mean((actual >= band.iloc[:, 0]) & (actual <= band.iloc[:, 1])) > 0.5


def test_works_with_sktimes_evaluate_on_expanding_windows(data) -> None:
    df, _ = data
    cv = ExpandingWindowSplitter(fh=list(range(1, 25)), initial_window=24 * 100, step_length=24 * 6)
    f = GradientBoostedForecaster(calibration_days=3, **SMALL)
    res = evaluate(f, cv, df["load_mw"], X=df[["temperature_c"]], return_data=True)
    assert len(res) == 4  # origins on days 100, 106, 112, 118
    assert (res["test_MeanAbsolutePercentageError"] < 0.06).all()
    for _, row in res.iterrows():
        pd.testing.assert_index_equal(row["y_pred"].index, row["y_test"].index)


def test_sktimes_naive_forecaster_is_the_projects_seasonal_naive(data) -> None:
    df, o = data
    horizon = 200  # past a week the last week repeats
    y = df["load_mw"].iloc[:o]
    naive = seasonal_naive_forecaster()
    assert isinstance(naive, QuietNaiveForecaster)
    assert naive.get_params()["strategy"] == "last" and naive.get_params()["sp"] == 168
    pred = naive.fit(y).predict(fh=np.arange(1, horizon + 1))
    index = pd.date_range(df.index[0], periods=o + horizon, freq="h")
    load = np.concatenate([y.to_numpy(), np.full(horizon, np.nan)])
    rows = design(load, np.zeros(len(load)), index, np.array([o]), horizon, TZ)
    np.testing.assert_allclose(pred.to_numpy(), SeasonalNaive().predict(rows), rtol=1e-12)
    pd.testing.assert_index_equal(pred.index, index[o:])


def test_weekly_horizon_without_weather_and_inferred_time_zone(data) -> None:
    df, o = data
    f = GradientBoostedForecaster(n_estimators=20, train_days=30, calibration_days=10)
    f.fit(df["load_mw"].iloc[:o])  # no fh, no X: 168 h, temperature unknown
    assert f.horizon_ == 168 and f.tz_ == "Etc/GMT+5"
    pred = f.predict(fh=[1, 24, 168])
    assert np.isfinite(pred).all()
    assert pred.index[-1] == df.index[o] + pd.Timedelta(hours=167)
    q = f.predict_quantiles(fh=[1, 24, 168], alpha=[0.1, 0.9])
    assert (q.iloc[:, 1] > q.iloc[:, 0]).all()


def test_fitted_without_X_it_is_the_backtests_forecast_without_weather(data) -> None:
    df, o = data
    f = GradientBoostedForecaster(calibration_days=7, **SMALL)
    f.fit(df["load_mw"].iloc[:o], fh=np.arange(1, 25))
    assert not f.weather_ and not set(f.model_.features) & set(WEATHER_FEATURES)
    own = backtest(
        df.iloc[: o + 24],
        GradientBoosted(n_estimators=40),
        horizon=24,
        test_days=1,
        calibration_days=1,
        refit_days=1,
        train_days=60,
        tz=TZ,
        weather=NoWeather(),
        workers=1,
    ).forecasts
    pred = f.predict()
    np.testing.assert_allclose(pred.to_numpy(), own["forecast"].to_numpy(), rtol=1e-12)
    # weather given to predict is ignored: the model never learned it
    again = f.predict(X=df[["temperature_c"]].iloc[o : o + 24] + 15.0)
    np.testing.assert_array_equal(again.to_numpy(), pred.to_numpy())
    q = f.predict_quantiles(alpha=[0.1, 0.5, 0.9])
    assert (np.diff(q.to_numpy(), axis=1) >= 0).all() and f.calibration_origins_ == 7


def test_a_few_weeks_of_history_are_enough(data) -> None:
    df, _ = data
    y = df["load_mw"].iloc[: 24 * 20]  # 20 days: 15 for a fit, 5 calibration origins before the cutoff
    f = GradientBoostedForecaster(n_estimators=30, calibration_days=14, tz=TZ).fit(y, fh=np.arange(1, 25))
    assert f.history_days_ == 20 and f.calibration_origins_ == 5
    q = f.predict_quantiles(alpha=[0.1, 0.9])
    assert np.isfinite(q.to_numpy()).all() and (q.iloc[:, 1] > q.iloc[:, 0]).all()
    actual = df["load_mw"].iloc[24 * 20 : 24 * 21].to_numpy()
    assert np.mean(np.abs(f.predict().to_numpy() / actual - 1)) < 0.1
    short = GradientBoostedForecaster(n_estimators=30, calibration_days=14, tz=TZ)
    short.fit(df["load_mw"].iloc[: 24 * 15], fh=np.arange(1, 25))  # exactly enough for the fit itself
    assert short.calibration_origins_ == 0
    with pytest.raises(ValueError, match=r"no calibration errors: .* at least 384 hours \(16 days\)"):
        short.predict_quantiles(alpha=[0.1])


def test_several_stations_are_averaged(data) -> None:
    df, o = data
    X = pd.DataFrame(
        {"temperature_c_a": df["temperature_c"] - 1.0, "temperature_c_b": df["temperature_c"] + 1.0, "w": 0}
    )
    f = GradientBoostedForecaster(calibration_days=0, horizon=24, **SMALL)
    one = f.fit(df["load_mw"].iloc[:o], X=df[["temperature_c"]].iloc[:o]).predict(
        fh=np.arange(1, 25), X=df[["temperature_c"]].iloc[o : o + 24]
    )
    two = f.fit(df["load_mw"].iloc[:o], X=X.iloc[:o]).predict(fh=np.arange(1, 25), X=X.iloc[o : o + 24])
    np.testing.assert_allclose(one.to_numpy(), two.to_numpy(), rtol=1e-9)


def test_clear_errors(data) -> None:
    df, o = data
    y, X = df["load_mw"].iloc[:o], df[["temperature_c"]].iloc[:o]
    f = GradientBoostedForecaster(calibration_days=0, **SMALL)
    with pytest.raises(
        ValueError, match=r"at least 504 hours \(21 days\) of load for a 168 h horizon, got 100"
    ):
        f.fit(y.iloc[:100])
    with pytest.raises(ValueError, match="regular hourly"):
        f.fit(y.drop(y.index[500]), X=X.drop(X.index[500]))
    with pytest.raises(ValueError, match="no temperature column"):
        f.fit(y, X=X.rename(columns={"temperature_c": "temp"}))
    with pytest.raises(ValueError, match="horizon must be 1..168"):
        GradientBoostedForecaster(horizon=200, **SMALL).fit(y)
    f.fit(y, fh=np.arange(1, 7))
    with pytest.raises(ValueError, match="fh must be 1..6 hours"):
        f.predict(fh=[1, 7])
    with pytest.raises(ValueError, match="no calibration errors"):
        f.predict_quantiles(fh=[1], alpha=[0.5])
    f.fit(y, X=X, fh=np.arange(1, 7))
    with pytest.raises(ValueError, match="predict needs X"):
        f.predict()
    with pytest.raises(ValueError, match="every hour of fh"):
        f.predict(X=df[["temperature_c"]].iloc[o : o + 3])


def test_sktime_estimator_checks_that_do_not_need_long_hourly_data() -> None:
    """sktime's suite takes ~9 s here, but its fit scenarios are 20-point daily or period series.

    A fit needs 15-21 days of hourly load, so those fail by design (``ValueError``); the checks of the
    interface contract that need no fit all pass.
    """
    from sktime.utils.estimator_checks import check_estimator

    names = [
        "test_get_params",
        "test_set_params",
        "test_clone",
        "test_constructor",
        "test_repr",
        "test_inheritance",
        "test_has_common_interface",
        "test_get_test_params",
        "test_valid_object_class_tags",
        "test_class_tags_match_mro",
        "test_pred_int_tag",
        "test_raises_not_fitted_error",
        "test_obj_vs_cls_signature",
        "test_y_invalid_type_raises_error",
        "test_X_invalid_type_raises_error",
    ]
    results = check_estimator(GradientBoostedForecaster, tests_to_run=names, raise_exceptions=False)
    assert results and {k.split("[")[0] for k in results} == set(names)
    assert all(v == "PASSED" for v in results.values()), {k: v for k, v in results.items() if v != "PASSED"}
