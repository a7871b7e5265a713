"""Grid demand forecasts: series from the topology, history checks, group forecasts, store, registry,
retraining."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast.champion import mape_pct
from gridcore.forecast.demand import (
    DEMAND_QUANTILES,
    SYSTEM,
    TopDown,
    _blocks,
    _cross_conformal_sets,
    calibration_origins,
    clean_history,
    demand_history,
    demand_inputs,
    fit_rows,
    forecast_group,
    grid_series,
    history_issues,
    registry_metrics,
)
from gridcore.forecast.demand_scores import screened_mstl as _screened_mstl
from gridcore.forecast.models import GradientBoosted
from gridcore.forecast.registry import ModelRegistry, slug
from gridcore.forecast.retrain import RetrainPolicy, evaluate, fit_model, retrain_group
from gridcore.forecast.store import read_demand_forecast, write_demand_forecast
from gridcore.forecast.weather import NoWeather, ObservedWeather
from gridcore.network.feeders import derive_feeders
from gridcore.system import default_system

TZ = "Etc/GMT+5"


def group_history(
    days: int = 200, seed: int = 0, shift_day: int | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Two series with daily and weekly cycles and a temperature response; optional level shift of
    series ``b`` by +40 % from ``shift_day``."""
    idx = pd.date_range("2015-01-01", periods=24 * days, freq="1h", tz="UTC")
    rng = np.random.default_rng(seed)
    hour = (idx.hour - 5) % 24
    doy = idx.dayofyear.to_numpy()
    # weather that varies from week to week but has no season, so a level shift is the only change
    temp = 6 + 4 * np.sin(2 * np.pi * doy / 23) + 4 * np.sin(2 * np.pi * (hour - 9) / 24)
    weekday = ((idx - pd.Timedelta(hours=5)).dayofweek < 5).astype(float)
    shape = 1 + 0.35 * ((hour >= 7) & (hour < 21)) + 0.15 * weekday + 0.01 * np.maximum(12 - temp, 0)
    a = 2.0 * shape * (1 + rng.normal(0, 0.01, len(idx)))
    b = 0.5 * (1 + 0.2 * np.sin(2 * np.pi * hour / 24)) * shape * (1 + rng.normal(0, 0.01, len(idx)))
    if shift_day is not None:
        b = np.where(np.arange(len(idx)) >= 24 * shift_day, 1.4 * b, b)
    hist = pd.DataFrame({"feeder:a": a, "load:b": b}, index=idx)
    return hist, pd.Series(temp, index=idx)


def test_series_follow_the_topology() -> None:
    system = default_system(1000)
    cat = grid_series(system.grid, system.feeders)
    loads = cat[cat["kind"] == "load"]
    assert cat.loc[SYSTEM, "kind"] == "system"
    assert len(loads) == len(system.grid.load)
    assert set(cat.loc[cat["kind"] == "feeder", "feeder"]) == set(system.feeders.feeders)
    # each load point belongs to its bus's feeder; the group is the feeder
    bus_feeder = system.feeders.bus_feeder
    assert (loads["feeder"] == loads["bus"].map(bus_feeder)).all()
    assert (loads["group"] == loads["feeder"]).all()
    # opening a feeder's head line moves its loads out of that feeder without any code change
    grid = system.grid
    feeder = system.feeders.feeders[1]
    head = system.feeders.head_line[feeder]
    lines = grid.line.copy()
    lines.loc[head, "in_service"] = False
    opened = dataclasses.replace(grid, line=lines)
    moved = grid_series(opened, derive_feeders(opened))
    assert (moved.loc[loads.index, "feeder"] == feeder).sum() < (loads["feeder"] == feeder).sum()
    # the feeder totals add up to the system total
    start = pd.Timestamp("2016-03-01T00:00Z")
    hist = demand_history(grid, cat, start, start + pd.Timedelta(days=2))
    feeders = hist[[c for c in hist.columns if c.startswith("feeder:")]].sum(axis=1)
    unfed = hist[loads.index[loads["feeder"] == ""]].sum(axis=1)
    assert np.allclose(feeders + unfed, hist[SYSTEM], rtol=1e-9)
    assert np.allclose(hist[loads.index].sum(axis=1), hist[SYSTEM], rtol=1e-9)
    assert hist.index.tz is not None and len(hist) == 48


