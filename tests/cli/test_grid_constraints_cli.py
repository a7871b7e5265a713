"""``gridflow grid constraints`` and ``--grid`` / GRIDFLOW_GRID on the grid commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from gridcore.lookahead import read_constraint_periods
from gridcore.network.grid import load_grid

CASE9 = Path(__file__).parents[1] / "data" / "power_flow" / "matpower_case9" / "case9.m"


def _json(args: list[str], env: dict[str, str] | None = None) -> dict:
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def _error(args: list[str], env: dict[str, str] | None = None) -> str:
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 1, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridflow: ")
    return lines[0]


def test_study_case_on_the_congested_lv_grid(tmp_path: Path) -> None:
    out = _json(
        [
            "grid",
            "constraints",
            "--grid",
            "1-LV-rural2--2-sw",
            "--study-case",
            "hL",
            "--at",
            "2016-07-01T18:00Z",
        ]
        + ["--store", str(tmp_path), "--json"]
    )
    assert out["grid"] == "1-LV-rural2--2-sw" and out["study_case"] == "hL" and out["horizon_h"] == 1
    assert out["issue_time"] == "2016-07-01T18:00:00Z" and out["written"] is None
    trafo = [p for p in out["periods"] if p["element"] == "trafo:0"]
    assert (
        len(trafo) == 1
        and trafo[0]["kind"] == "overload"
        and trafo[0]["worst"] == pytest.approx(120.0, abs=0.1)
    )
    assert out["vm_min_pu"] == pytest.approx(0.871, abs=0.001)
    assert {"element", "kind", "start", "end", "worst", "relief_mw"} <= set(out["periods"][0])
    assert all(p["relief_mw"] > 0 for p in out["periods"])
    assert out["seconds"] > 0 and out["source"]["load"] == "study case hL"


def test_look_ahead_with_a_supply_limit_is_stored(tmp_path: Path) -> None:
    out = _json(
        ["grid", "constraints", "--at", "2016-07-01T00:00Z", "--horizon", "24", "--supply-mw", "2.5"]
        + ["--store", str(tmp_path), "--json"]
    )
    assert out["grid"] == "1-MV-semiurb--0-sw" and out["horizon_h"] == 24 and out["converged_hours"] == 24
    assert out["source"] == {"load": "profiles", "generation": "profiles", "batteries": "none"}
    short = [p for p in out["periods"] if p["kind"] == "shortfall"]
    assert short and all(p["element"] == "supply" and p["worst"] > 2.5 for p in short)
    assert all(p["relief_mw"] == pytest.approx(p["worst"] - 2.5, abs=1e-3) for p in short)
    periods, attrs = read_constraint_periods(tmp_path)
    assert [p.to_dict() for p in periods] == out["periods"] and attrs["grid"] == "1-MV-semiurb--0-sw"


def test_grid_option_and_environment_on_power_flow() -> None:
    out = _json(["grid", "powerflow", "--grid", str(CASE9), "--json"])
    assert out["case"] == str(CASE9) and len(out["buses"]) == 9
    out = _json(["grid", "powerflow", "--json"], env={"GRIDFLOW_GRID": "1-LV-urban6--2-sw"})
    assert out["case"] == "1-LV-urban6--2-sw"


def test_bad_grids_and_study_cases() -> None:
    assert "--grid 'nowhere'" in _error(["grid", "constraints", "--grid", "nowhere", "--json"])
    assert "GRIDFLOW_GRID" in _error(["grid", "powerflow", "--json"], env={"GRIDFLOW_GRID": "x.json"})
    assert "unknown; use one of hL" in _error(["grid", "constraints", "--study-case", "peak", "--json"])
    assert "no yearly profiles" in _error(["grid", "constraints", "--grid", str(CASE9), "--json"])
    line = _error(["grid", "constraints", "--grid", str(CASE9), "--study-case", "hL", "--json"])
    assert "no SimBench study cases" in line
    assert "give the grid once" in _error(["grid", "powerflow", "--case", str(CASE9), "--grid", str(CASE9)])


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (["--voltage-band", "MV=low:1.03"], "--voltage-band", "'MV=low:1.03': write LEVEL=LOW:HIGH"),
        (["--voltage-band", "XV=0.9:1.1"], "--voltage-band", "unknown level 'XV'; use one of"),
        (["--at", "2016-07-01T12:00Z"], "--at", "does not apply to --grid FILE without profiles"),
        (["--case", str(CASE9)], "--case", "give the grid once"),
    ],
)
def test_bad_power_flow_options_are_one_line_input_errors(args: list[str], field: str, message: str) -> None:
    from cli.grid.base import _bands, _resolve
    from gridcore.errors import InputError

    case = CASE9 if args[0] == "--case" else None
    at = args[1] if args[0] == "--at" else None

    assert message in _error(["grid", "powerflow", "--grid", str(CASE9), *args, "--json"])
    with pytest.raises(InputError) as err:  # the error names its option
        if args[0] == "--voltage-band":
            _bands(args[1:])
        else:
            _resolve(case, at, str(CASE9))
    assert err.value.field == field and message in str(err.value)


def test_pipeline_commands_take_a_simbench_grid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDFLOW_GRID", "")
    out = _json(["grid", "topology", "--grid", "1-LV-rural2--2-sw", "--store", str(tmp_path), "--json"])
    assert out["feeders"] == 5 and out["fingerprint"] == load_grid("1-LV-rural2--2-sw").fingerprint
    assert os.environ["GRIDFLOW_GRID"] == ""  # --grid set it for the command only
    assert "needs a SimBench code" in _error(["grid", "topology", "--grid", str(CASE9), "--json"])
