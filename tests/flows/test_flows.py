"""The flows under Prefect's test harness, on a 2,000-meter fleet (the code path of 100,000)."""

from __future__ import annotations

import json

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
from flows.ingest import ingest_meters
from gridcore.data.validation import ContractError
from gridcore.store import Store

METERS = 2_000
AT = "2016-07-01T14:00Z"


def _feeder_products(root) -> dict[str, xr.Dataset]:
    return {p: xr.open_zarr(root / f"{p}.zarr").load() for p in ("feeder_load", "feeder_load_hourly")}


def test_hourly_runs_and_a_rerun_leaves_the_store_unchanged(tmp_path) -> None:
    out = hourly(at=AT, store=str(tmp_path), meters=METERS)
    assert out["hour"] == "2016-07-01T14:00:00Z" and out["store"] == str(tmp_path)
    assert out["readings_in"] >= 4 * METERS
    assert out["readings_valid"] + sum(out["quarantined"].values()) == out["readings_in"]
    assert out["feeders"] == 10 and out["seconds"] > 0
    first = _feeder_products(tmp_path)
    quality = xr.open_zarr(tmp_path / "quality.zarr").load()
    again = hourly(at=AT, store=str(tmp_path), meters=METERS)
    assert again["readings_in"] == out["readings_in"]
    for name, ds in _feeder_products(tmp_path).items():
        xr.testing.assert_identical(first[name], ds)
    xr.testing.assert_identical(quality, xr.open_zarr(tmp_path / "quality.zarr").load())
    hour = Store(tmp_path).read("feeder_load_hourly").sel(time="2016-07-01T14:00")
    assert float(hour["coverage_pct"].min()) > 95.0
    assert np.isclose(float(hour["p_mw"].sum()), out["system_p_mw"], rtol=1e-3)


def test_ingest_of_a_utility_file_merges_corrections(tmp_path) -> None:
    hourly(at=AT, store=str(tmp_path), meters=METERS)
    st = Store(tmp_path)
    before = st.read("readings").sel(time="2016-07-01T14:00").load()
    meter = str(before["meter"].values[0])
    path = tmp_path / "corrections.csv"
    pd.DataFrame(
        {
            "meter_id": [meter, meter, "UNKNOWN"],
            "timestamp": ["2016-07-01T14:15:00Z", "2016-07-01T14:30:00Z", "2016-07-01T14:15:00Z"],
            "kwh": ["5.0", "6.0", "1.0"],
        }
    ).to_csv(path, index=False)
    out = ingest_meters(path=str(path), store=str(tmp_path), meters=METERS)
    assert (out["readings_in"], out["readings_valid"], out["quarantined"]) == (3, 2, {"unknown_meter": 1})
    assert out["days_written"] == ["2016-07-01"]
    after = st.read("readings").sel(time=slice("2016-07-01T14:00", "2016-07-01T14:15")).load()
    assert after["kwh"].sel(meter=meter).values.tolist() == [5.0, 6.0]
    other = after["kwh"].isel(meter=slice(1, None)).sel(time="2016-07-01T14:00")
    xr.testing.assert_equal(other, before["kwh"].isel(meter=slice(1, None)))
    q = st.read("quarantine").load()
    mine = q.where(q["run_id"].str.startswith("ingest/"), drop=True)
    assert mine["value"].values.tolist() == ["UNKNOWN"]