def test_history_issues_flag_gaps_spikes_negatives() -> None:
    hist, _ = group_history(40)
    bad = hist.copy()
    t_gap, t_spike, t_neg = bad.index[100], bad.index[300], bad.index[500]
    bad.loc[t_gap, "feeder:a"] = np.nan
    bad.loc[t_spike, "load:b"] *= 6
    bad.loc[t_neg, "feeder:a"] = -1.0
    issues = history_issues(bad)
    found = {(r.series, r.time, r.issue) for r in issues.itertuples()}
    assert ("feeder:a", t_gap, "gap") in found
    assert ("load:b", t_spike, "spike") in found
    assert ("feeder:a", t_neg, "negative") in found
    assert len(history_issues(hist)) == 0  # clean data: nothing flagged
    cleaned = clean_history(bad, issues)
    assert np.isnan(cleaned.loc[t_spike, "load:b"]) and np.isnan(cleaned.loc[t_neg, "feeder:a"])
    assert cleaned.notna().sum().sum() == bad.notna().sum().sum() - 2  # only flagged hours removed


def test_group_forecast_quantiles_and_no_look_ahead() -> None:
    hist, temp = group_history(160)
    issue = hist.index[24 * 150]
    weather = ObservedWeather()
    f = forecast_group("g", hist, temp, issue, horizon=48, tz=TZ, weather=weather, train_days=100)
    assert f.point.shape == (2, 48) and f.quantiles.shape == (2, 48, len(DEMAND_QUANTILES))
    assert np.isfinite(f.point).all() and np.isfinite(f.quantiles).all()
    assert (np.diff(f.quantiles, axis=2) >= 0).all()
    assert f.train_end < issue - pd.Timedelta(days=28)  # calibration origins are out-of-sample
    sc = f.scores
    assert (sc["mape_pct"] < sc["naive_mape_pct"]).all() and (sc["mape_pct"] < 3).all()
    assert sc["coverage_80_pct"].between(55, 99).all()
    actual = hist.loc[issue : issue + pd.Timedelta(hours=47)].to_numpy().T
    assert np.mean(np.abs(actual / f.point - 1)) < 0.05
    # the future does not leak: changing load after the issue time changes nothing
    changed = hist.copy()
    changed.iloc[24 * 150 :] *= 3
    g = forecast_group("g", changed, temp, issue, horizon=48, tz=TZ, weather=weather, train_days=100)
    assert np.array_equal(f.point, g.point)
    # a given model is calibrated on its out-of-sample origins only, else refitted
    given = forecast_group(
        "g",
        hist,
        temp,
        issue,
        48,
        TZ,
        weather,
        model=f.model,
        train_end=f.train_end,
        train_start=f.train_start,
    )
    assert not given.fitted and given.info["calibration_origins"] >= 7
    late = forecast_group(
        "g", hist, temp, issue, 48, TZ, weather, model=f.model, train_end=issue - pd.Timedelta(days=3)
    )
    assert late.fitted and "refitted" in late.info["note"]
    # the registry records the model's own error and every candidate's beside it
    m = registry_metrics(f)
    own = next(c for c in f.choice.overall if c.name == "lightgbm")
    assert m["mape_pct"] == own.day_ahead_mape_pct and m["champion"] == f.choice.champion
    assert {c["name"] for c in m["candidates"]} == {"lightgbm", "seasonal_naive_7d", "mean_4w", "mstl"}
    if set(f.series_champions) == {"lightgbm"}:
        assert m["mape_pct"] == pytest.approx(sc["day_ahead_mape_pct"].mean(), abs=1e-3)
    with pytest.raises(ValueError, match="horizon"):
        forecast_group("g", hist, temp, issue, horizon=200, tz=TZ)


def test_calibration_origins_end_by_the_issue() -> None:
    o = calibration_origins(1000, 168, 28)
    assert len(o) == 28 and (o + 168 <= 1000).all() and (np.diff(o) == 24).all()


