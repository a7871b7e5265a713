"""Backtest mechanics: fits cut from one design, fits on threads, nothing known before its time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_forecast import synthetic_load

from gridcore.forecast.backtest import _schedule, _training_origins, backtest, daily_origins
from gridcore.forecast.features import design
from gridcore.forecast.models import GradientBoosted
from gridcore.forecast.weather import ForecastWeather


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
            raise RuntimeError("no fit today")

    df = synthetic_load(120)
    kw = {"horizon": 24, "test_days": 30, "train_days": 60, "refit_days": 1, "calibration_days": 5}
    with pytest.raises(RuntimeError, match="no fit today"):
        backtest(df, Broken(), tz="UTC", workers=2, **kw)
    assert len(calls) < 35  # the queued fits were cancelled


def test_models_by_name_and_the_base_interface() -> None:
    from gridcore.forecast.models import DemandModel, SeasonalNaive, make_model
    from gridcore.forecast.statistical import MSTLModel

    assert isinstance(make_model("lightgbm"), GradientBoosted)
    assert isinstance(make_model("naive"), SeasonalNaive)
    assert isinstance(make_model("mstl"), MSTLModel)
    base = DemandModel()
    assert base.fit(pd.DataFrame()) is base and base.describe() == {"name": "base"}
    with pytest.raises(NotImplementedError):
        base.predict(pd.DataFrame())