def test_ingest_refuses_a_file_without_kwh(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("meter_id,timestamp,energy\nM000001,2016-07-01T14:15:00Z,1\n")
    with pytest.raises(ContractError, match="kwh"):
        ingest_meters(path=str(path), store=str(tmp_path), meters=METERS)


def test_backfill_then_daily_catches_up_the_rest_of_the_day(tmp_path) -> None:
    out = backfill_hourly(
        start="2016-07-01T00:00Z", end="2016-07-01T02:00Z", store=str(tmp_path), meters=METERS
    )
    assert out["hours"] == 2 and out["readings_in"] >= 8 * METERS
    st = Store(tmp_path)
    flags = st.read("feeder_load_hourly", complete_only=False)["complete"].sel(
        time=slice("2016-07-01T00", "2016-07-01T03")
    )
    assert flags.values.tolist() == [1, 1, 0, 0]
    day = daily(at="2016-07-01T12:00Z", store=str(tmp_path), meters=METERS, forecast=False, storage=False)
    assert len(day["hours_caught_up"]) == 22 and day["hours_complete"] == 24
    assert day["energy_mwh"]["system"] > 0


def test_cli_json_and_errors(tmp_path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--help"]).exit_code == 0
    res = runner.invoke(
        app, ["run", "hourly", "--at", AT, "--store", str(tmp_path), "--meters", str(METERS), "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for key in ("store", "hour", "readings_in", "readings_valid", "quarantined", "feeders", "seconds"):
        assert key in out
    bad = tmp_path / "nokwh.csv"
    bad.write_text("meter_id,timestamp,energy\nM1,2016-07-01T14:15:00Z,1\n")
    res = runner.invoke(
        app, ["ingest", "meters", str(bad), "--store", str(tmp_path), "--meters", str(METERS), "--json"]
    )
    assert res.exit_code == 1
    assert "kwh" in res.stderr
    res = runner.invoke(
        app, ["run", "hourly", "--at", "2016-07-01T14:00", "--store", str(tmp_path), "--json"]
    )
    assert res.exit_code == 1 and "UTC offset" in res.stderr


def test_forecast_demand_then_daily_model_cycle_then_hourly_update(tmp_path) -> None:
    root = str(tmp_path)
    first = hourly(at="2016-06-30T22:00Z", store=root, meters=METERS)
    skipped = first["demand_forecast"]
    assert "skipped" in skipped  # no champion yet: said so, not hidden
    assert "skipped" in first["constraints"]  # no look-ahead to update yet
    out = demand_forecast(at="2016-07-01T00:00Z", horizon=168, store=root)
    assert out["series"] == 126 and out["models"] == {"fitted": 11, "from_registry": 0}
    acc = out["accuracy_out_of_sample"]
    assert acc["system"]["day_ahead_mape_pct"] < acc["system"]["day_ahead_naive_mape_pct"]
    assert 65 <= acc["load"]["coverage_80_pct"] <= 92
    ds = xr.open_zarr(out["written"])
    q = ds["quantile_mw"].values
    assert ds.sizes["lead"] == 168 and np.isfinite(q).all() and (np.diff(q, axis=-1) >= 0).all()
    system = ds["point_mw"].sel(series="system").values
    feeders = ds["point_mw"].sel(series=[s for s in ds.series.values if s.startswith("feeder:")]).values
    # groups are fitted apart, so feeders add up to the system closely, not exactly
    assert abs(feeders.sum() / system.sum() - 1) < 0.05
    res = CliRunner().invoke(app, ["forecast", "models", "--store", root, "--json"])
    models = json.loads(res.stdout.strip().splitlines()[-1])
    assert models["champions"] == 11 and {m["horizon_h"] for m in models["models"]} == {168}
    full = daily(at="2016-07-01T12:00Z", store=root, meters=METERS)
    day = full["models"]
    # day-ahead battery schedules and the fleet's health come with the daily flow
    storage = full["storage"]
    assert storage["units"] == 1200 and storage["infeasible"] == 0 and storage["soh_mean_pct"] > 50
    # planned on the day's forecasts: the demand forecast the model cycle just made and the renewables'
    assert storage["inputs"] == {
        "renewables": "forecast 2016-07-02T00:00Z",
        "demand": "forecast 2016-07-02T00:00Z",
    }
    u = storage["utilization_pct"]
    assert u["none"] < u["optimized"]
    assert (tmp_path / "renewable_forecast" / "20160702T0000Z.zarr").exists()
    assert (tmp_path / "storage_schedule" / "20160702T0000Z.zarr").exists()
    assert (tmp_path / "storage_health" / "20160702T0000Z.zarr").exists()
    # the constraint periods of the next 168 h, on the same forecasts and schedules
    cons = full["constraints"]
    assert (
        cons["grid"] == "1-MV-semiurb--0-sw" and cons["horizon_h"] == 168 and cons["converged_hours"] == 168
    )
    assert cons["source"]["load"].startswith("forecast") and cons["source"]["generation"] == "forecast"
    assert cons["source"]["batteries"].startswith("schedule")
    assert cons["written"].endswith("constraint_periods/20160702T0000Z.zarr")
    assert sum(day["model_actions"].values()) == 11
    assert set(day["model_actions"]) <= {"kept", "promoted", "rejected"}
    assert day["forecast"]["models"]["from_registry"] == 11
    assert (tmp_path / "demand_forecast" / "20160702T0000Z.zarr").exists()
    later = hourly(at="2016-07-02T05:00Z", store=root, meters=METERS)
    update = later["demand_forecast"]
    assert update["issue_time"] == "2016-07-02T06:00Z" and update["models"]["from_registry"] == 11
    assert (
        later["constraints"]["issue_time"] == "2016-07-02T06:00:00Z"
        and later["constraints"]["horizon_h"] == 24
    )


def test_grid_outage_switch_and_topology_commands(tmp_path) -> None:
    runner = CliRunner()
    store = ["--store", str(tmp_path), "--json"]
    res = runner.invoke(
        app,
        [
            "grid",
            "outage",
            "--line",
            "MV2.101 Line 23",
            "--from",
            "2016-07-01T08:00Z",
            "--to",
            "2016-07-01T16:00Z",
            "--who",
            "planner",
            "--why",
            "repair",
            *store,
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["change"]["version"] == 1 and out["islanded_load_mw"] > 0 and out["islanded_buses"]
    during = json.loads(runner.invoke(app, ["grid", "topology", "--at", "2016-07-01T09:00Z", *store]).stdout)
    before = json.loads(runner.invoke(app, ["grid", "topology", "--at", "2016-07-01T07:00Z", *store]).stdout)
    assert len(during["changes_in_force"]) == 1 and before["changes_in_force"] == []
    assert before["islanded_buses"] == [] and during["fingerprint"] != before["fingerprint"]
    bad = runner.invoke(app, ["grid", "switch", "--open", "9999", *store])
    assert bad.exit_code == 1 and "unknown switch id 9999" in bad.stderr
    both = runner.invoke(app, ["grid", "switch", "--open", "1", "--close", "2", *store])
    assert both.exit_code == 1


def test_grid_timeseries_follows_the_topology_per_hour(tmp_path) -> None:
    runner = CliRunner()
    store = ["--store", str(tmp_path), "--json"]
    res = runner.invoke(
        app,
        [
            "grid",
            "outage",
            "--line",
            "MV2.101 Line 23",
            "--from",
            "2016-07-01T03:00Z",
            "--to",
            "2016-07-01T05:00Z",
            *store,
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["grid", "timeseries", "--at", "2016-07-01T00:00Z", "--horizon", "8", *store])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["load_source"] == "profiles" and out["converged_hours"] == 8
    assert [s["hours"] for s in out["topologies"]] == [3, 2, 3]
    ds = xr.open_zarr(out["written"])
    vm = ds["vm_pu"].values
    islanded = [26, 27, 28]  # buses behind the line out of service: de-energised during the outage only
    assert np.isnan(vm[3:5][:, islanded]).all() and np.isfinite(vm[:3][:, islanded]).all()
    assert {h["feeder"] for h in out["headroom"]} >= {"MV2.101 Line 1"}


def test_hourly_feeder_loads_follow_an_outage(tmp_path) -> None:
    """The meter -> bus -> feeder map of the hourly products is the topology in force at each hour."""
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid import load_grid
    from gridcore.network.topology import ChangeLog, make_change

    grid = load_grid()
    base = derive_feeders(grid)
    feeder = base.feeders[1]
    ChangeLog(tmp_path).append(
        make_change(
            grid,
            "line",
            base.head_line[feeder],
            effective_from="2016-07-01T15:00Z",
            effective_to="2016-07-01T16:00Z",
            who="test",
            why="maintenance",
        )
    )
    for at in ("2016-07-01T14:00Z", "2016-07-01T15:00Z"):
        hourly(at=at, store=str(tmp_path), meters=METERS, forecast=False)
    ds = Store(tmp_path).read("feeder_load_hourly", complete_only=False).load()
    expected = ds["meters_expected"].sel(feeder=feeder)
    before = int(expected.sel(time="2016-07-01T14:00").item())
    during = int(expected.sel(time="2016-07-01T15:00").item())
    assert before > 0 and during == 0  # its meters are cut off: counted for no feeder during the outage
    total = ds["meters_expected"].sum("feeder")
    assert (
        int(total.sel(time="2016-07-01T15:00").item())
        == int(total.sel(time="2016-07-01T14:00").item()) - before
    )


def test_grid_contingency_command() -> None:
    res = CliRunner().invoke(
        app, ["grid", "contingency", "--case", "tests/data/matpower/case24_ieee_rts.m", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["n_cases"] == 38 and out["n_islanding"] >= 1 and out["critical"]
    assert out["critical"][0]["rank"] == 1
    # a tighter voltage band for the case's HV level can only add voltage-violating outages
    tight = CliRunner().invoke(
        app,
        ["grid", "contingency", "--case", "tests/data/matpower/case24_ieee_rts.m"]
        + ["--voltage-band", "HV=0.99:1.01", "--voltage-band", "EHV=0.99:1.01", "--json"],
    )
    assert tight.exit_code == 0, tight.output
    tight_out = json.loads(tight.stdout.strip().splitlines()[-1])
    assert tight_out["n_with_voltage_violations"] > out["n_with_voltage_violations"]
    bad = CliRunner().invoke(app, ["grid", "contingency", "--case", "nope.m", "--json"])
    assert bad.exit_code == 1