def test_demand_forecast_store_roundtrip(tmp_path) -> None:
    system = default_system(1000)
    inputs = demand_inputs(system, pd.Timestamp("2016-05-02T00:00Z"), horizon=24, days=120)
    assert set(inputs.groups) == set(inputs.catalog["group"]) and inputs.groups[0] == SYSTEM
    results = [
        forecast_group(  # a small model: the store is tested here, not the model
            g,
            inputs.group(g),
            inputs.temperature,
            inputs.issue_time,
            24,
            train_days=60,
            params={"n_estimators": 60},
        )
        for g in inputs.groups[:2]
    ]
    path = write_demand_forecast(str(tmp_path), results, inputs.catalog, {"grid": system.grid.code})
    write_demand_forecast(str(tmp_path), results, inputs.catalog, {"grid": system.grid.code})  # rerun
    ds = read_demand_forecast(str(tmp_path))
    assert path.endswith("20160502T0000Z.zarr")
    n = sum(len(r.series) for r in results)
    assert ds.sizes == {"series": n, "issue_time": 1, "lead": 24, "quantile": len(DEMAND_QUANTILES)}
    assert pd.Timestamp(ds["target_time"].values[0, 0]) == pd.Timestamp("2016-05-02T00:00")
    assert np.allclose(ds["point_mw"].values[:, 0, :], np.concatenate([r.point for r in results]), rtol=1e-6)
    assert set(ds["kind"].values) <= {"system", "feeder", "load"}
    with pytest.raises(FileNotFoundError):
        read_demand_forecast(str(tmp_path), pd.Timestamp("2016-05-03T00:00Z"))


def test_registry_versions_status_and_roundtrip(tmp_path) -> None:
    hist, temp = group_history(120)
    reg = ModelRegistry(tmp_path)
    policy = RetrainPolicy(horizon=24, train_days=60)
    model, t0, t1 = fit_model(hist, temp, hist.index[24 * 100], policy, TZ)
    at = hist.index[24 * 110]
    first = reg.register("MV2 Line 1", model, ["a"], t0, t1, {"mape_pct": 1.0}, at, status="champion")
    second = reg.register("MV2 Line 1", model, ["a"], t0, t1, {"mape_pct": 0.9}, at)
    assert first["version"] == 1 and second["version"] == 2 and second["status"] == "challenger"
    assert reg.champion("MV2 Line 1")["version"] == 1
    reg.promote("MV2 Line 1", 2, "better", at)
    statuses = {v["version"]: v["status"] for v in reg.versions("MV2 Line 1")}
    assert statuses == {1: "retired", 2: "champion"}
    assert reg.versions()[0]["history"][-1]["reason"] == "replaced by v2"
    loaded = reg.load(reg.champion("MV2 Line 1"))
    rows_eval = evaluate(loaded, hist, temp, at, 5, 24, TZ, ObservedWeather())
    assert rows_eval == evaluate(model, hist, temp, at, 5, 24, TZ, ObservedWeather())
    assert rows_eval.n_origins == 5 and rows_eval.horizon_h == 24
    d = rows_eval.to_dict()
    first, last = at - pd.Timedelta(days=5), at - pd.Timedelta(hours=1)
    assert d["window"] == [f"{first:%Y-%m-%dT%H:%MZ}", f"{last:%Y-%m-%dT%H:%MZ}"]
    assert 0 < d["mape_pct"] < d["naive_mape_pct"]  # the fitted model beats the naive on this history
    assert slug("MV2 Line 1") == "MV2_Line_1"
    meta = json.loads((tmp_path / "models" / "MV2_Line_1" / "v0002" / "meta.json").read_text())
    assert meta["train_end"].endswith("Z") and meta["created"] == f"{at:%Y-%m-%dT%H:%MZ}"
    with pytest.raises(ValueError):
        reg.register("x", model, [], t0, t1, {}, at, status="gold")
    with pytest.raises(KeyError):
        reg.set_status("x", 9, "retired", "", at)
    with pytest.raises(RuntimeError):
        GradientBoosted().to_dict()


