"""``gridflow scenario list / run / compare``: the JSON contract, user files, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from gridcore.scenarios.spec import builtin_files


def _json(args: list[str]) -> dict:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def _error(args: list[str]) -> str:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridflow: ")
    return lines[0]


def _copy(tmp_path: Path, name: str, **replace: str) -> Path:
    text = builtin_files()[name].read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{name}-copy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_list() -> None:
    out = _json(["scenario", "list", "--json"])
    names = [s["name"] for s in out["scenarios"]]
    for name in ("heat-wave", "cloudy-solar", "plant-outage", "maintenance", "evening-ramp"):
        assert name in names
    assert all(Path(s["file"]).is_file() and s["description"] for s in out["scenarios"])


def test_run_a_users_copy(tmp_path: Path) -> None:
    ramp = _copy(tmp_path, "evening-ramp", **{"surge_pct = 25.0": "surge_pct = 30.0"})
    out = _json(["scenario", "run", "--file", str(ramp), "--store", str(tmp_path / "store"), "--json"])
    assert out["scenario"] == "evening-ramp" and out["source"] == str(ramp)
    assert Path(out["report"]) == tmp_path / "store" / "scenarios" / "evening-ramp" / "report.md"
    assert out["constraints_before"]["shortfall"] >= 1
    assert out["constraints_resolved"] == out["constraints_found"] and out["critical_affected"] == 0
    assert out["peak_reduction_pct"] > 0 and out["seconds"] < 60
    assert out["ramp_before_mw_per_h"] > 0


def test_compare_two_orders(tmp_path: Path) -> None:
    a = _copy(tmp_path, "evening-ramp")
    b = _copy(tmp_path, "evening-ramp-storage-first")
    out = _json(["scenario", "compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "--json"])
    assert out["a"]["order"][0] == "prices" and out["b"]["order"][0] == "batteries"
    assert set(out["difference"]) >= {"unserved_mwh", "peak_reduction_pct", "renewable_utilization_pct"}
    report = Path(out["report"]).read_text(encoding="utf-8")
    assert "prices -> batteries -> shedding" in report and "batteries -> prices -> shedding" in report
    assert (tmp_path / "cmp" / "a-evening-ramp" / "report.md").is_file()


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    assert "known:" in _error(["scenario", "run", "no-such-scenario", "--json"])
    assert "NAME" in _error(["scenario", "run", "--json"])
    assert "--all" in _error(["scenario", "run", "heat-wave", "--all", "--json"])
    assert "known:" in _error(["scenario", "run-all", "heat-wave", "no-such-scenario", "--json"])
    bad = _copy(tmp_path, "plant-outage", **{"import_limit_mw = 24.0": "import_limit_mw = -5"})
    assert "supply.import_limit_mw" in _error(["scenario", "run", "--file", str(bad), "--json"])


def test_name_and_file_must_agree_and_out_must_be_a_folder(tmp_path: Path) -> None:
    heat = _copy(tmp_path, "heat-wave")
    line = _error(["scenario", "run", "maintenance", "--file", str(heat), "--json"])
    assert "NAME 'maintenance'" in line and "'heat-wave'" in line and "disagree" in line
    afile = tmp_path / "report.txt"
    afile.write_text("x", encoding="utf-8")
    assert "--out" in _error(["scenario", "run", "plant-outage", "--out", str(afile), "--json"])
    assert "--out" in _error(["scenario", "compare", "heat-wave", "maintenance", "--out", str(afile)])
