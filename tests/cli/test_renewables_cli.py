"""The renewable commands: `renewables backtest` and `forecast renewables` (JSON keys, bad input)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

DATA = Path(__file__).parents[1] / "data" / "renewables"


def test_renewables_backtest_json_keys(tmp_path: Path) -> None:
    args = ["renewables", "backtest", "--csv", str(DATA / "gefcom2012_wind_slice.csv.gz"), "--json"]
    args += ["--test-days", "3", "--calibration-days", "5", "--train-days", "30", "--horizon", "24"]
    res = CliRunner().invoke(app, [*args, "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("kind", "nmae_pct", "nrmse_pct", "coverage_80_pct", "pinball", "n_origins", "horizon_h"):
        assert key in out
    assert out["kind"] == "wind" and out["n_origins"] == 3 and out["horizon_h"] == 24
    assert set(out["baselines"]) == {"persistence", "climatology"}
    assert "skill_vs_persistence_pct" in out and Path(out["written"]).exists()


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


def test_forecast_renewables_writes_the_store(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["forecast", "renewables", "--at", "2016-07-01T00:00Z", "--horizon", "24", "--json"]
    res = runner.invoke(app, [*args, "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["issue_time"] == "2016-07-01T00:00Z" and out["horizon_h"] == 24
    assert out["generators"] == 121 and "Wind_MV" in out["types"] and "energy_mwh" in out["system"]
    assert Path(out["written"]).exists()
    res = runner.invoke(app, ["forecast", "renewables", "--at", "2016-07-01T00:00", "--json"])
    assert res.exit_code == 1 and "UTC offset" in res.stderr