def test_level_shift_triggers_retraining_and_accuracy_recovers(tmp_path) -> None:
    shift = 150
    hist, temp = group_history(200, shift_day=shift)
    reg = ModelRegistry(tmp_path)
    policy = RetrainPolicy(horizon=24, train_days=90, eval_days=14, drift_days=7, max_age_days=1000)
    weather = ObservedWeather()

    def at(day: int) -> pd.Timestamp:
        return hist.index[24 * day]

    first = retrain_group("g", hist, temp, at(shift - 1), reg, policy, TZ, weather)
    assert first.action == "first_model"
    registered = reg.champion("g")["metrics"]["mape_pct"]
    calm = retrain_group("g", hist, temp, at(shift), reg, policy, TZ, weather)
    assert calm.action == "kept" and calm.reasons == ()
    base = {"group", "at", "policy", "action", "reasons"}  # the JSON's keys on each path, as before
    assert set(first.to_dict()) == base | {"champion", "champion_eval"}
    assert set(calm.to_dict()) == base | {"champion", "recent"}
    # a week after the shift the champion's recent error has drifted: retraining is triggered
    hit = retrain_group("g", hist, temp, at(shift + 6), reg, policy, TZ, weather)
    assert any("recent day-ahead MAPE" in r for r in hit.reasons), hit
    assert hit.action in {"promoted", "rejected"} and hit.recent.mape_pct > 1.3 * registered
    # five weeks on, a retrained model has seen the new level; the champion in force is back to its
    # pre-shift accuracy on the latest week
    later = retrain_group(
        "g",
        hist,
        temp,
        at(shift + 35),
        reg,
        RetrainPolicy(**{**policy.__dict__, "max_age_days": 7}),
        TZ,
        weather,
    )
    assert later.action in {"promoted", "rejected"} and "age" in later.reasons[0]
    champion = reg.load(reg.champion("g"))
    recovered = evaluate(champion, hist, temp, at(shift + 42), 7, 24, TZ, weather)
    assert recovered.mape_pct < 1.3 * registered
    assert recovered.mape_pct < hit.recent.mape_pct / 2
    decisions = sorted((tmp_path / "models" / "g" / "decisions").glob("*.json"))
    assert len(decisions) == 4
    assert json.loads(decisions[2].read_text()) == hit.to_dict()  # the decision as written to the registry
    retrained = {"champion", "recent", "challenger", "challenger_eval", "champion_eval"}
    assert set(hit.to_dict()) == base | retrained


def test_challenger_is_promoted_only_when_it_wins(tmp_path) -> None:
    hist, temp = group_history(160)
    reg = ModelRegistry(tmp_path)
    weather = ObservedWeather()
    policy = RetrainPolicy(horizon=24, train_days=90, eval_days=14, max_age_days=0)
    # a weak first model (2 trees) loses to the seasonal naive: registered, never crowned
    weak = retrain_group("g", hist, temp, hist.index[24 * 120], reg, policy, TZ, weather, {"n_estimators": 2})
    assert weak.action == "first_model_rejected" and reg.champion("g") is None
    assert weak.challenger == 1 and weak.champion is None and "champion" not in weak.to_dict()
    assert "not below the seasonal naive" in weak.reasons[1]
    fair = {"n_estimators": 100, "num_leaves": 3}
    first = retrain_group("g", hist, temp, hist.index[24 * 125], reg, policy, TZ, weather, fair)
    assert first.action == "first_model", first
    # a proper challenger replaces the weaker champion
    won = retrain_group("g", hist, temp, hist.index[24 * 130], reg, policy, TZ, weather)
    assert won.action == "promoted"
    assert won.challenger_eval.mape_pct < won.champion_eval.mape_pct
    # a weak challenger does not replace a good champion
    lost = retrain_group("g", hist, temp, hist.index[24 * 140], reg, policy, TZ, weather, {"n_estimators": 2})
    assert lost.action == "rejected"
    statuses = [v["status"] for v in reg.versions("g")]
    assert statuses == ["challenger", "retired", "champion", "retired"]


