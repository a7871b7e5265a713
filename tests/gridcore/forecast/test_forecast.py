"""Forecasting core: metrics, no look-ahead in features, conformal intervals, backtests, load files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gridcore.data.validation import ContractError
from gridcore.errors import InputError
from gridcore.forecast import metrics
from gridcore.forecast.backtest import backtest, daily_origins, infer_timezone
from gridcore.forecast.features import FEATURES, WEATHER_LOOKBACK_H, calendar, design
from gridcore.forecast.intervals import apply_quantiles, conformal_quantiles, lead_bucket_quantiles
from gridcore.forecast.models import GradientBoosted, SeasonalNaive, make_model
from gridcore.forecast.weather import ForecastWeather, ObservedWeather
from gridcore.interfaces.loadfile import load_frame, read_load_file


def synthetic_load(days: int = 500, seed: int = 0) -> pd.DataFrame:
    """Load with daily and weekly cycles and a temperature response, UTC-5 local time."""
    idx = pd.date_range("2012-01-01", periods=24 * days, freq="1h", tz="UTC")
    rng = np.random.default_rng(seed)
    local_hour = (idx.hour - 5) % 24
    doy = idx.dayofyear.to_numpy()
    temp = 10 + 12 * np.sin(2 * np.pi * (doy - 110) / 365) + 5 * np.sin(2 * np.pi * (local_hour - 9) / 24)
    temp = temp + rng.normal(0, 1.0, len(idx))
    weekday = ((idx - pd.Timedelta(hours=5)).dayofweek < 5).astype(float)
    load = (
        1000
        + 250 * ((local_hour >= 6) & (local_hour < 22))  # the working day starts at 06:00 local
        + 120 * weekday
        + 8 * np.maximum(temp - 18, 0) ** 1.5
        + 6 * np.maximum(12 - temp, 0)
        + rng.normal(0, 15, len(idx))
    )
    return pd.DataFrame({"load_mw": load, "temperature_c": temp}, index=idx)


def test_metrics_against_hand_values() -> None:
    a = np.array([100.0, 200.0, np.nan, 50.0])
    f = np.array([110.0, 190.0, 10.0, 50.0])
    assert metrics.mape(a, f) == pytest.approx(100 * (0.1 + 0.05 + 0) / 3)
    assert metrics.rmse(a, f) == pytest.approx(np.sqrt((100 + 100 + 0) / 3))
    assert metrics.mae(a, f) == pytest.approx(20 / 3)
    assert metrics.coverage(a, f - 5, f + 5) == pytest.approx(100 / 3)
    assert metrics.mean_width(f - 5, f + 5) == 10.0
    q = np.stack([f - 10, f + 10], axis=1)
    # pinball at levels 0.1/0.9: for the first point actual 100 in [100, 120]: 0.9*0 and (0.9-1)*(100-120)=2
    assert metrics.pinball(a[:1], q[:1], np.array([0.1, 0.9])) == pytest.approx((0.0 + 2.0) / 2)
    assert metrics.skill(2.0, 4.0) == 0.5
    assert np.isnan(metrics.mape(np.array([0.0]), np.array([1.0])))


def test_features_never_look_past_the_origin() -> None:
    df = synthetic_load(60)
    load = df["load_mw"].to_numpy()
    temp = df["temperature_c"].to_numpy()
    o = 24 * 40
    base = design(load, temp, df.index, np.array([o]), 168, "Etc/GMT+5")
    future = load.copy()
    future[o:] = 0.0  # change everything from the origin on
    again = design(future, temp, df.index, np.array([o]), 168, "Etc/GMT+5")
    cols = [c for c in FEATURES if not c.startswith(("temp", "hdh", "cdh", "dtemp"))]
    pd.testing.assert_frame_equal(base[cols], again[cols])
    assert (again["y"] == 0).all()


def test_weather_known_at_the_origin_is_used_after_it() -> None:
    df = synthetic_load(60)
    o = 24 * 40
    window = df["temperature_c"].iloc[o - WEATHER_LOOKBACK_H : o + 24]
    known = ForecastWeather(seed=1).at_origin(window.to_frame(), df.index[o])["temperature_c"].to_numpy()
    rows = design(
        df["load_mw"].to_numpy(),
        df["temperature_c"].to_numpy(),
        df.index,
        np.array([o]),
        24,
        "UTC",
        {o: known},
    )
    np.testing.assert_allclose(rows["temp"], known[WEATHER_LOOKBACK_H:])
    assert not np.allclose(rows["temp"], df["temperature_c"].iloc[o : o + 24])


def test_synthetic_forecast_error_grows_with_lead() -> None:
    idx = pd.date_range("2014-01-01", periods=24 * 400, freq="1h", tz="UTC")
    obs = pd.DataFrame({"temperature_c": np.zeros(len(idx))}, index=idx)
    provider = ForecastWeather(seed=3)
    errs = np.stack(
        [
            provider.at_origin(obs.iloc[o : o + 168], idx[o])["temperature_c"].to_numpy()
            for o in range(0, 24 * 380, 24)
        ]
    )
    rms = np.sqrt((errs**2).mean(axis=0))
    assert 0.8 < rms[23] < 1.3 and 2.0 < rms[167] < 3.0
    again = provider.at_origin(obs.iloc[:168], idx[0])
    np.testing.assert_array_equal(again["temperature_c"].to_numpy(), errs[0])
    assert ObservedWeather().at_origin(obs, idx[0]) is obs
    archive = pd.DataFrame({"temperature_c": np.full(len(idx), 5.0)}, index=idx)
    real = ForecastWeather(archive=archive)
    assert real.name == "forecast_archive"
    got = real.at_origin(obs.iloc[:48], idx[24])["temperature_c"].to_numpy()
    assert (got[:24] == 0).all() and (got[24:] == 5).all()


def test_conformal_quantiles_cover_their_level() -> None:
    rng = np.random.default_rng(0)
    errors = rng.normal(0, 0.02, (56, 24))
    q = conformal_quantiles(errors, (0.1, 0.5, 0.9))
    assert q.shape == (24, 3)
    np.testing.assert_allclose(q[:, 0], -0.02 * 1.2816, atol=0.004)
    new = rng.normal(0, 0.02, (2000, 24))
    inside = (new >= q[:, 0]) & (new <= q[:, 2])
    assert 0.76 < inside.mean() < 0.84
    band = apply_quantiles(np.full(24, 100.0), q)
    assert (np.diff(band, axis=1) >= 0).all()
    assert np.isnan(conformal_quantiles(errors[:1, :1], (0.5,))).all()


def test_calendar_marks_holidays_in_local_time() -> None:
    t = pd.DatetimeIndex(["2014-07-04T16:00Z", "2014-07-05T03:00Z", "2014-11-28T15:00Z"])
    cal = calendar(t, "America/New_York")
    assert cal["holiday"].tolist() == [1, 1, 0]  # 23:00 local on the 4th is still the holiday
    assert cal["special"].tolist() == [0, 0, 1]  # the day after Thanksgiving
    assert cal["offday"].tolist() == [1, 1, 1]


def test_backtest_beats_the_seasonal_naive_and_calibrates() -> None:
    df = synthetic_load(500)
    model = GradientBoosted(n_estimators=150)
    r = backtest(
        df,
        model,
        horizon=48,
        test_days=28,
        train_days=300,
        refit_days=14,
        calibration_days=28,
        tz="Etc/GMT+5",
    )
    s = r.summary
    assert s["n_origins"] == 28 and s["horizon_h"] == 48
    assert s["mape_pct"] < 0.9 * s["baseline"]["mape_pct"]
    assert 60 <= s["coverage_80_pct"] <= 95
    assert len(s["per_lead"]) == 48
    f = r.forecasts
    assert (f["origin"] < f["target"] + pd.Timedelta(hours=1)).all()
    naive = backtest(df, SeasonalNaive(), horizon=24, test_days=7, calibration_days=7, tz="UTC")
    assert naive.summary["mape_pct"] == naive.summary["baseline"]["mape_pct"]


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_seasonal_naive_matches_sktime() -> None:
    from sktime.forecasting.naive import NaiveForecaster

    df = synthetic_load(30)
    y = df["load_mw"].reset_index(drop=True)
    o = 24 * 20
    rows = design(
        df["load_mw"].to_numpy(), df["temperature_c"].to_numpy(), df.index, np.array([o]), 24, "UTC"
    )
    ours = SeasonalNaive().predict(rows)
    sk = NaiveForecaster(strategy="last", sp=168).fit(y.iloc[:o]).predict(fh=np.arange(1, 25))
    np.testing.assert_allclose(ours, sk.to_numpy())


def test_backtest_input_errors() -> None:
    df = synthetic_load(60)
    with pytest.raises(ValueError, match="horizon"):
        backtest(df, SeasonalNaive(), horizon=200)
    with pytest.raises(ValueError, match=r"too little history to forecast: 14.0 days of load; a 24 h "):
        backtest(df.iloc[: 24 * 14], SeasonalNaive(), test_days=5, tz="UTC")
    with pytest.raises(ValueError, match="no load value"):
        backtest(df.assign(load_mw=np.nan), SeasonalNaive())
    with pytest.raises(ValueError, match="unknown model"):
        make_model("prophet")
    with pytest.raises(RuntimeError):
        GradientBoosted().predict(pd.DataFrame())
    assert infer_timezone(df["load_mw"]) in {"Etc/GMT+4", "Etc/GMT+5", "Etc/GMT+6"}
    assert infer_timezone(df["load_mw"].shift(-5).dropna()) in {"UTC", "Etc/GMT+1", "Etc/GMT-1"}
    gefcom = read_load_file("data/gefcom2014e.csv.gz").frame["load_mw"]
    assert infer_timezone(gefcom) in {"America/New_York", "Etc/GMT+5"}  # New England: UTC-5 in winter
    assert len(daily_origins(df.index, df["load_mw"].to_numpy(), 5, 24)) == 5


def test_load_files_are_checked(tmp_path) -> None:
    good = pd.DataFrame(
        {
            "timestamp": ["2014-01-01T00:00Z", "2014-01-01T02:00Z"],
            "load_mw": [1.0, 2.0],
            "temperature_c": [0, 1],
        }
    )
    lf = load_frame(good)
    assert len(lf.frame) == 3 and lf.missing_hours == 1 and lf.temperature_columns == ["temperature_c"]
    with pytest.raises(ContractError, match="load_mw"):
        load_frame(good.drop(columns="load_mw"))
    with pytest.raises(ContractError, match="no UTC offset"):
        load_frame(good.assign(timestamp=["2014-01-01 00:00", "2014-01-01 01:00"]))
    with pytest.raises(ContractError, match="more than once"):
        load_frame(good.assign(timestamp=["2014-01-01T00:00Z", "2014-01-01T00:00Z"]))
    with pytest.raises(ContractError, match="not a number"):
        load_frame(good.assign(load_mw=["1", "x"]))
    with pytest.raises(ContractError, match="cannot be read"):
        load_frame(good.assign(timestamp=["2014-01-01T00:00Z", "nope"]))
    with pytest.raises(ContractError, match="no such file"):
        read_load_file(tmp_path / "none.csv")
    path = tmp_path / "l.csv"
    good.to_csv(path, index=False)
    assert read_load_file(path).frame["load_mw"].notna().sum() == 2


def test_backtests_and_weather_archives_round_trip(tmp_path) -> None:
    import json

    import xarray as xr

    from gridcore.forecast.store import write_backtest
    from gridcore.forecast.weather import read_weather_forecasts

    df = synthetic_load(40)
    r = backtest(df, SeasonalNaive(), horizon=24, test_days=5, calibration_days=5, tz="UTC")
    path = write_backtest(str(tmp_path), r, "synthetic")
    ds = xr.open_zarr(path)
    assert ds.sizes == {"origin": 5, "lead": 24}
    assert json.loads(ds.attrs["summary"])["n_origins"] == 5
    np.testing.assert_allclose(ds["forecast"].values.reshape(-1), r.forecasts["forecast"].to_numpy())
    # each cell sits at its (origin, lead): the actual is the input load at origin + lead - 1 h, the
    # seasonal naive forecast the load a week before that
    hours = ds["origin"].values[:, None] + (ds["lead"].values - 1).astype("timedelta64[h]")
    target = pd.DatetimeIndex(hours.ravel()).tz_localize("UTC")
    load = df["load_mw"]
    np.testing.assert_allclose(ds["actual"].values, load.reindex(target).to_numpy().reshape(5, 24))
    week_before = target - pd.Timedelta(days=7)
    np.testing.assert_allclose(ds["forecast"].values, load.reindex(week_before).to_numpy().reshape(5, 24))
    # the stored figures are those of the stored forecasts, recomputed here in plain numpy
    stored = json.loads(ds.attrs["summary"])
    a, f = ds["actual"].values, ds["forecast"].values
    lo, hi = ds["q0.1"].values, ds["q0.9"].values
    ok = np.isfinite(a) & np.isfinite(f)
    assert stored["n_scored"] == ok.sum() == 5 * 24
    assert stored["mape_pct"] == pytest.approx(100 * np.mean(np.abs(f - a)[ok] / np.abs(a[ok])), abs=1e-3)
    assert stored["rmse_mw"] == pytest.approx(np.sqrt(np.mean((f - a)[ok] ** 2)), abs=1e-3)
    assert stored["mae_mw"] == pytest.approx(np.mean(np.abs(f - a)[ok]), abs=1e-3)
    inside = (a >= lo) & (a <= hi)
    assert stored["coverage_80_pct"] == pytest.approx(100 * inside[ok].mean(), abs=0.01)
    assert stored["width_80_mw"] == pytest.approx(np.mean((hi - lo)[ok]), abs=1e-3)
    assert stored["baseline"]["mape_pct"] == pytest.approx(stored["mape_pct"], abs=1e-9)  # naive is naive
    csv = tmp_path / "wx.csv"
    pd.DataFrame(
        {"timestamp": ["2014-01-01T00:00Z", "2014-01-01T01:00Z"], "temperature_c": [1.0, 2.0]}
    ).to_csv(csv, index=False)
    archive = read_weather_forecasts(str(csv))
    assert archive["temperature_c"].tolist() == [1.0, 2.0] and str(archive.index.tz) == "UTC"
    with pytest.raises(ContractError, match="no such file"):
        read_weather_forecasts(str(tmp_path / "none.csv"))
    (tmp_path / "bad.csv").write_text("time,temperature_c\n1,2\n")
    with pytest.raises(ContractError, match="timestamp"):
        read_weather_forecasts(str(tmp_path / "bad.csv"))


def test_forecast_plot_and_an_origin_inside_the_data(tmp_path) -> None:
    from gridcore.forecast.plot import plot_forecast

    df = synthetic_load(60)
    until = df.index[24 * 50]
    r = backtest(df, SeasonalNaive(), horizon=48, test_days=1, calibration_days=10, tz="UTC", until=until)
    assert r.forecasts["origin"].iloc[0] == until
    png = plot_forecast(df["load_mw"], r.forecasts, tmp_path / "f.png", "test")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_heat_wave_beyond_the_training_range_neither_flatlines_nor_explodes() -> None:
    def cooling(temp):  # the synthetic load's response to heat [MW]
        return 8 * np.maximum(temp - 18, 0) ** 1.5

    df = synthetic_load(400, seed=2)
    capped = df["temperature_c"].clip(upper=30.0)  # training summers top out at 30 °C
    df["load_mw"] += cooling(capped) - cooling(df["temperature_c"])
    df["temperature_c"] = capped
    load = df["load_mw"].to_numpy()
    temp = df["temperature_c"].to_numpy()
    train = design(load, temp, df.index, np.arange(24 * 10, 24 * 380, 24), 24, "Etc/GMT+5")
    model = GradientBoosted(n_estimators=200).fit(train)
    o = 24 * 385
    rows = design(load, temp, df.index, np.array([o]), 24, "Etc/GMT+5")
    at30 = model.predict(rows.assign(temp=30.0, cdh=12.0))
    at38 = model.predict(rows.assign(temp=38.0, cdh=20.0))
    rise = at38 - at30
    truth = cooling(38.0) - cooling(30.0)  # about 383 MW
    assert (rise > 0.3 * truth).all(), "the forecast flatlines beyond the training range"
    assert (rise < 3.0 * truth).all(), "the forecast explodes beyond the training range"
    plain = GradientBoosted(n_estimators=200)
    plain.fit(train)
    plain._slopes = (0.0, 0.0)  # trees alone
    assert np.allclose(
        plain.predict(rows.assign(temp=38.0, cdh=20.0)),
        plain.predict(rows.assign(temp=30.0, cdh=12.0)),
        rtol=0.01,
    )


def test_load_column_and_separate_weather_file(tmp_path) -> None:
    idx = pd.date_range("2015-01-01", periods=48, freq="1h", tz="UTC")
    stamps = idx.strftime("%Y-%m-%dT%H:%M:%SZ")
    pd.DataFrame({"timestamp": stamps, "zone_1_mw": np.arange(48.0) + 10, "zone_2_mw": 5.0}).to_csv(
        tmp_path / "zones.csv", index=False
    )
    pd.DataFrame({"timestamp": stamps[:40], "station_1_c": 3.0, "station_2_c": 5.0}).to_csv(
        tmp_path / "temps.csv", index=False
    )
    lf = read_load_file(tmp_path / "zones.csv", "zone_1_mw", tmp_path / "temps.csv")
    assert lf.frame["load_mw"].iloc[0] == 10 and "zone_2_mw" not in lf.frame
    assert lf.temperature_columns == ["temperature_c_station_1", "temperature_c_station_2"]
    assert lf.frame["temperature_c_station_1"].isna().sum() == 8  # weather gap kept, not filled
    with pytest.raises(ContractError, match="zone_9_mw"):
        read_load_file(tmp_path / "zones.csv", "zone_9_mw")


def test_flagged_hours_are_not_fitted_but_still_scored() -> None:
    df = synthetic_load(200)
    spiked = df.copy()
    spiked.iloc[24 * 150 + 12, 0] *= 8  # a meter-data spike in the training history
    spiked.iloc[24 * 195 + 12, 0] *= 8  # and one in the test window
    flagged = np.zeros(len(df), dtype=bool)
    flagged[[24 * 150 + 12, 24 * 195 + 12]] = True
    kw = {"horizon": 24, "test_days": 7, "tz": "Etc/GMT+5", "train_days": 150, "calibration_days": 10}
    clean = backtest(spiked, GradientBoosted(n_estimators=60), flagged=flagged, **kw)
    dirty = backtest(spiked, GradientBoosted(n_estimators=60), **kw)
    assert (
        clean.summary["flagged_hours_in_test"] == 1 and clean.summary["flagged_hours_excluded_from_fits"] == 2
    )
    assert clean.summary["n_scored"] == dirty.summary["n_scored"]  # the spike is still scored
    assert "flagged_hours_in_test" not in dirty.summary


def test_training_origins_share_the_test_origins_hour_whatever_the_start() -> None:
    df = synthetic_load(160).iloc[5:]  # the data start at 05:00 UTC and are shorter than train_days
    seen: list[np.ndarray] = []

    class Spy(GradientBoosted):
        def fit(self, rows: pd.DataFrame) -> GradientBoosted:
            seen.append(rows["origin"].to_numpy())
            return super().fit(rows)

    backtest(df, Spy(n_estimators=40), horizon=24, test_days=7, tz="Etc/GMT+5", calibration_days=10)
    hours = {int(h) for o in seen for h in df.index[np.unique(o)].hour}
    assert hours == {0}  # fitted on origins at the test origins' hour (00:00 UTC), not at 05:00


def test_the_temperature_response_carries_a_heat_wave_the_trees_alone_underrate() -> None:
    """A +5 °C week after the training summers' hottest days: the linear degree-hour term fitted beside
    the trees gives at least 0.7 of the rise the synthetic load was built with (measured 1.6: the
    extrapolation beyond the hottest hours adds to it), the trees alone about half (measured 0.53)."""

    def cooling(temp):  # the synthetic load's response to heat [MW]
        return 8 * np.maximum(temp - 18, 0) ** 1.5

    df = synthetic_load(600, seed=3)
    load, temp = df["load_mw"].to_numpy(), df["temperature_c"].to_numpy()
    o, h = 24 * (365 + 200), 72  # mid-July of the second year: the hottest weeks
    train = design(load, temp, df.index, np.arange(24 * 10, o - 24 * 3, 24), h, "Etc/GMT+5")
    base_temp = temp[o - WEATHER_LOOKBACK_H : o + h]
    hot_temp = base_temp + np.where(np.arange(len(base_temp)) >= WEATHER_LOOKBACK_H, 5.0, 0.0)
    rows = design(load, temp, df.index, np.array([o]), h, "Etc/GMT+5", {o: base_temp})
    hot = design(load, temp, df.index, np.array([o]), h, "Etc/GMT+5", {o: hot_temp})
    truth = cooling(hot_temp[WEATHER_LOOKBACK_H:]) - cooling(base_temp[WEATHER_LOOKBACK_H:])
    rises = {}
    for response in (False, True):
        model = GradientBoosted(n_estimators=150, temperature_response=response).fit(train)
        rises[response] = (model.predict(hot) - model.predict(rows))[24:].mean()  # the days after the first
    expected = truth[24:].mean()  # about 144 MW
    assert 0.7 * expected < rises[True] < 2.0 * expected, (rises, expected)
    assert rises[False] < 0.6 * expected
    again = GradientBoosted.from_dict(json.loads(json.dumps(model.to_dict())))
    assert_allclose(again.predict(hot), model.predict(hot), rtol=1e-9)
    assert model.describe()["temperature_response"] and model.without_weather()._response is None


def test_beyond_the_hot_edge_of_the_training_data_the_forecast_follows_the_fitted_cooling_slope() -> None:
    """Load that rises 2 % per °C of cooling degree hours (24 h mean), forecast for a week 6 and 8 °C
    hotter than mid-July: both beyond the 98th percentile of the training hours' degree hours, where the
    trees alone stay flat (measured 0.04 of the true step from +6 to +8 °C) and ``heat_quantile`` follows
    the known slope (measured 1.26 of it: the slope is per level, the level of a warm week is a few
    % above the profile's, and the fit leans on a noisy temperature; tolerance 0.8-1.5). Below the edge
    the forecasts are the trees' alone, to the bit."""

    def cdh24(temp: np.ndarray) -> np.ndarray:
        return pd.Series(np.maximum(temp - 18, 0)).rolling(24, min_periods=1).mean().to_numpy()

    idx = pd.date_range("2012-01-01", periods=24 * 600, freq="1h", tz="UTC")
    rng = np.random.default_rng(5)
    local_hour = ((idx.hour - 5) % 24).to_numpy()
    doy = idx.dayofyear.to_numpy()
    temp = 10 + 12 * np.sin(2 * np.pi * (doy - 110) / 365) + 5 * np.sin(2 * np.pi * (local_hour - 9) / 24)
    temp = temp + rng.normal(0, 1.0, len(idx))
    weekday = np.asarray((idx - pd.Timedelta(hours=5)).dayofweek < 5, dtype=float)
    profile = 1000 + 250 * ((local_hour >= 6) & (local_hour < 22)) + 120 * weekday
    load = profile * (1 + 0.02 * cdh24(temp)) + rng.normal(0, 10, len(idx))
    o, h, tz = 24 * (365 + 200), 72, "Etc/GMT+5"
    train = design(load, temp, idx, np.arange(24 * 10, o - 24 * 3, 24), h, tz)
    lead = np.arange(WEATHER_LOOKBACK_H + h) >= WEATHER_LOOKBACK_H

    def weather(delta: float) -> np.ndarray:
        return temp[o - WEATHER_LOOKBACK_H : o + h] + np.where(lead, delta, 0.0)

    rows = {d: design(load, temp, idx, np.array([o]), h, tz, {o: weather(d)}) for d in (0.0, 6.0, 8.0)}
    model = GradientBoosted(n_estimators=150, heat_quantile=0.98).fit(train)
    trees = GradientBoosted(n_estimators=150).fit(train)
    edge = model._heat[0][rows[6.0]["hour"].to_numpy()]
    assert (rows[6.0]["cdh_ma24"].to_numpy()[24:] > edge[24:] + 2).all()  # days 2-3: well beyond the data
    rise = (cdh24(weather(8.0)) - cdh24(weather(6.0)))[WEATHER_LOOKBACK_H:]
    truth = (0.02 * profile[o : o + h] * rise)[24:]
    step = (model.predict(rows[8.0]) - model.predict(rows[6.0]))[24:]
    flat = (trees.predict(rows[8.0]) - trees.predict(rows[6.0]))[24:]
    assert 0.8 < step.sum() / truth.sum() < 1.5, step.sum() / truth.sum()
    assert abs(flat.sum()) < 0.2 * truth.sum()
    below = rows[0.0]["cdh_ma24"].to_numpy() <= model._heat[0][rows[0.0]["hour"].to_numpy()]
    assert below.sum() > 24
    assert_allclose(model.predict(rows[0.0])[below], trees.predict(rows[0.0])[below], rtol=0, atol=0)
    model._heat[0, 3] = np.inf  # an hour the training data never had: written as null, read back
    again = GradientBoosted.from_dict(json.loads(json.dumps(model.to_dict(), allow_nan=False)))
    assert_allclose(again.predict(rows[8.0]), model.predict(rows[8.0]), rtol=1e-9)
    assert again.describe()["heat_quantile"] == 0.98 and model.without_weather()._heat is None
    with pytest.raises(InputError, match="heat_quantile"):
        GradientBoosted(n_estimators=5, heat_quantile=1.5).fit(train)


def test_week_clusters_widen_the_band_of_errors_tied_within_a_week() -> None:
    """Errors whose level is shared by a week of origins: counting a week as one cluster lowers the
    effective number of errors, so the finite-sample levels reach further out; day clusters see 24 errors
    per origin as far more independent draws. An origin count that is no multiple of 7 is padded."""
    rng = np.random.default_rng(0)
    weekly = np.repeat(rng.normal(0, 0.03, 9), 7)[:60]  # 60 origins, a level per week
    errors = weekly[:, None] + rng.normal(0, 0.01, (60, 48))
    day = lead_bucket_quantiles(errors, (0.1, 0.9), 24, cluster_origins=1)
    week = lead_bucket_quantiles(errors, (0.1, 0.9), 24, cluster_origins=7)
    assert week.shape == day.shape == (48, 2)
    assert (week[:, 0] < day[:, 0]).all() and (week[:, 1] > day[:, 1]).all()
    plain = lead_bucket_quantiles(errors, (0.1, 0.9), 24, finite_sample=False)
    assert_allclose(plain, lead_bucket_quantiles(errors, (0.1, 0.9), 24, False, cluster_origins=7))
