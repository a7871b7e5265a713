"""``gridflow monitor``: a fresh store (the hour is run first, or what is missing is said), bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

AT = "2016-07-04T19:00Z"


def _json(args: list[str]) -> dict:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_an_empty_store_says_what_is_missing(tmp_path: Path) -> None:
    out = _json(
        ["monitor", "--at", AT, "--store", str(tmp_path / "s"), "--no-ingest", "--meters", "2000", "--json"]
    )
    assert out["at"] == "2016-07-04T19:00:00Z"
    assert out["total"] == 0 and out["anomalies"] == [] and out["counts"] == {}
    assert len(out["missing"]) == 3
    assert "gridflow run hourly --at 2016-07-04T19:00Z" in out["missing"][0]
    assert out["seconds"] > 0


def test_a_fresh_store_runs_the_hour_first(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    out = _json(["monitor", "--at", AT, "--store", store, "--meters", "2000", "--json"])
    assert out["ran"]["hourly"] == "hourly/2016-07-04T19:00Z"
    assert out["checked"]["meters"] == 2000 and out["checked"]["sensors"] > 200
    assert not any("meter readings" in m for m in out["missing"])
    for a in out["anomalies"]:  # the default feed's register faults: negative readings, i.e. reverse flow
        assert {"type", "severity", "place", "place_kind", "start", "end", "evidence"} <= set(a)
    assert sum(sum(s.values()) for s in out["counts"].values()) == out["total"]
    again = _json(["monitor", "--at", AT, "--store", store, "--meters", "2000", "--json"])
    assert "ran" not in again and again["total"] == out["total"]
    res = CliRunner().invoke(app, ["monitor", "--at", AT, "--store", store, "--meters", "2000"])
    assert res.exit_code == 0 and "gridflow monitor" in res.stdout


def test_bad_time_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["monitor", "--at", "2016-07-04T19:00", "--store", str(tmp_path), "--json"])
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridflow: ") and "--at" in lines[0]


def test_another_grid_runs_its_hour_into_an_empty_store_and_is_refused_by_anothers(tmp_path: Path) -> None:
    import xarray as xr

    lv = "1-LV-rural2--2-sw"
    store = tmp_path / "lv"
    out = _json(["monitor", "--at", AT, "--store", str(store), "--grid", lv, "--meters", "500", "--json"])
    assert out["ran"]["hourly"] == "hourly/2016-07-04T19:00Z" and out["checked"]["meters"] == 500
    for product in ("readings", "sensors", "feeder_load_hourly"):
        assert xr.open_zarr(store / f"{product}.zarr").attrs["grid"] == lv, product
    # the LV store, another hour, the default grid: refused in one line before any flow runs
    res = CliRunner().invoke(app, ["monitor", "--at", "2016-07-04T20:00Z", "--store", str(store), "--json"])
    assert res.exit_code == 1
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("gridflow: --grid 1-MV-semiurb--0-sw: the store ") and f"made on {lv}" in line
    assert not any((store / "reports").glob("*20160704t20*"))