def noisy_group(days: int = 300, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """A feeder and two load points whose errors come in days: a shared AR(1) daily level (weather-like
    regimes lasting days), each series' own daily level, and hourly noise."""
    idx = pd.date_range("2015-01-01", periods=24 * days, freq="1h", tz="UTC")
    rng = np.random.default_rng(seed)
    hour = idx.hour.to_numpy()
    weekday = (idx.dayofweek < 5).astype(float)
    shape = 1 + 0.4 * np.sin(np.pi * np.clip(hour - 6, 0, 14) / 14) + 0.15 * weekday
    day = np.repeat(np.arange(days), 24)
    regime = np.zeros(days)
    for d in range(1, days):
        regime[d] = 0.7 * regime[d - 1] + rng.normal(0, 0.05)
    cols = {}
    for k, name in enumerate(["feeder:f", "load:a", "load:b"]):
        own = rng.normal(0, 0.03, days)
        cols[name] = (1 + k) * shape * (1 + regime[day] + own[day]) * (1 + rng.normal(0, 0.04, len(idx)))
    temp = pd.Series(10 + 5 * np.sin(2 * np.pi * hour / 24), index=idx)
    return pd.DataFrame(cols, index=idx), temp


def test_the_80_pct_band_covers_80_pct_reported_and_realized() -> None:
    """Errors clustered by day: the reported coverage (cross-conformal, before the issue) and the
    coverage realized after 24 issues, five days apart, both near 80 %.

    Measured 79.7-80.7 % reported at every issue and 80.8 % realized; the former estimate (half the 28
    origins calibrating the other half, per series) said 60-91 % on the same data. Two days after each of
    24 issues are few independent days (the daily level persists), so the realized band is wider.
    """
    hist, temp = noisy_group()
    reported, inside, total = [], 0, 0
    for k in range(24):
        issue = hist.index[24 * (150 + 5 * k)]
        f = forecast_group(
            "g",
            hist,
            temp,
            issue,
            horizon=48,
            tz="UTC",
            weather=ObservedWeather(),
            train_days=60,
            params={"n_estimators": 60},
        )
        assert f.info["calibration_origins"] == 56 and f.info["evaluation_origins"] == 59
        reported.append(f.scores["coverage_80_pct"].to_numpy())
        actual = hist.loc[issue : issue + pd.Timedelta(hours=47)].to_numpy().T
        lo, hi = DEMAND_QUANTILES.index(0.1), DEMAND_QUANTILES.index(0.9)
        inside += int(((actual >= f.quantiles[:, :, lo]) & (actual <= f.quantiles[:, :, hi])).sum())
        total += actual.size
    reported = np.array(reported)
    assert ((reported > 77) & (reported < 83)).all(), reported
    assert 74 <= 100 * inside / total <= 88


def test_cross_conformal_sets_share_no_target_hour_and_match_the_issue() -> None:
    chosen = _cross_conformal_sets(69, 7, 56)
    i, j = np.nonzero(chosen)
    assert (np.abs(i - j) >= 7).all()  # no origin is calibrated on one that shares a target hour with it
    assert (chosen.sum(axis=1) == 56).all()  # as many as the issue's interval rests on
    assert np.flatnonzero(chosen[34]).tolist() == list(range(28)) + list(range(41, 69))
    assert np.flatnonzero(chosen[0]).tolist() == list(range(7, 63))  # the nearest 56 of the 62 it may use
    day_ahead = _cross_conformal_sets(57, 1, 56)
    assert (day_ahead.sum(axis=1) == 56).all() and not day_ahead.diagonal().any()
    assert (_blocks(np.arange(70) * 24, 35) == np.repeat([0, 1], [34, 36])).all()  # the issue joins the last


def test_a_group_without_weather_and_with_a_short_history(tmp_path) -> None:
    hist, temp = noisy_group(70)
    issue = hist.index[24 * 60]
    f = forecast_group("g", hist, temp * np.nan, issue, horizon=24, tz=TZ, train_days=100)
    assert f.info["weather"] == "none" and not f.model.uses_weather
    reg = ModelRegistry(tmp_path)  # a model without weather goes to the registry and back
    meta = reg.register("g", f.model, f.series, f.train_start, f.train_end, {}, issue, status="champion")
    given = forecast_group(
        "g", hist, temp * np.nan, issue, 24, TZ, model=reg.load(meta), train_end=f.train_end
    )
    assert not given.fitted and np.allclose(given.point, f.point)
    assert f.info["history_days"] == 60 and f.info["calibration_origins"] == 45  # 15 days for the first fit
    assert np.isfinite(f.quantiles).all() and (f.scores["mape_pct"] < f.scores["naive_mape_pct"]).all()
    forced = forecast_group("g", hist, temp, issue, horizon=24, tz=TZ, train_days=100, weather=NoWeather())
    np.testing.assert_array_equal(forced.point, f.point)
    # a registry model that reads weather is refitted when there is none
    with_weather = forecast_group("g", hist, temp, issue, horizon=24, tz=TZ, train_days=100)
    again = forecast_group(
        "g",
        hist,
        temp,
        issue,
        24,
        TZ,
        NoWeather(),
        model=with_weather.model,
        train_end=issue - pd.Timedelta(days=40),
    )
    assert again.fitted and "reads weather" in again.info["note"]
    with pytest.raises(
        ValueError, match=r"not enough history to forecast g: 10.0 days of load .* needs 15 days"
    ):
        forecast_group("g", hist.iloc[24 * 50 :], temp.iloc[24 * 50 :], issue, horizon=24, tz=TZ)
    with pytest.raises(ValueError, match=r"not enough history to fit: a 24 h forecast needs 15 days"):
        fit_rows(hist, temp.to_numpy(), 24 * 8, 24, TZ, 100, 1000)
    system = default_system(1000)
    with pytest.raises(ValueError, match="weather must be forecast or none"):
        demand_inputs(system, pd.Timestamp("2016-05-02T00:00Z"), weather="observed")
    none = demand_inputs(system, pd.Timestamp("2016-05-02T00:00Z"), horizon=24, days=20, weather="none")
    assert none.temperature.isna().all() and len(none.temperature) == len(none.history)


def test_a_feeder_group_gets_the_top_down_candidate_and_each_series_its_champion() -> None:
    hist, temp = group_history(160)
    issue = hist.index[24 * 150]
    weather = ObservedWeather()
    total = hist.sum(axis=1).rename("system").to_frame()
    top_group = forecast_group("system", total, temp, issue, 48, TZ, weather, train_days=100)
    top = TopDown.of(top_group, total["system"])
    assert top_group.origin_point.shape == (1, len(top_group.origin_times), 48)
    np.testing.assert_allclose(top.at(top_group.origin_times[-1:])[0], top_group.point[0])
    assert np.isnan(top.at(pd.DatetimeIndex([issue + pd.Timedelta(days=1)]))).all()
    f = forecast_group("g", hist, temp, issue, 48, TZ, weather, train_days=100, top=top)
    names = {c.name for c in f.choice.candidates}
    assert names == {"lightgbm", "seasonal_naive_7d", "mean_4w", "mstl", "top_down"}
    assert len(f.series_champions) == 2 and set(f.series_champions) <= names
    assert f.choice.beats_naive and f.choice.champion != "seasonal_naive_7d"
    # each series is forecast by its own champion: its point is that candidate's
    assert (
        np.isfinite(f.point).all()
        and (f.scores["day_ahead_mape_pct"] < f.scores["day_ahead_naive_mape_pct"]).all()
    )
    # between two verdicts on MSTL it is left out; the other candidates are chosen as before
    kept = forecast_group("g", hist, temp, issue, 48, TZ, weather, train_days=100, top=top, mstl=False)
    assert {c.name for c in kept.choice.candidates} == names - {"mstl"} and not kept.info["mstl_scored"]
    if f.choice.champion != "mstl":
        assert kept.choice.champion == f.choice.champion
        np.testing.assert_allclose(kept.point[0], f.point[0])
    inputs = demand_inputs(default_system(), pd.Timestamp("2016-07-01T00:00Z"), 24, days=60)
    one = inputs.subset("system")
    assert list(one.history.columns) == ["system"] and list(one.catalog.index) == ["system"]


def test_mstl_is_screened_out_when_clearly_dominated() -> None:
    """MSTL is fitted on the last 7 origins of the window first; a candidate far better there ends it
    (scored on those 7), otherwise it is fitted on the whole window."""
    idx = pd.date_range("2016-01-01", periods=24 * 80, freq="1h", tz="UTC")
    hour = idx.hour.to_numpy()
    load = 5 + np.sin(2 * np.pi * hour / 24) + 0.3 * (idx.dayofweek.to_numpy() < 5)
    load = load * (1 + np.random.default_rng(1).normal(0, 0.02, len(idx)))
    last = np.arange(24 * 60, 24 * 70, 24)  # 10 origins
    actual = np.stack([load[o : o + 24] for o in last])[None]
    exact = {"oracle": [np.vstack([actual[0], np.zeros((1, 24))])]}
    stat, n = _screened_mstl(load, last, idx, 24, actual, exact)
    assert n == 7 and np.isnan(stat[:3]).all() and np.isfinite(stat[3:]).all()
    poor = {"poor": [np.vstack([2 * actual[0], np.zeros((1, 24))])]}
    stat, n = _screened_mstl(load, last, idx, 24, actual, poor)
    assert n == 10 and np.isfinite(stat).all()
    assert mape_pct(actual[0], stat)[0] < 5.0
