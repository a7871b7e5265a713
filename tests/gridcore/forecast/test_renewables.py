"""Renewable forecasts: readers, solar and wind forecasters, backtests, the grid forecast and its store."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast.renewables import (
    backtest_renewables,
    climatology_forecast,
    conformal_interval,
    detect_kind,
    forecast_grid_renewables,
    forecast_summary,
    persistence_forecast,
    renewable_actuals,
    renewable_forecaster,
    summarise_renewables,
    technology,
)
from gridcore.forecast.renewables_store import read_solar, read_wind
from gridcore.forecast.solar import SolarData, SolarForecaster, clear_sky, infer_location
from gridcore.forecast.store import (
    read_renewable_forecast,
    write_renewable_backtest,
    write_renewable_forecast,
)
from gridcore.forecast.wind import WindForecaster

DATA = Path(__file__).parents[2] / "data" / "renewables"
SOLAR = DATA / "gefcom2014_solar_slice.csv.gz"
WIND = DATA / "gefcom2012_wind_slice.csv.gz"
FAST = {"n_estimators": 80}


@pytest.fixture(scope="module")
def solar() -> SolarData:
    return read_solar(SOLAR)


@pytest.fixture(scope="module")
def solar_bt(solar: SolarData):
    f = SolarForecaster(solar, train_days=60, params=FAST)
    return f, backtest_renewables(f, horizon=24, test_days=10, calibration_days=14)


@pytest.fixture(scope="module")
def wind():
    return read_wind(WIND)


@pytest.fixture(scope="module")
def wind_bt(wind):
    f = WindForecaster(wind, train_days=60, params=FAST)
    return f, backtest_renewables(f, horizon=48, test_days=10, calibration_days=14)


# -- readers ---------------------------------------------------------------------------------------


def test_read_solar_hourly_amounts(solar: SolarData) -> None:
    assert solar.series == ["1", "2"]
    assert solar.power.index.freq == "h" and str(solar.power.index.tz) == "UTC"
    raw = pd.read_csv(SOLAR, parse_dates=["timestamp"])
    one = raw[raw["site"] == 1].set_index("timestamp")
    w = solar.weather["1"]
    t0 = pd.Timestamp("2013-03-02T00:00Z")
    # the 00:00Z row holds one hour; the next row is the difference of the accumulations
    assert w.at[t0, "ssrd_w_m2"] == pytest.approx(one.at[t0, "ssrd_j_m2_acc"] / 3600)
    t1 = t0 + pd.Timedelta(hours=1)
    diff = one.at[t1, "ssrd_j_m2_acc"] - one.at[t0, "ssrd_j_m2_acc"]
    assert w.at[t1, "ssrd_w_m2"] == pytest.approx(diff / 3600)
    assert w.at[t1, "tp_mm"] == pytest.approx(1000 * (one.at[t1, "tp_m_acc"] - one.at[t0, "tp_m_acc"]))
    assert np.allclose(w["ws10_m_s"], np.hypot(w["u10_m_s"], w["v10_m_s"]))


def test_read_wind_keeps_every_issue(wind) -> None:
    assert wind.series == ["1", "2"]
    fc = wind.forecasts
    assert fc["issue_time"].dt.hour.isin([0, 12]).all()
    assert (
        fc["issue_time"] + pd.to_timedelta(fc["age_h"], unit="h") == fc["target"] + pd.Timedelta("1h")
    ).all()
    assert fc.groupby(["farm", "target"]).size().max() == 4
    assert wind.heights == [""] and "ws" in wind.features and "ws_next" in wind.features
    assert np.allclose(fc["ws"], np.hypot(fc["u"], fc["v"]))


def _edit(path: Path, fn) -> io.StringIO:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return io.StringIO(fn(df).to_csv(index=False))


@pytest.mark.parametrize(
    ("reader", "path", "edit", "message"),
    [
        (read_solar, SOLAR, lambda d: d.drop(columns="power"), "missing column power"),
        (read_solar, SOLAR, lambda d: d.drop(columns="ssrd_j_m2_acc"), "missing column ssrd_j_m2_acc"),
        (
            read_solar,
            SOLAR,
            lambda d: d.assign(power=d["power"].where(d.index != 5, "x7")),
            "power is not a number at row 7",
        ),
        (read_solar, SOLAR, lambda d: d.assign(timestamp=d["timestamp"].str.rstrip("Z")), "no UTC offset"),
        (
            read_solar,
            SOLAR,
            lambda d: d.assign(timestamp=d["timestamp"].where(d.index != 3, "2013-13-45T00:00Z")),
            "row 5 is not an ISO 8601",
        ),
        (
            read_solar,
            SOLAR,
            lambda d: d.assign(timestamp=d["timestamp"].where(d.index != 3, "")),
            "timestamp is empty at row 5",
        ),
        (
            read_solar,
            SOLAR,
            lambda d: d.assign(site=d["site"].where(d.index != 2, "")),
            "site is empty at row 4",
        ),
        (read_solar, SOLAR, lambda d: pd.concat([d.iloc[:3], d.iloc[[1]]]), "duplicated row 5"),
        (read_wind, WIND, lambda d: d.drop(columns=["u", "v"]), "missing column u and v"),
        (read_wind, WIND, lambda d: d.drop(columns="issue_time"), "missing column issue_time"),
        (
            read_wind,
            WIND,
            lambda d: d.assign(horizon_h=d["horizon_h"].where(d.index != 4, "7")),
            "horizon_h at row 6",
        ),
        (
            read_wind,
            WIND,
            lambda d: d.assign(horizon_h=d["horizon_h"].where(d.index != 4, "")),
            "horizon_h is empty at row 6",
        ),
        (read_wind, WIND, lambda d: pd.concat([d.iloc[:5], d.iloc[[2]]]), "duplicated row 7"),
        (read_wind, WIND, lambda d: d.iloc[:0], "no rows"),
    ],
)
def test_bad_files_name_the_column_and_row(reader, path, edit, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reader(_edit(path, edit))


def test_unreadable_files_and_kind_detection(tmp_path: Path) -> None:
    assert detect_kind(SOLAR) == "solar" and detect_kind(WIND) == "wind"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for fn in (read_solar, read_wind, detect_kind):
        with pytest.raises(ValueError, match="not a readable CSV"):
            fn(empty)
    other = tmp_path / "load.csv"
    other.write_text("timestamp,load_mw\n2016-01-01T00:00Z,1\n")
    with pytest.raises(ValueError, match="neither solar"):
        detect_kind(other)
    with pytest.raises(ValueError, match="kind must be solar or wind"):
        renewable_forecaster(other, "hydro")
    with pytest.raises(ValueError, match="solar files only"):
        renewable_forecaster(WIND, location=(50.0, 10.0))


def test_renewable_forecaster_wraps_a_file_in_its_forecaster() -> None:
    solar = renewable_forecaster(SOLAR, location=(-35.0, 149.0), train_days=30)
    assert isinstance(solar, SolarForecaster) and solar.train_days == 30
    assert solar.locations == {site: (-35.0, 149.0) for site in solar.series}
    wind = renewable_forecaster(WIND, max_rows=1000)
    assert isinstance(wind, WindForecaster) and wind.max_rows == 1000


# -- solar -----------------------------------------------------------------------------------------


def test_location_is_inferred_in_eastern_australia(solar: SolarData) -> None:
    lat, lon = infer_location(solar.power["1"])
    assert -35 < lat < -10 and 135 < lon < 165
    with pytest.raises(ValueError, match="too few daylight hours"):
        infer_location(solar.power["1"].iloc[:48])


def test_night_is_exactly_zero(solar_bt) -> None:
    f, bt = solar_bt
    fc = bt.forecasts
    for site, (lat, lon) in f.locations.items():
        part = fc[fc["series"] == site]
        sky = clear_sky(pd.DatetimeIndex(part["target"]), lat, lon)
        night = ~sky["daylight"].to_numpy()
        assert night.sum() > 100
        assert (part.loc[night, "forecast"] == 0).all()
        qcols = [c for c in fc.columns if c.startswith("q")]
        assert (part.loc[night, qcols].to_numpy() == 0).all()
        assert part.loc[night, "actual"].mean() < 0.01  # the location puts the night where the data have it
    assert fc["forecast"].between(0, 1).all()


def test_solar_skill_and_calibrated_coverage(solar_bt) -> None:
    _, bt = solar_bt
    s = bt.summary
    assert s["kind"] == "solar" and s["n_origins"] == 10 and s["horizon_h"] == 24
    assert s["skill_vs_persistence_pct"] > 0 and s["skill_vs_climatology_pct"] > 0
    assert s["nmae_pct"] < s["baselines"]["persistence"]["nmae_pct"]
    assert 65 <= s["coverage_80_pct"] <= 95
    assert s["model"]["location_source"].startswith("inferred")


def test_partly_cloudy_day_has_the_right_shape(solar_bt) -> None:
    f, bt = solar_bt
    fc = bt.forecasts[bt.forecasts["series"] == "1"].set_index("target")
    day = fc.index.floor("D")
    # the day whose actual energy is closest to half of the best day's: clouds for part of the day
    energy = fc["actual"].groupby(day).sum()
    pick = (energy / energy.max() - 0.5).abs().idxmin()
    one = fc[day == pick]
    assert one["actual"].std() > 0.05
    r = np.corrcoef(one["forecast"], one["actual"])[0, 1]
    assert r > 0.8
    assert one["forecast"].sum() == pytest.approx(one["actual"].sum(), rel=0.35)
    sunny = fc[day == energy.idxmax()]
    assert one["forecast"].sum() < 0.85 * sunny["forecast"].sum()  # the clouds show in the forecast


def test_solar_reads_nothing_after_the_origin(solar: SolarData) -> None:
    origin = pd.Timestamp("2013-05-10T00:00Z")
    where = {"1": (-22.0, 157.0), "2": (-22.0, 142.0)}
    a = SolarForecaster(solar, where, train_days=40, params=FAST).fit(origin)
    point, scale = a.predict(origin, 48)
    later = solar.power.index >= origin
    day2 = solar.power.index >= origin + pd.Timedelta(days=1)
    changed = SolarData(
        solar.power.mask(np.broadcast_to(later[:, None], solar.power.shape), 0.5),
        {
            s: w.mask(np.broadcast_to(day2[:, None], w.shape), 1.0) for s, w in solar.weather.items()
        },  # the next day's run
    )
    b = SolarForecaster(changed, where, train_days=40, params=FAST).fit(origin)
    point2, scale2 = b.predict(origin, 48)
    np.testing.assert_array_equal(point, point2)
    np.testing.assert_array_equal(scale, scale2)
    assert b.describe()["location_source"] == "given"
    with pytest.raises(ValueError, match="past the end"):
        b.predict(solar.power.index[-10], 24)
    with pytest.raises(RuntimeError, match="before fit"):
        SolarForecaster(solar, where).predict(origin, 24)
    with pytest.raises(ValueError, match="fewer than 48"):
        SolarForecaster(solar, where).fit(solar.power.index[30])


# -- wind ------------------------------------------------------------------------------------------


def test_wind_skill_and_coverage(wind_bt) -> None:
    _, bt = wind_bt
    s = bt.summary
    assert s["kind"] == "wind" and s["horizon_h"] == 48 and s["persistence_rule"] == "last"
    assert s["skill_vs_persistence_pct"] > 0
    assert s["nmae_pct"] < s["baselines"]["climatology"]["nmae_pct"]
    assert 65 <= s["coverage_80_pct"] <= 95
    assert {"lead_h", "nmae_pct", "persistence_nmae_pct", "coverage_80_pct"} <= set(s["per_lead"][0])


def test_wind_uses_only_forecasts_issued_before_the_origin(wind) -> None:
    origin = pd.Timestamp("2010-03-10T00:00Z")
    a = WindForecaster(wind, train_days=40, params=FAST).fit(origin)
    point, _ = a.predict(origin, 48)
    fc = wind.forecasts.copy()
    after = fc["issue_time"] > origin
    fc.loc[after, wind.features] = 99.0  # forecasts issued after the origin
    power = wind.power.mask(
        np.broadcast_to((wind.power.index >= origin)[:, None], wind.power.shape), 0.0
    )  # and the power from the origin on
    changed = dataclasses.replace(wind, power=power, forecasts=fc)
    b = WindForecaster(changed, train_days=40, params=FAST).fit(origin)
    np.testing.assert_array_equal(point, b.predict(origin, 48)[0])
    # an origin with no issued forecast still gets a forecast (recent power, calendar)
    bare = dataclasses.replace(
        wind, forecasts=wind.forecasts[wind.forecasts["issue_time"] < pd.Timestamp("2010-01-20T00:00Z")]
    )
    c = WindForecaster(bare, train_days=40, params=FAST).fit(pd.Timestamp("2010-01-20T00:00Z"))
    assert np.isfinite(c.predict(origin, 24)[0]).all()
    with pytest.raises(RuntimeError, match="before fit"):
        WindForecaster(wind).predict(origin, 24)
    with pytest.raises(ValueError, match="fewer than 100"):
        WindForecaster(wind).fit(wind.power.index[5])


def test_backtest_rejects_bad_horizons_and_short_data(wind) -> None:
    f = WindForecaster(wind, params=FAST)
    with pytest.raises(ValueError, match="horizon must be 1..168"):
        backtest_renewables(f, horizon=0)
    short = dataclasses.replace(wind, power=wind.power.iloc[:200])
    with pytest.raises(ValueError, match="no hour with power"):
        backtest_renewables(WindForecaster(short), horizon=24)


def test_backtest_until_and_progress(solar: SolarData) -> None:
    labels: list[str] = []
    f = SolarForecaster(solar, {"1": (-22.0, 157.0), "2": (-22.0, 142.0)}, train_days=30, params=FAST)
    bt = backtest_renewables(
        f,
        horizon=6,
        test_days=2,
        calibration_days=3,
        until=pd.Timestamp("2013-04-20T00:00Z"),
        progress=labels.append,
    )
    assert bt.summary["test_start"] == "2013-04-19T00:00Z" and len(labels) == 5
    with pytest.raises(ValueError, match="no origin has a full horizon"):
        backtest_renewables(f, horizon=6, test_days=2, until=pd.Timestamp("2013-03-05T00:00Z"))


# -- baselines and intervals -----------------------------------------------------------------------


def test_baselines_by_hand() -> None:
    idx = pd.date_range("2013-01-01", periods=24 * 40, freq="h", tz="UTC")
    p = np.stack([idx.hour.to_numpy() / 23.0, np.full(len(idx), 0.3)], axis=1)
    o = 24 * 35
    last = persistence_forecast(p, o, 30, "last")
    assert (last[0] == p[o - 1, 0]).all() and (last[1] == 0.3).all()
    diurnal = persistence_forecast(p, o, 30, "diurnal")
    np.testing.assert_allclose(diurnal[0], idx.hour.to_numpy()[o : o + 30] / 23.0)
    clim = climatology_forecast(p, idx, o, 30)
    np.testing.assert_allclose(clim[0], idx.hour.to_numpy()[o : o + 30] / 23.0)
    # a month with fewer than 3 values per hour falls back to the hour-of-day mean
    clim2 = climatology_forecast(p, idx, 24 * 31 + 1, 30)
    np.testing.assert_allclose(clim2[1], 0.3)


def test_conformal_interval_is_zero_without_scale() -> None:
    point = np.array([[0.0, 0.5, 0.9]])
    scale = np.array([[0.0, 1.0, 1.0]])
    rel = np.array([[-0.2, 0.2]] * 3)
    q = conformal_interval(point, scale, rel, 1.0)
    np.testing.assert_allclose(q[0], [[0.0, 0.0], [0.3, 0.7], [0.7, 1.0]])


# -- the default grid ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid():
    from gridcore.network.grid import load_grid

    return load_grid()


@pytest.fixture(scope="module")
def grid_fc(grid):
    return forecast_grid_renewables(
        grid, pd.Timestamp("2016-07-01T00:00Z"), horizon_h=24, history_days=30, params=FAST
    )


def test_grid_forecast_series_sum_and_night(grid, grid_fc) -> None:
    ds = grid_fc
    assert set(ds["kind"].values) == {"system", "type", "sgen"}
    assert int((ds["kind"] == "sgen").sum()) == len(grid.sgen)
    p = ds["point_mw"].isel(issue_time=0)
    sgens = p.sel(series=ds["series"].values[ds["kind"].values == "sgen"])
    np.testing.assert_allclose(p.sel(series="system"), sgens.sum("series"), rtol=1e-5, atol=1e-5)
    pv = p.sel(series="type:PV_MV").to_numpy()
    sky = clear_sky(
        pd.DatetimeIndex(ds["target_time"].values[0]).tz_localize("UTC"), *ds.attrs["location_lat_lon_deg"]
    )
    assert (pv[~sky["daylight"].to_numpy()] == 0).all() and pv.max() > 0
    q = ds["quantile_mw"].isel(issue_time=0).to_numpy()
    assert (np.diff(q, axis=-1) >= -1e-6).all()
    assert (q >= 0).all() and (q <= ds["p_installed_mw"].to_numpy()[:, None, None] + 1e-4).all()
    assert (
        technology("Wind_MV") == "wind" and technology("Hydro_MV") == "other" and technology("lv_RES") == "pv"
    )


def test_grid_forecast_reads_nothing_after_the_issue_time(grid, grid_fc) -> None:
    issue = pd.Timestamp("2016-07-01T00:00Z")
    p = grid.sgen_p_mw.copy()
    quarters = pd.date_range(issue, issue + pd.Timedelta(days=2), freq="15min")
    p[grid.profile_index(quarters)] = 0.0
    again = forecast_grid_renewables(
        dataclasses.replace(grid, sgen_p_mw=p), issue, horizon_h=24, history_days=30, params=FAST
    )
    np.testing.assert_array_equal(grid_fc["point_mw"].values, again["point_mw"].values)
    np.testing.assert_array_equal(grid_fc["quantile_mw"].values, again["quantile_mw"].values)


def test_grid_forecast_store_round_trip_and_summary(grid_fc, tmp_path: Path) -> None:
    path = write_renewable_forecast(str(tmp_path), grid_fc)
    assert path.endswith("renewable_forecast/20160701T0000Z.zarr")
    back = read_renewable_forecast(str(tmp_path), pd.Timestamp("2016-07-01T00:00Z"))
    np.testing.assert_array_equal(back["point_mw"].values, grid_fc["point_mw"].values)
    assert read_renewable_forecast(str(tmp_path))["series"].size == grid_fc["series"].size
    with pytest.raises(FileNotFoundError, match="no renewable forecast"):
        read_renewable_forecast(str(tmp_path), pd.Timestamp("2016-07-02T00:00Z"))
    s = forecast_summary(grid_fc).to_dict()
    assert s["issue_time"] == "2016-07-01T00:00Z" and set(s["types"]) == {
        "PV_MV",
        "Wind_MV",
        "lv_RES",
        "Biomass_MV",
        "Hydro_MV",
    }
    assert s["system"]["p10_at_peak_mw"] <= s["system"]["peak_mw"] <= s["system"]["p90_at_peak_mw"] + 1e-6
    # the system's energy is the sum of its types' (every generator belongs to one type) [MWh]
    types_mwh = sum(t["energy_mwh"] for t in s["types"].values())
    assert s["system"]["energy_mwh"] == pytest.approx(types_mwh, abs=0.01)
    point = grid_fc["point_mw"].sel(series="system").values[0]
    assert s["system"]["peak_mw"] == pytest.approx(float(point.max()), abs=1e-4)
    json.dumps(s)  # plain data


def test_grid_forecast_bad_input(grid) -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        forecast_grid_renewables(grid, pd.Timestamp("2016-07-01T00:00"))
    with pytest.raises(ValueError, match="horizon must be"):
        forecast_grid_renewables(grid, pd.Timestamp("2016-07-01T00:00Z"), horizon_h=200)
    empty = dataclasses.replace(grid, sgen=grid.sgen.iloc[:0])
    with pytest.raises(ValueError, match="no static generators"):
        forecast_grid_renewables(empty, pd.Timestamp("2016-07-01T00:00Z"))


def test_actuals_are_hourly_means_of_the_profiles(grid) -> None:
    a = renewable_actuals(grid, pd.Timestamp("2016-07-01T10:20Z"), pd.Timestamp("2016-07-01T13:00Z"))
    assert list(a.index.hour) == [10, 11, 12] and a.shape[1] == len(grid.sgen)
    rows = grid.profile_index(pd.date_range("2016-07-01T11:00Z", periods=4, freq="15min"))
    np.testing.assert_allclose(a.iloc[1].to_numpy(), grid.sgen_p_mw[rows].mean(axis=0))
    with pytest.raises(ValueError, match="not after"):
        renewable_actuals(grid, pd.Timestamp("2016-07-01T10:00Z"), pd.Timestamp("2016-07-01T10:00Z"))


def test_backtest_store_writer(wind, wind_bt, tmp_path: Path) -> None:
    _, bt = wind_bt
    path = write_renewable_backtest(str(tmp_path), bt.forecasts, bt.summary, "slice")
    import xarray as xr

    ds = xr.open_zarr(path, consolidated=True).load()
    assert ds["forecast"].shape == (10, 2, 48) and "q0.9" in ds
    assert list(ds["series"].values) == wind.series
    # each cell sits at its (origin, farm, lead): the actual is the file's power at origin + lead - 1 h
    hours = ds["origin"].values[:, None] + (ds["lead"].values - 1).astype("timedelta64[h]")
    target = pd.DatetimeIndex(hours.ravel()).tz_localize("UTC")
    for k, farm in enumerate(wind.series):
        expected = wind.power[farm].reindex(target).to_numpy().reshape(10, 48)
        np.testing.assert_allclose(ds["actual"].values[:, k], expected)
    # the stored figures are those of the stored forecasts (capacity 1), recomputed here in plain numpy
    stored = json.loads(ds.attrs["summary"])
    a, f = ds["actual"].values, ds["forecast"].values
    pers, clim = ds["persistence"].values, ds["climatology"].values
    ok = np.isfinite(a) & np.isfinite(f) & np.isfinite(pers) & np.isfinite(clim)
    assert stored["n_scored"] == ok.sum() > 0.9 * a.size
    nmae = 100 * np.abs(f - a)[ok].mean()
    assert stored["nmae_pct"] == pytest.approx(nmae, abs=1e-3)
    assert stored["nrmse_pct"] == pytest.approx(100 * np.sqrt(((f - a)[ok] ** 2).mean()), abs=1e-3)
    p_nmae = 100 * np.abs(pers - a)[ok].mean()
    assert stored["baselines"]["persistence"]["nmae_pct"] == pytest.approx(p_nmae, abs=1e-3)
    c_nmae = 100 * np.abs(clim - a)[ok].mean()
    assert stored["baselines"]["climatology"]["nmae_pct"] == pytest.approx(c_nmae, abs=1e-3)
    assert stored["skill_vs_persistence_pct"] == pytest.approx(100 * (1 - nmae / p_nmae), abs=0.01)
    inside = (a >= ds["q0.1"].values) & (a <= ds["q0.9"].values)
    assert stored["coverage_80_pct"] == pytest.approx(100 * inside[ok].mean(), abs=0.01)


def test_summarise_renewables_scores_a_hand_worked_frame() -> None:
    # capacity 2: errors 0.2 and 0 on actuals of 1 -> nMAE 5 % of capacity; persistence off by 0.4 everywhere
    t = pd.date_range("2016-07-01", periods=2, freq="1h", tz="UTC")
    f = pd.DataFrame(
        {
            "origin": t[[0, 0]],
            "series": "a",
            "target": t,
            "lead": [1, 2],
            "actual": [1.0, 1.0],
            "forecast": [1.2, 1.0],
            "persistence": [1.4, 0.6],
            "climatology": [1.2, 0.8],
            "q0.05": 0.5,
            "q0.1": [0.9, 1.1],  # the second actual below its 80 % band
            "q0.5": 1.0,
            "q0.9": 1.3,
            "q0.95": 1.5,
        }
    )
    s = summarise_renewables(f, capacity=2.0, levels=(0.05, 0.1, 0.5, 0.9, 0.95))
    assert s.nmae_pct == 5.0 and s.coverage_80_pct == 50.0 and s.coverage_90_pct == 100.0
    assert s.baselines["persistence"].nmae_pct == 20.0 and s.baselines["climatology"].nmae_pct == 10.0
    assert s.skill_vs_persistence_pct == 75.0 and s.skill_vs_climatology_pct == 50.0  # 1 - 5 / 20, 1 - 5 / 10
    d = s.to_dict()
    assert d["baselines"]["persistence"] == {"nmae_pct": 20.0, "nrmse_pct": 20.0}
    assert d["per_lead"] == [
        {"lead_h": 1, "nmae_pct": 10.0, "persistence_nmae_pct": 20.0, "coverage_80_pct": 100.0},
        {"lead_h": 2, "nmae_pct": 0.0, "persistence_nmae_pct": 20.0, "coverage_80_pct": 0.0},
    ]
    assert json.loads(json.dumps(d)) == d
