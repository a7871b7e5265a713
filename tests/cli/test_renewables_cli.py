"""The renewable commands: `renewables backtest` and `forecast renewables` (figures, the store, bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from cli.main import app

DATA = Path(__file__).parents[1] / "data" / "renewables"
WIND = DATA / "gefcom2012_wind_slice.csv.gz"


def test_renewables_backtest_figures_are_those_of_the_written_forecasts(tmp_path: Path) -> None:
    from gridcore.forecast.renewables_store import read_wind

    args = ["renewables", "backtest", "--csv", str(WIND), "--json"]
    args += ["--test-days", "3", "--calibration-days", "5", "--train-days", "30", "--horizon", "24"]
    res = CliRunner().invoke(app, [*args, "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["kind"] == "wind" and out["n_origins"] == 3 and out["horizon_h"] == 24
    assert out["capacity"] == 1.0 and out["series"] == ["1", "2"]
    ds = xr.open_zarr(out["written"]).load()
    assert ds["forecast"].shape == (3, 2, 24)
    # the actuals are the file's power at origin + lead - 1 h, farm by farm
    hours = ds["origin"].values[:, None] + (ds["lead"].values - 1).astype("timedelta64[h]")
    target = pd.DatetimeIndex(hours.ravel()).tz_localize("UTC")
    power = read_wind(WIND).power
    for k, farm in enumerate(out["series"]):
        np.testing.assert_allclose(
            ds["actual"].values[:, k], power[farm].reindex(target).to_numpy().reshape(3, 24)
        )
    # the JSON's figures, recomputed from the written forecasts (capacity 1: the power is normalised)
    a, f = ds["actual"].values, ds["forecast"].values
    pers, clim = ds["persistence"].values, ds["climatology"].values
    ok = np.isfinite(a) & np.isfinite(f) & np.isfinite(pers) & np.isfinite(clim)
    assert out["n_scored"] == ok.sum() == 3 * 2 * 24
    nmae, p_nmae = 100 * np.abs(f - a)[ok].mean(), 100 * np.abs(pers - a)[ok].mean()
    assert out["nmae_pct"] == pytest.approx(nmae, abs=1e-3)
    assert out["nrmse_pct"] == pytest.approx(100 * np.sqrt(((f - a)[ok] ** 2).mean()), abs=1e-3)
    assert out["baselines"]["persistence"]["nmae_pct"] == pytest.approx(p_nmae, abs=1e-3)
    assert out["baselines"]["climatology"]["nmae_pct"] == pytest.approx(
        100 * np.abs(clim - a)[ok].mean(), abs=1e-3
    )
    assert out["skill_vs_persistence_pct"] == pytest.approx(100 * (1 - nmae / p_nmae), abs=0.01)
    lo, hi = ds["q0.1"].values, ds["q0.9"].values
    assert out["coverage_80_pct"] == pytest.approx(100 * ((a >= lo) & (a <= hi))[ok].mean(), abs=0.01)
    assert out["width_80_pct"] == pytest.approx(100 * (hi - lo)[ok].mean(), abs=1e-3)
    assert json.loads(ds.attrs["summary"])["nmae_pct"] == out["nmae_pct"]


def test_renewables_backtest_bad_input_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["renewables", "backtest", "--csv", str(tmp_path / "none.csv"), "--json"])
    assert res.exit_code == 1 and "no such file" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,site,power\n2013-01-01T00:00Z,1,0.1\n")
    res = runner.invoke(app, ["renewables", "backtest", "--csv", str(bad), "--json"])
    assert res.exit_code == 1 and "missing column ssrd_j_m2_acc" in res.stderr
    res = runner.invoke(app, ["renewables", "backtest", "--csv", str(bad), "--kind", "tidal"])
    assert res.exit_code == 1 and "--kind must be solar or wind" in res.stderr
    res = runner.invoke(app, ["renewables", "backtest", "--csv", str(bad), "--lat", "10"])
    assert res.exit_code == 1 and "both --lat and --lon" in res.stderr


def test_forecast_renewables_figures_add_up_over_the_grids_generators(tmp_path: Path) -> None:
    from gridcore.forecast.renewables import renewable_actuals
    from gridcore.network.grid import load_grid

    runner = CliRunner()
    args = ["forecast", "renewables", "--at", "2016-07-01T00:00Z", "--horizon", "24", "--json"]
    res = runner.invoke(app, [*args, "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["issue_time"] == "2016-07-01T00:00Z" and out["horizon_h"] == 24
    grid = load_grid()
    sgen = grid.sgen.assign(type=grid.sgen["type"].astype(str))
    assert out["generators"] == len(sgen) == 121
    # installed power per type and in all: the grid's generators, summed here
    installed = sgen.groupby("type")["p_mw"].sum()
    assert set(out["types"]) == set(installed.index)
    for typ, mw in installed.items():
        assert out["types"][typ]["installed_mw"] == pytest.approx(mw, abs=1e-4)
    assert out["system"]["installed_mw"] == pytest.approx(sgen["p_mw"].sum(), abs=1e-4)
    # each type's energy is the sum of its generators' forecasts in the written file, the system's that of all
    ds = xr.open_zarr(out["written"]).load()
    point = ds["point_mw"].isel(issue_time=0).astype(float)
    per_sgen = point.sel(series=[f"sgen:{n}" for n in sgen["name"]]).sum("lead").values
    for typ in installed.index:
        mwh = per_sgen[(sgen["type"] == typ).to_numpy()].sum()
        assert out["types"][typ]["energy_mwh"] == pytest.approx(mwh, abs=2e-3), typ
    assert out["system"]["energy_mwh"] == pytest.approx(per_sgen.sum(), abs=5e-3)
    system = point.sel(series="system").values
    assert out["system"]["peak_mw"] == pytest.approx(system.max(), abs=1e-4)
    peak = pd.Timestamp("2016-07-01T00:00Z") + pd.Timedelta(hours=int(system.argmax()))
    assert out["system"]["peak_time"] == f"{peak:%Y-%m-%dT%H:%MZ}"
    assert out["system"]["p10_at_peak_mw"] <= out["system"]["peak_mw"] <= out["system"]["p90_at_peak_mw"]
    # and near the day the profiles then delivered (3 % off when written; 15 % allowed)
    issue = pd.Timestamp("2016-07-01T00:00Z")
    actual_mwh = renewable_actuals(grid, issue, issue + pd.Timedelta(hours=24)).to_numpy().sum()
    assert out["system"]["energy_mwh"] == pytest.approx(actual_mwh, rel=0.15)
    res = runner.invoke(app, ["forecast", "renewables", "--at", "2016-07-01T00:00", "--json"])
    assert res.exit_code == 1 and "UTC offset" in res.stderr
