"""``gridflow storage schedule``: the whole default fleet through Prefect and Dask, the store, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from flows.storage_schedule import storage_schedule
from gridcore.storage.store import read_schedule

pytestmark = pytest.mark.flows


def test_storage_schedule_default_fleet(tmp_path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "storage",
            "schedule",
            "--at",
            "2016-07-01T00:00Z",
            "--horizon",
            "24",
            "--store",
            str(tmp_path),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for key in ("units", "solved", "infeasible", "seconds", "objective", "gap_pct", "utilization_pct"):
        assert key in out
    assert out["units"] == 1200 and out["solved"] == 1200 and out["infeasible"] == []
    assert out["batches"] == 8  # one Prefect task per 150 batteries
    u = out["utilization_pct"]
    assert u["none"] < u["rule"] < u["optimized"]
    assert set(out["curtailment_mwh"]) == {"none", "rule", "optimized"}
    assert set(out["feeder_violations"]) == {"none", "rule", "optimized"}
    assert out["feeder_coupled"] == []  # no feeder limit binds on the default grid: no feeder re-solved
    assert out["checks"] == dict.fromkeys(out["checks"], 0)
    assert abs(out["gap_pct"]) < 1e-6
    ds = read_schedule(tmp_path)
    assert ds.sizes == {"battery": 1200, "time": 24}
    soc, e = ds["soc_mwh"].values, ds["energy_mwh"].values[:, None]
    assert np.all(soc <= e + 1e-9) and (ds["method"].values == "optimized").all()
    assert ds.attrs["issue_time"].startswith("2016-07-01T00:00")
    # the stored schedule balances every site-hour, and the JSON's figures are its sums (1 h steps)
    v = {name: ds[name].values for name in ds.data_vars}
    supply = v["pv_mw"] - v["curtail_mw"] + v["import_mw"] + v["discharge_mw"]
    np.testing.assert_allclose(supply, v["load_mw"] + v["charge_mw"] + v["export_mw"], atol=1e-6)
    pv, curtailed = v["pv_mw"].sum(), v["curtail_mw"].sum()
    assert out["renewable_mwh"] == pytest.approx(pv, abs=1e-3)
    assert out["curtailment_mwh"]["optimized"] == pytest.approx(curtailed, abs=1e-3)
    assert u["optimized"] == pytest.approx(100 * (pv - curtailed) / pv, abs=0.01)
    self_sufficiency = 100 * (1 - v["import_mw"].sum() / v["load_mw"].sum())
    assert out["self_sufficiency_pct"]["optimized"] == pytest.approx(self_sufficiency, abs=0.01)


def test_storage_schedule_fleet_file_with_an_infeasible_unit(tmp_path) -> None:
    # the flow itself (the CLI above is the same call; one CLI flow run per process keeps Prefect's console
    # log handler on the runner's first stderr, so later runs in the same process go through the function)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "battery,kind,sgen,load,pv_share,load_share,power_mw,energy_mwh,export_limit_mw,import_limit_mw\n"
        "H1,home,1,1,0.05,0.01,0.005,0.01,0.001,0.05\n"
        "H2,home,1,1,0.05,0.01,0.005,0.01,0.001,0.0\n"  # no import at all: the night cannot be served
        "P1,grid,100,-1,1.0,0.0,0.5,2.0,0.3,\n"
    )
    out = storage_schedule(at="2016-07-01T00:00Z", horizon=48, fleet_file=str(fleet), store=str(tmp_path))
    assert out["units"] == 3 and out["solved"] == 2
    assert [i["battery"] for i in out["infeasible"]] == ["H2"]
    assert "import limit" in out["infeasible"][0]["reason"]
    ds = read_schedule(tmp_path)
    assert list(ds["method"].values) == ["optimized", "rule", "optimized"]


def test_storage_schedule_bad_input(tmp_path) -> None:
    res = CliRunner().invoke(app, ["storage", "schedule", "--at", "2016-07-01T00:00", "--json"])
    assert res.exit_code == 1 and "no UTC offset" in res.stderr
    res = CliRunner().invoke(
        app,
        ["storage", "schedule", "--at", "2016-07-01T00:00Z", "--fleet", str(tmp_path / "none.csv"), "--json"],
    )
    assert res.exit_code == 1 and "none.csv" in res.stderr


def test_storage_schedule_on_stored_forecasts(tmp_path) -> None:
    import pandas as pd
    import xarray as xr

    from gridcore.forecast.store import write_renewable_forecast
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import hourly_profiles

    with pytest.raises(ValueError, match="run `gridflow forecast renewables --at 2016-07-01T00:00Z` first"):
        storage_schedule(at="2016-07-01T00:00Z", horizon=24, store=str(tmp_path), inputs="forecast")
    with pytest.raises(ValueError, match="inputs must be"):
        storage_schedule(at="2016-07-01T00:00Z", horizon=24, store=str(tmp_path), inputs="crystal-ball")
    grid = load_grid()
    issue = pd.Timestamp("2016-07-01", tz="UTC")
    sgen_mw, _ = hourly_profiles(grid, pd.date_range(issue, periods=24, freq="h"))
    write_renewable_forecast(
        str(tmp_path),
        xr.Dataset(
            {"point_mw": (("series", "issue_time", "lead"), (0.8 * sgen_mw.T)[:, None, :])},
            coords={
                "series": [f"sgen:{n}" for n in grid.sgen["name"]],
                "issue_time": [issue.tz_convert(None)],
                "lead": np.arange(1, 25),
            },
        ),
    )
    out = storage_schedule(at="2016-07-01T00:00Z", horizon=24, store=str(tmp_path), inputs="forecast")
    assert out["inputs"] == {"renewables": "forecast 2016-07-01T00:00Z", "demand": "profiles"}
    assert out["units"] == 1200 and out["infeasible"] == [] and abs(out["gap_pct"]) < 1e-6
    u = out["utilization_pct"]
    assert u["none"] < u["optimized"]  # settled on the actual profiles
    assert out["checks"] == dict.fromkeys(out["checks"], 0)
