"""One store through a day under Prefect's test harness: the hourly, forecast, backfill and daily flows.

On a 2,000-meter fleet (the code path of 100,000).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from cli.main import app
from flows.backfill import backfill_hourly
from flows.daily import daily
from flows.demand import demand_forecast
from flows.hourly import hourly
from gridcore.store import Store
from tasks.chain import DAILY

METERS = 2_000
AT = "2016-07-01T14:00Z"


def _copy(store: Path, tmp_path: Path) -> Path:
    shutil.copytree(store, tmp_path / "store")
    return tmp_path / "store"


# -- one store through a day: an hourly run, the first demand forecast, a backfill, the daily run, an update.
# Each stage is a module-scoped fixture on the same store, run once and in this order (each asks for the one
# before it); each test checks one stage.


@pytest.fixture(scope="module")
def day_store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("day")


@pytest.fixture(scope="module")
def before_champion(day_store: Path) -> dict[str, object]:
    """The day's first hour, run before any model is in the registry."""
    return hourly(at="2016-07-01T00:00Z", store=str(day_store), meters=METERS)


@pytest.fixture(scope="module")
def first_forecast(day_store: Path, before_champion) -> dict[str, object]:
    """The first demand forecast: every group fitted and registered as champion."""
    return demand_forecast(at="2016-07-01T00:00Z", horizon=168, store=str(day_store))


