"""Backtest mechanics: fits cut from one design, fits on threads, nothing known before its time; load
files without weather and with a few months of history."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from test_forecast import synthetic_load

from gridcore.forecast.backtest import (
    _schedule,
    _training_origins,
    backtest,
    daily_origins,
    min_history_hours,
)
from gridcore.forecast.features import WEATHER_FEATURES, design
from gridcore.forecast.models import GradientBoosted
from gridcore.forecast.weather import ForecastWeather, NoWeather


def test_one_or_two_threads_give_the_same_forecasts() -> None:
    df = synthetic_load(260)
    kw = {"horizon": 24, "test_days": 12, "train_days": 200, "refit_days": 3, "calibration_days": 10}
    kw |= {"tz": "Etc/GMT+5", "weather": ForecastWeather(seed=4)}
    one = backtest(df, GradientBoosted(n_estimators=30), workers=1, **kw)
    labels: list[str] = []
    two = backtest(df, GradientBoosted(n_estimators=30), workers=2, progress=labels.append, **kw)
    pd.testing.assert_frame_equal(one.forecasts, two.forecasts, check_exact=True)
    assert labels == sorted(labels) and len(labels) == 22  # each origin once, in order
    assert one.summary["refits"] == two.summary["refits"] == 8  # 22 origins, a refit every 3 days


def test_each_fit_sees_the_rows_a_fresh_design_before_its_origin_would_give() -> None:
    df = synthetic_load(200)
    load, temp = df["load_mw"].to_numpy(), df["temperature_c"].to_numpy()
    seen: list[pd.DataFrame] = []

    class Spy(GradientBoosted):
        def fit(self, rows: pd.DataFrame) -> GradientBoosted:
            seen.append(rows)
            return super().fit(rows)

    horizon, tz = 36, "Etc/GMT+5"
    model = Spy(n_estimators=20)
    kw = {"horizon": horizon, "test_days": 6, "train_days": 100, "refit_days": 4, "calibration_days": 5}
    result = backtest(df, model, tz=tz, workers=1, **kw)
    test = daily_origins(df.index, load, 6, horizon)
    calib = daily_origins(df.index, load, 5, horizon, before=6)
    origins = np.concatenate([calib, test])
    fit_at = [int(origins[b[0]]) for b in _schedule(origins, 4)]
    assert len(seen) == len(fit_at) == result.summary["refits"] == 3
    for rows, o in zip(seen, fit_at, strict=True):
        fresh = design(load, temp, df.index, _training_origins(o, horizon, 100), horizon, tz)
        fresh = fresh[fresh["target"] < o]
        assert rows["target"].max() < o and rows["origin"].min() == o - 24 * 100
        pd.testing.assert_frame_equal(rows.reset_index(drop=True), fresh.reset_index(drop=True))
    assert model._booster is not None  # the model passed in is left as the last fit


def test_a_changed_future_changes_no_forecast_or_interval_issued_before_it() -> None:
    df = synthetic_load(240)
    kw = {"horizon": 48, "test_days": 10, "train_days": 150, "refit_days": 2, "calibration_days": 12}
    kw |= {"tz": "Etc/GMT+5"}
    base = backtest(df, GradientBoosted(n_estimators=30), **kw).forecasts
    cut = base["origin"].unique()[6]
    changed = df.copy()
    changed.loc[changed.index >= cut, "load_mw"] *= 1.3  # demand jumps from that origin on
    again = backtest(changed, GradientBoosted(n_estimators=30), **kw).forecasts
    issued = base["origin"] <= cut
    cols = ["forecast", "naive"] + [c for c in base.columns if c.startswith("q")]
    pd.testing.assert_frame_equal(base.loc[issued, cols], again.loc[issued, cols], check_exact=True)
    assert not np.allclose(base.loc[~issued, "forecast"], again.loc[~issued, "forecast"])
    late = issued & (base["target"] >= cut)
    assert (again.loc[late, "actual"] > base.loc[late, "actual"]).all()


def test_a_failing_fit_stops_the_backtest() -> None:
    calls: list[int] = []

    class Broken(GradientBoosted):
        def fit(self, rows: pd.DataFrame) -> GradientBoosted:
            calls.append(1)
            time.sleep(0.1)  # a fit takes time: the queued ones are cancelled while the first fail
            raise RuntimeError("no fit today")

    df = synthetic_load(120)
    kw = {"horizon": 24, "test_days": 30, "train_days": 60, "refit_days": 1, "calibration_days": 5}
    with pytest.raises(RuntimeError, match="no fit today"):
        backtest(df, Broken(), tz="UTC", workers=2, **kw)
    assert len(calls) < 10  # of the 35 refits: the queued fits were cancelled


def test_models_by_name_and_the_base_interface() -> None:
    from gridcore.forecast.models import DemandModel, SeasonalNaive, make_model
    from gridcore.forecast.statistical import MSTLModel

    assert isinstance(make_model("lightgbm"), GradientBoosted)
    assert isinstance(make_model("naive"), SeasonalNaive)
    assert isinstance(make_model("mstl"), MSTLModel)
    base = DemandModel()
    assert base.fit(pd.DataFrame()) is base and base.describe() == {"name": "base"}
    assert not base.uses_weather and base.without_weather() is base
    plain = GradientBoosted().without_weather()
    assert not plain.uses_weather and plain.without_weather() is plain
    with pytest.raises(NotImplementedError):
        base.predict(pd.DataFrame())


def gefcom() -> pd.DataFrame:
    """GEFCom2014-E as bundled: hourly load and temperature, UTC."""
    from gridcore.interfaces.loadfile import read_load_file

    return read_load_file("data/gefcom2014e.csv.gz").frame


def test_a_load_file_without_weather_beats_the_naive_on_gefcom2014e() -> None:
    """Load and calendar only, the last 28 days of GEFCom2014-E (Dec 2014), two years per fit.

    Measured 2.97 % against the naive's 6.91 % (2.7 % vs 6.7 % in the full 56-day, 6-year backtest);
    the bound leaves room for LightGBM versions, and beats the 0.75x the acceptance check asks.
    """
    frame = gefcom()[["load_mw"]]
    kw = {"horizon": 24, "test_days": 28, "train_days": 730, "refit_days": 28, "calibration_days": 14}
    s = backtest(frame, GradientBoosted(n_estimators=200), tz="America/New_York", **kw).summary
    assert s["weather"] == "none"
    assert s["mape_pct"] < 3.5 and s["mape_pct"] < 0.6 * s["baseline"]["mape_pct"]
    assert s["baseline"]["name"] == "seasonal_naive_7d" and s["n_origins"] == 28
    assert s["train_days_min"] == s["train_days_max"] == 730
    assert s["calibration_origins_min"] == s["calibration_origins_max"] == 14
    assert 60 <= s["coverage_80_pct"] <= 90


def test_a_file_of_120_days_is_forecast_with_what_it_has() -> None:
    """The last 120 days of GEFCom2014-E, 56 test days: the first fits have 64 days of load."""
    frame = gefcom().iloc[-24 * 120 :]
    r = backtest(frame, GradientBoosted(n_estimators=200), horizon=24, test_days=56, workers=1)
    s = r.summary
    assert s["n_origins"] == 56 and s["test_origins_skipped_short_history"] == 0
    assert s["timezone"] == "Etc/GMT+5"  # from the November-December profile (no January here)
    assert s["train_days_min"] == pytest.approx(63.8) and s["train_days_max"] == pytest.approx(118.8)
    assert s["calibration_origins_min"] == 28
    assert s["mape_pct"] < 0.65 * s["baseline"]["mape_pct"]  # measured 3.5 % vs 6.74 %
    assert 60 <= s["coverage_80_pct"] <= 90  # measured 73 %: November's cold snaps and holidays
    without = backtest(
        frame, GradientBoosted(n_estimators=200), horizon=24, test_days=56, weather=NoWeather()
    )
    assert without.summary["weather"] == "none"
    assert without.summary["mape_pct"] < 0.75 * without.summary["baseline"]["mape_pct"]  # 3.9 %


def test_short_files_leave_out_the_origins_a_fit_cannot_serve_and_widen_their_intervals() -> None:
    df = synthetic_load(40)
    r = backtest(df, GradientBoosted(n_estimators=30), horizon=24, test_days=30, tz="Etc/GMT+5", workers=1)
    s = r.summary
    # 15 days of load before an origin (8 days of look-back, 7 training days): origins 15..39 of the 40
    assert min_history_hours(24) == 360 and min_history_hours(168) == 504
    assert s["test_origins_skipped_short_history"] == 5 and s["n_origins"] == 25
    assert s["train_days_min"] == 15 and s["calibration_origins_min"] == 0
    assert s["calibration_origins_max"] == 24
    first = r.forecasts[r.forecasts["origin"] == r.forecasts["origin"].min()]
    assert first[["q0.1", "q0.9"]].isna().all().all()  # no earlier origin: no interval, nothing made up
    f = r.forecasts.dropna(subset=["q0.1"])
    width = (f["q0.9"] - f["q0.1"]).groupby(f["origin"]).mean()
    assert width.iloc[0] > width.iloc[-5:].mean()  # one origin's errors: wider than 20 origins' errors
    assert np.isfinite(s["coverage_80_pct"])


def test_weather_none_forces_load_and_calendar_even_with_temperature() -> None:
    df = synthetic_load(120)
    kw = {"horizon": 24, "test_days": 10, "train_days": 60, "refit_days": 5, "calibration_days": 10}
    kw |= {"tz": "Etc/GMT+5", "workers": 1}
    model = GradientBoosted(n_estimators=30)
    forced = backtest(df, model, weather=NoWeather(), **kw)
    absent = backtest(df[["load_mw"]], GradientBoosted(n_estimators=30), **kw)
    assert forced.summary["weather"] == absent.summary["weather"] == "none"
    pd.testing.assert_frame_equal(forced.forecasts, absent.forecasts, check_exact=True)
    assert not set(forced.summary["model"]["features"]) & set(WEATHER_FEATURES)
    assert model.uses_weather and model._booster is None  # the caller's model is left as it was
    with_weather = backtest(df, GradientBoosted(n_estimators=30), **kw)
    assert with_weather.summary["weather"] == "observed"
    assert not np.allclose(with_weather.forecasts["forecast"], forced.forecasts["forecast"])
