"""The command line's help and one-line errors, and the grid's topology and contingency commands."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr
from typer.testing import CliRunner

from cli.main import app

METERS = 2_000
AT = "2016-07-01T14:00Z"


def test_cli_help_and_errors(tmp_path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--help"]).exit_code == 0
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


def _outage(runner: CliRunner, store: list[str], start: str, end: str, *extra: str):
    """``grid outage`` of feeder line MV2.101 Line 23 from ``start`` to ``end``."""
    args = ["grid", "outage", "--line", "MV2.101 Line 23", "--from", start, "--to", end, *extra, *store]
    return runner.invoke(app, args)


def test_grid_outage_switch_and_topology_commands(tmp_path) -> None:
    runner = CliRunner()
    store = ["--store", str(tmp_path), "--json"]
    res = _outage(
        runner, store, "2016-07-01T08:00Z", "2016-07-01T16:00Z", "--who", "planner", "--why", "repair"
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
    res = _outage(runner, store, "2016-07-01T03:00Z", "2016-07-01T05:00Z")
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