@pytest.fixture(scope="module")
def models_listed(day_store: Path, first_forecast) -> dict[str, object]:
    res = CliRunner().invoke(app, ["forecast", "models", "--store", str(day_store), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def backfilled(day_store: Path, models_listed) -> tuple[dict[str, object], list[int]]:
    """Hours 01:00 and 02:00 backfilled; the completeness flags of 00:00-03:00 right after."""
    out = backfill_hourly(
        start="2016-07-01T01:00Z", end="2016-07-01T03:00Z", store=str(day_store), meters=METERS
    )
    flags = Store(day_store).read("feeder_load_hourly", complete_only=False)["complete"]
    return out, flags.sel(time=slice("2016-07-01T00", "2016-07-01T03")).values.tolist()


@pytest.fixture(scope="module")
def day(day_store: Path, backfilled) -> dict[str, object]:
    """The daily flow: catch-up of the other 21 hours, the model cycle and the battery plan."""
    return daily(at="2016-07-01T12:00Z", store=str(day_store), meters=METERS)


@pytest.fixture(scope="module")
def update(day_store: Path, day) -> dict[str, object]:
    """An hourly run of the next day: its demand forecast from the registry's champions."""
    return hourly(at="2016-07-02T05:00Z", store=str(day_store), meters=METERS)["demand_forecast"]


def test_an_hourly_run_before_any_champion_says_it_skipped_the_forecast(before_champion) -> None:
    assert "skipped" in before_champion["demand_forecast"]  # no champion yet: said so, not hidden
    assert before_champion["hour"] == "2016-07-01T00:00:00Z" and before_champion["feeders"] == 10


def test_the_first_demand_forecast_fits_every_group_and_beats_the_naive(first_forecast) -> None:
    assert first_forecast["series"] == 126
    assert first_forecast["models"] == {"fitted": 11, "from_registry": 0}
    acc = first_forecast["accuracy_out_of_sample"]
    assert acc["system"]["day_ahead_mape_pct"] < acc["system"]["day_ahead_naive_mape_pct"]
    assert 65 <= acc["load"]["coverage_80_pct"] <= 92


def test_the_stored_demand_forecast_has_ordered_quantiles_and_feeders_add_up(first_forecast) -> None:
    ds = xr.open_zarr(first_forecast["written"])
    # what the JSON counts is what was written: its series, and one model per group (the system, each feeder)
    assert ds.sizes["series"] == first_forecast["series"]
    groups = set(ds["group"].values)
    assert len(groups) == first_forecast["models"]["fitted"] and groups == {"system"} | set(
        ds["feeder"].values
    ) - {""}
    q = ds["quantile_mw"].values
    assert ds.sizes["lead"] == 168 and np.isfinite(q).all() and (np.diff(q, axis=-1) >= 0).all()
    system = ds["point_mw"].sel(series="system").values
    feeders = ds["point_mw"].sel(series=[s for s in ds.series.values if s.startswith("feeder:")]).values
    # groups are fitted apart, so feeders add up to the system closely, not exactly
    assert abs(feeders.sum() / system.sum() - 1) < 0.05


def test_forecast_models_lists_the_champions(models_listed) -> None:
    assert models_listed["champions"] == 11
    assert {m["horizon_h"] for m in models_listed["models"]} == {168}


def test_a_backfill_completes_only_its_hours(backfilled) -> None:
    out, flags = backfilled
    assert out["hours"] == 2 and out["readings_in"] >= 8 * METERS
    assert flags == [1, 1, 1, 0]  # 00:00 from the hourly run, 01:00 and 02:00 backfilled


def test_the_daily_flow_catches_up_the_rest_of_the_day(day, day_store: Path) -> None:
    assert len(day["hours_caught_up"]) == 21 and day["hours_caught_up"][0] == "03:00Z"
    assert day["hours_complete"] == 24
    # the day's energy is that of the stored hourly feeder loads (1 h each)
    hourly_p = (
        Store(day_store).read("feeder_load_hourly")["p_mw"].sel(time=slice("2016-07-01T00", "2016-07-01T23"))
    )
    assert day["energy_mwh"]["system"] == pytest.approx(float(hourly_p.sum()), abs=2e-3)
    assert day["energy_mwh"]["system"] > 0


def test_the_daily_model_cycle_reuses_the_registry(day, day_store: Path) -> None:
    models = day["models"]
    assert sum(models["model_actions"].values()) == 11
    assert set(models["model_actions"]) <= {"kept", "promoted", "rejected"}
    assert models["forecast"]["models"]["from_registry"] == 11
    assert (day_store / "demand_forecast" / "20160702T0000Z.zarr").exists()


def test_the_daily_battery_plan_uses_the_days_forecasts(day, day_store: Path) -> None:
    storage = day["storage"]
    assert storage["units"] == 1200 and storage["infeasible"] == 0 and storage["soh_mean_pct"] > 50
    # planned on the day's forecasts: the demand forecast the model cycle just made and the renewables'
    assert storage["inputs"] == {
        "renewables": "forecast 2016-07-02T00:00Z",
        "demand": "forecast 2016-07-02T00:00Z",
    }
    u = storage["utilization_pct"]
    assert u["none"] < u["optimized"]
    for product in ("renewable_forecast", "storage_schedule", "storage_health"):
        assert (day_store / product / "20160702T0000Z.zarr").exists(), product


def test_an_hourly_run_updates_the_forecast_from_the_champions(update, day, day_store: Path) -> None:
    from gridcore.forecast.registry import ModelRegistry

    assert update["issue_time"] == "2016-07-02T06:00Z" and update["models"]["from_registry"] == 11
    # the day's forecast chose among every candidate, MSTL included; its verdict holds for the update
    chosen = day["models"]["forecast"]["champions"]
    assert len(chosen) == 11 and all(c["mstl_scored"] for c in chosen.values())
    registry = ModelRegistry(day_store)
    for group, choice in update["champions"].items():
        kept = registry.last_choice(group)
        assert kept["issue_time"] == "2016-07-02T00:00Z" and kept["champion"] == chosen[group]["champion"]
        names = {c["name"] for c in choice["candidates"]}
        assert (
            choice["mstl_scored"] is (kept["champion"] == "mstl")
            and ("mstl" in names) is choice["mstl_scored"]
        )


def _artifact(key: str):
    """The latest Prefect artifact of a key (from the harness's API)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return found[-1] if found else None


def test_the_daily_look_ahead_writes_its_constraint_periods_and_artifact(day, day_store: Path) -> None:
    from gridcore.lookahead import read_constraint_periods

    look = day["constraints"]
    assert look["issue_time"] == "2016-07-02T00:00:00Z" and look["horizon_h"] == 168
    assert look["converged_hours"] == 168 and look["written"].endswith("20160702T0000Z.zarr")
    # planned on the day's forecasts and with the schedules of the same issue
    assert look["source"] == {
        "load": "forecast",
        "generation": "forecast",
        "batteries": "schedule (1200 batteries)",
    }
    periods, attrs = read_constraint_periods(day_store, pd.Timestamp("2016-07-02T00:00Z"))
    assert attrs["horizon_h"] == 168 and len(periods) == sum(look["counts"].values())
    assert 0 < look["max_line_loading_pct"] < 100  # the default grid in July: no period at the 100 % limit
    artifact = _artifact("constraint-periods")
    assert artifact is not None and "Constraint periods from 2016-07-02T00:00:00Z (168 h" in artifact.data
    # the chain's steps: every one completed, shedding skipped as nothing remains, with the reason
    steps = day["steps"]
    assert [k for k, v in steps.items() if v["state"] == "Completed"] == [
        "catch_up",
        "day_report",
        "demand_forecast",
        "renewables",
        "constraints",
        "batteries",
        "constraints_remaining",
        "prices",
        "monitoring",
        "report",
    ]
    assert list(steps) == list(DAILY)
    assert steps["shedding"] == {
        "state": "Skipped",
        "reason": "no constraint remains in the 24 h from 2016-07-02T00:00Z",
        "seconds": steps["shedding"]["seconds"],
    }
    report = Path(day["report"]["markdown"])
    assert report.exists() and "| constraints_remaining | Completed |" in report.read_text()
    assert set(day["report"]["figures"]) == {"forecast_band", "soc", "prices", "loading_map"}
    prices = day["prices"]
    assert prices["horizon_h"] == 168 and len(prices["price_per_mwh_by_hour"]) == 168
    assert prices["price_min_per_mwh"] <= prices["price_mean_per_mwh"] <= prices["price_max_per_mwh"]
    assert _artifact("chain-daily-2016-07-01") is not None


def test_the_daily_flow_monitors_each_hour_of_the_day(day, day_store: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    mon = day["monitoring"]
    assert mon["at"] == "2016-07-01T00:00:00Z" and mon["checked"]["hours"] == 24
    assert mon["checked"]["meters"] == METERS and mon["checked"]["sensors"] > 0
    assert mon["total"] == sum(sum(v.values()) for v in mon["counts"].values())
    assert mon["high"] == mon["by_severity"]["high"] and len(mon["anomalies"]) == min(mon["total"], 20)
    # the high-severity anomalies per hour add up to at least the day's (one found in two hours counts once)
    assert sum(mon["high_by_hour"].values()) >= mon["high"]
    assert all(len(h) == 6 and h.endswith("Z") for h in mon["high_by_hour"])
    names = [f"monitor-20160701T{h:02d}Z" for h in range(24)]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=names)))
    assert {r.name for r in runs if r.state.is_completed()} == set(names)
    text = Path(day["report"]["markdown"]).read_text()
    assert "| monitoring | Completed |" in text and f"| anomalies of high severity | {mon['high']} |" in text
    if mon["high"]:
        assert f"- {mon['high']} high-severity anomalies (a gridflow.anomaly.high event each)" in text
        first = next(a for a in mon["anomalies"] if a["severity"] == "high")
        assert f"anomaly {first['type']} at {first['place_kind']} {first['place']}" in text


@pytest.fixture(scope="module")
def wrong_forecast(day_store: Path, update) -> dict[str, object]:
    """The actuals of 06:00 come in 15 % above its forecast (issued 06:00 by the update run): a re-plan.

    The hour is landed first (its actuals are the feed's), then the stored forecast of 06:00 is set to the
    actuals / 1.15 per feeder and for the system, and the hour runs again.
    """
    from gridcore.forecast.store import read_demand_forecast
    from gridcore.store import issue_path, write_whole

    at = pd.Timestamp("2016-07-02T06:00Z")
    hourly(at="2016-07-02T06:00Z", store=str(day_store), meters=METERS, forecast=False, constraints=False)
    actual = Store(day_store).read("feeder_load_hourly")["p_mw"].sel(time="2016-07-02T06:00").to_series()
    ds = read_demand_forecast(str(day_store), at).load()
    ratio = pd.Series(1.0, index=ds["series"].values)
    ratio["system"] = (
        float(actual.sum()) / 1.15 / float(ds["point_mw"].sel(series="system").isel(issue_time=0, lead=0))
    )
    for feeder, mw in actual.items():
        name = f"feeder:{feeder}"
        ratio[name] = mw / 1.15 / float(ds["point_mw"].sel(series=name).isel(issue_time=0, lead=0))
    scale = xr.DataArray(ratio.to_numpy(), dims="series")
    for var in ("point_mw", "quantile_mw"):
        ds[var] = (ds[var] * scale).astype("float32")
    write_whole(ds, issue_path(day_store, "demand_forecast", at))
    return hourly(at="2016-07-02T06:00Z", store=str(day_store), meters=METERS)


def test_a_wrong_forecast_makes_the_next_hourly_run_replan_and_say_so(
    wrong_forecast, day_store: Path
) -> None:
    from gridcore.forecast.store import read_demand_forecast

    check = wrong_forecast["forecast_check"]
    assert check["issue_time"] == "2016-07-02T06:00Z" and check["replan"] is True and check["outside_band"]
    assert check["error_pct"] == pytest.approx(15.0, abs=0.05)
    assert "15.0 % above" in check["reason"] and "re-planned" in check["reason"]
    steps = wrong_forecast["steps"]
    assert steps["replan"]["state"] == "Completed"
    assert wrong_forecast["replan"]["issue_time"] == "2016-07-02T07:00Z"
    # the forecast the rest of the chain planned on is the corrected one: x1.15 at lead 1, fading
    corrected = read_demand_forecast(str(day_store), pd.Timestamp("2016-07-02T07:00Z"))
    assert "system x1.15" in corrected.attrs["corrected"]
    for step in ("renewables", "constraints", "batteries", "constraints_remaining", "report"):
        assert steps[step]["state"] == "Completed", step
    assert wrong_forecast["batteries"]["inputs"]["demand"] == "forecast 2016-07-02T07:00Z"
    text = Path(wrong_forecast["report"]["markdown"]).read_text()
    assert "| replan | Completed |" in text and "re-planned on the forecast corrected by x1.15" in text


@pytest.fixture(scope="module")
def segments(day_store: Path, wrong_forecast) -> dict[str, object]:
    """An afternoon hour with the lines derated to 10 % of their rating: overloads on two feeders at once."""
    return hourly(at="2016-07-02T13:00Z", store=str(day_store), meters=METERS, loading_limit_pct=10.0)


def test_constraints_in_several_grid_segments_at_the_same_hour_are_planned_together(segments) -> None:
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid import load_grid

    grid = load_grid()
    feeder_of = derive_feeders(grid).bus_feeder
    found = segments["constraints_found"]
    assert found["counts"]["overload"] >= 2
    shed = segments["shedding"]
    assert segments["steps"]["shedding"]["state"] == "Completed" and shed["events"] >= 2
    assert shed["written"].endswith("20160702T1400Z.json") and shed["events_emitted"] == shed["events"]

    def feeders(elements: list[str]) -> set[str]:
        lines = [int(e.split(":")[1]) for e in elements if e.startswith("line:")]
        return {feeder_of[grid.line.loc[i, "from_bus"]] for i in lines}

    together = [p for p in shed["plans"] if len(feeders(p["elements"])) >= 2]
    assert together, shed["plans"]  # one plan reaches overloads on two feeders in the same hours
    plans = json.loads(Path(shed["written"]).read_text())["plans"]
    for plan in plans:
        if len(feeders(plan["elements"])) >= 2:
            left = {c["element"] for c in plan["remaining_constraints"]}
            assert not left & set(plan["elements"]), plan["remaining_constraints"]
    assert {"shed", "loading_map", "prices", "soc", "forecast_band"} <= set(segments["report"]["figures"])
    assert all(s["state"] in ("Completed", "Skipped") for s in segments["steps"].values())
    assert segments["steps"]["prices"]["state"] == "Completed" and segments["prices"]["horizon_h"] == 24
    assert segments["steps"]["monitoring"]["state"] == "Completed"


def test_a_failing_step_skips_what_needs_it_with_the_reason(day_store: Path, segments, tmp_path) -> None:
    store = _copy(day_store, tmp_path)
    shutil.rmtree(store / "renewable_forecast")
    (store / "renewable_forecast").write_text("not a folder")  # the renewables step cannot write: bad input
    out = hourly(at="2016-07-02T09:00Z", store=str(store), meters=METERS)
    steps = out["steps"]
    assert steps["renewables"]["state"] == "Failed" and "renewable_forecast" in steps["renewables"]["reason"]
    assert "is a file where the store keeps a folder" in steps["renewables"]["reason"]
    for step in ("constraints", "batteries"):
        assert steps[step]["state"] == "Skipped" and steps[step]["reason"].startswith(
            "needs renewables (failed): "
        ), step
    for step in ("constraints_remaining", "shedding"):
        assert (
            steps[step]["state"] == "Skipped"
            and "(skipped): " in steps[step]["reason"]
            and "renewable_forecast" in steps[step]["reason"]
        ), step
    assert out["constraints"] == {"skipped": steps["constraints_remaining"]["reason"]}
    # the rest went on: the hour landed, the forecast was updated and checked, the report published
    assert steps["prices"]["state"] == "Skipped" and steps["prices"]["reason"].startswith("needs renewables")
    for step in (
        "ingest",
        "feeder_load",
        "topology",
        "demand_forecast",
        "forecast_check",
        "monitoring",
        "report",
    ):
        assert steps[step]["state"] == "Completed", step
    assert out["monitoring"]["at"] == "2016-07-02T09:00:00Z" and out["monitoring"]["high"] >= 0
    assert out["readings_in"] >= 4 * METERS
    text = Path(out["report"]["markdown"]).read_text()
    assert "| renewables | Failed |" in text and "| shedding | Skipped |" in text
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=["skip-shedding-20160702T09Z"]))
        )
    assert runs and runs[-1].state.name == "Skipped" and "needs constraints" in runs[-1].state.message
    with get_client(sync_client=True) as client:  # bad input: failed at once, not retried
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=["renewables-20160702T10Z"]))
        )
    assert runs and runs[-1].state.name == "Failed" and runs[-1].run_count == 1
