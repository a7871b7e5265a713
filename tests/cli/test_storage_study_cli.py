"""`gridflow storage study`: JSON keys and files of a tiny configuration, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cli.main import app


def test_storage_study_json_keys_and_files(tmp_path: Path) -> None:
    args = ["storage", "study", "--no-year", "--sizes", "1", "--multipliers", "1", "--json"]
    res = CliRunner().invoke(app, [*args, "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("strategies", "periods", "table", "best", "degradation_tradeoff", "written", "seconds"):
        assert key in out
    assert out["strategies"] == ["none", "uniform", "proportional_pv", "constrained_feeders", "central"]
    assert out["periods"] == ["summer_week", "winter_week"] and out["sites"] == 114
    assert len(out["table"]) == 2 * 5 and len(out["degradation_tradeoff"]) == 2
    assert set(out["best"]) == {"summer_week", "winter_week"}
    totals = {r["total_mwh"] for r in out["table"] if r["strategy"] != "none"}
    assert totals == {out["base_mwh"]}
    util = out["utilization_pct_at_base"]["summer_week"]
    assert util[out["best"]["summer_week"]] == max(v for k, v in util.items() if k != "none")
    folder = tmp_path / "storage_study"
    assert {Path(p).parent for p in out["written"].values()} == {folder}
    for path in out["written"].values():
        assert Path(path).stat().st_size > 0
    table = pd.read_csv(out["written"]["table"])
    assert len(table) == 10 and "utilization_pct" in table
    assert Path(out["written"]["plot"]).read_bytes()[:4] == b"\x89PNG"


def test_storage_study_year_with_progress_bar(tmp_path: Path) -> None:
    out_dir = tmp_path / "study"
    args = ["storage", "study", "--weeks", "1", "--sizes", "1", "--multipliers", "1", "--out", str(out_dir)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (
        "utilization" in res.stdout and "best" in res.stdout and str(out_dir) in res.stdout.replace("\n", "")
    )
    table = pd.read_csv(out_dir / "study.csv")
    assert set(table["period"]) == {"summer_week", "winter_week", "year"}


def test_storage_study_bad_input_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["storage", "study", "--sizes", "1,x", "--json", "--store", str(tmp_path)])
    assert res.exit_code == 1 and "--sizes" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["storage", "study", "--sizes", "", "--json", "--store", str(tmp_path)])
    assert res.exit_code == 1 and "at least one number" in res.stderr
    res = runner.invoke(
        app, ["storage", "study", "--summer", "2016-07-01", "--json", "--store", str(tmp_path)]
    )
    assert res.exit_code == 1 and "no UTC offset" in res.stderr
