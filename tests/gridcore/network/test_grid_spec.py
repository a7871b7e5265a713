"""``--grid``: SimBench codes (MV, LV, MV+LV) and case files resolved to a network and its profiles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandapower as pp
import pytest

from gridcore.errors import InputError
from gridcore.network.grid import DEFAULT_GRID, STEPS_PER_YEAR, pandapower_net
from gridcore.network.grid_spec import GRID_ENV, GridSpec, grid_model, parse_grid, resolve_grid

CASE9 = Path(__file__).parents[2] / "data" / "power_flow" / "matpower_case9" / "case9.m"


def test_parse_codes_files_env_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GRID_ENV, raising=False)
    assert parse_grid(None) == GridSpec(code=DEFAULT_GRID)
    assert parse_grid("1-LV-rural2--2-sw").code == "1-LV-rural2--2-sw"
    assert parse_grid("1-MVLV-semiurb-5.220-2-sw").is_simbench
    spec = parse_grid(CASE9)
    assert spec.path == CASE9 and not spec.is_simbench and spec.label == str(CASE9)
    assert parse_grid(spec) is spec
    monkeypatch.setenv(GRID_ENV, "1-MV-semiurb--2-sw")
    assert parse_grid(None).code == "1-MV-semiurb--2-sw"
    monkeypatch.setenv(GRID_ENV, "nonsense")
    with pytest.raises(InputError, match="GRIDFLOW_GRID 'nonsense'"):
        parse_grid(None)


def test_parse_rejects_bad_specs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--grid 'MV-semiurb': neither a SimBench code"):
        parse_grid("MV-semiurb")
    with pytest.raises(InputError, match="no such case file"):
        parse_grid(tmp_path / "missing.json")
    other = tmp_path / "grid.txt"
    other.write_text("x")
    with pytest.raises(InputError, match="unsupported case format"):
        parse_grid(other)
    with pytest.raises(InputError, match="not a SimBench code"):
        resolve_grid("1-LV-nowhere--2-sw")


def test_parse_imports_no_pandas() -> None:
    code = (
        "import sys, gridcore.network.grid_spec as g; g.parse_grid('1-LV-rural2--2-sw'); "
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("code", ["1-LV-rural2--2-sw", "1-MV-semiurb--2-sw", DEFAULT_GRID])
def test_simbench_codes_resolve_with_profiles(code: str) -> None:
    grid = resolve_grid(code)
    assert grid.label == code and grid.model is not None
    # the default world: two years (2015-2016) of quarter hours
    assert grid.model.load_p_mw.shape == (2 * STEPS_PER_YEAR - 96, len(grid.net.load))
    assert grid.model.sgen_p_mw.shape == (2 * STEPS_PER_YEAR - 96, len(grid.net.sgen))
    assert list(grid.model.load.index) == list(grid.net.load.index)
    # profiles peak near the rated power of the loads (SimBench scales relative profiles by p_mw)
    assert np.nanmax(grid.model.load_p_mw.sum(axis=1)) <= grid.net.load["p_mw"].sum() * 1.0001
    assert grid_model(code) is not None


def test_mvlv_code_loads() -> None:
    grid = resolve_grid("1-MVLV-semiurb-5.220-2-sw")
    assert grid.model is not None and set(grid.net.bus["vn_kv"].round(1)) >= {0.4, 20.0}
    assert grid.model.load_p_mw.shape[1] == len(grid.net.load)


def test_matpower_file_has_no_profiles() -> None:
    grid = resolve_grid(CASE9)
    assert grid.model is None and len(grid.net.bus) == 9
    with pytest.raises(InputError, match="no yearly load profiles"):
        grid_model(CASE9)


def test_pandapower_file_of_a_simbench_net_keeps_its_profiles(tmp_path: Path) -> None:
    path = tmp_path / "rural2.json"
    pp.to_json(pandapower_net("1-LV-rural2--2-sw"), str(path))
    model = grid_model(path)
    ref = grid_model("1-LV-rural2--2-sw")
    assert model.code == str(path)
    np.testing.assert_allclose(model.load_p_mw, ref.load_p_mw)
    np.testing.assert_allclose(model.sgen_p_mw, ref.sgen_p_mw)
    assert model.fingerprint == ref.fingerprint


def test_unreadable_case_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="bad.json"):
        resolve_grid(path)


def test_gridflow_grid_sets_the_pipelines_grid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from gridcore.network.grid import default_code, load_grid

    monkeypatch.delenv(GRID_ENV, raising=False)
    assert default_code() == DEFAULT_GRID
    monkeypatch.setenv(GRID_ENV, "1-LV-rural2--2-sw")
    assert default_code() == "1-LV-rural2--2-sw" and load_grid().code == "1-LV-rural2--2-sw"
    monkeypatch.setenv(GRID_ENV, str(tmp_path / "grid.json"))
    with pytest.raises(InputError, match="needs a SimBench code"):
        default_code()


def test_meter_fleet_on_the_chosen_grid() -> None:
    from gridcore.system import default_system

    system = default_system(500, grid_code="1-LV-rural2--2-sw")
    grid = grid_model("1-LV-rural2--2-sw")
    assert system.grid.code == "1-LV-rural2--2-sw" and len(system.fleet) == 500
    assert set(system.fleet["load"]) <= set(grid.load.index)
    assert set(system.fleet["bus"]) <= set(grid.bus.index)
