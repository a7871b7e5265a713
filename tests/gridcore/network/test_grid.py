"""The grid cache: built once from the ``simbench`` package, then read without it.

The package is replaced by a stand-in that serves the small SimBench LV grid of
``tests/data/simbench`` with eight quarter hours of made-up profiles: the cache logic is what is tested,
in a second, not SimBench's 30-s conversion.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridcore.network import grid as grid_module
from gridcore.network.grid import cache_dir, load_grid, pandapower_net

NET = Path(__file__).parents[2] / "data" / "simbench" / "1-LV-rural1--0-sw" / "net.json"
CODE = "1-LV-rural1--0-sw"


@pytest.fixture
def fake_simbench(monkeypatch):
    """A ``simbench`` module that counts its calls; bus 5 has no coordinates."""
    calls = []
    rng = np.random.default_rng(0)

    def get_simbench_net(code: str) -> pp.pandapowerNet:
        calls.append(code)
        net = pp.from_json(str(NET))
        net.bus.loc[5, "geo"] = None
        return net

    def get_absolute_values(net, profiles_instead_of_study_cases):
        assert profiles_instead_of_study_cases
        steps = pd.RangeIndex(8)
        return {
            ("load", "p_mw"): pd.DataFrame(
                rng.random((8, len(net.load))), index=steps, columns=net.load.index
            ),
            ("load", "q_mvar"): pd.DataFrame(
                rng.random((8, len(net.load))), index=steps, columns=net.load.index
            ),
            ("sgen", "p_mw"): pd.DataFrame(
                rng.random((8, len(net.sgen))), index=steps, columns=net.sgen.index
            ),
        }

    module = types.SimpleNamespace(get_simbench_net=get_simbench_net, get_absolute_values=get_absolute_values)
    monkeypatch.setitem(sys.modules, "simbench", module)
    return calls


def test_cache_is_built_once_and_read_back(tmp_path, fake_simbench) -> None:
    model = load_grid(CODE, cache=tmp_path)
    source = pp.from_json(str(NET))
    assert fake_simbench == [CODE] and model.code == CODE
    pd.testing.assert_series_equal(model.bus["vn_kv"], source.bus["vn_kv"])
    pd.testing.assert_frame_equal(model.line[["from_bus", "to_bus"]], source.line[["from_bus", "to_bus"]])
    assert list(model.load["profile"]) == list(source.load["profile"])
    assert list(model.sgen["type"]) == ["PV"] * 4 and model.switch["closed"].all()
    assert model.load_p_mw.shape == (8, 13) and model.sgen_p_mw.shape == (8, 4)
    assert model.profile_start == pd.Timestamp("2016-01-01T00:00Z")
    coords = json.loads(source.bus.at[0, "geo"])["coordinates"]
    assert (model.bus.at[0, "x"], model.bus.at[0, "y"]) == tuple(coords)
    assert np.isnan(model.bus.at[5, "x"]) and np.isnan(model.bus.at[5, "y"])  # no coordinates: NaN
    # read again: from the cache, the package is not asked again
    again = load_grid(CODE, cache=tmp_path)
    net = pandapower_net(CODE, cache=tmp_path)
    assert fake_simbench == [CODE]
    np.testing.assert_array_equal(again.load_q_mvar, model.load_q_mvar)
    assert again.fingerprint == model.fingerprint
    assert len(net.bus) == 15 and list(net.load.index) == list(model.load.index)
    assert not list(tmp_path.glob("*.tmp*"))  # the build folder was renamed into place


def test_pandapower_net_builds_the_cache_when_missing(tmp_path, fake_simbench) -> None:
    net = pandapower_net(CODE, cache=tmp_path)
    assert fake_simbench == [CODE] and len(net.line) == 13
    assert (tmp_path / f"simbench-{CODE}-v1" / "done").exists()


def test_a_build_that_lost_the_race_leaves_the_winner_in_place(tmp_path, fake_simbench) -> None:
    load_grid(CODE, cache=tmp_path)
    folder = tmp_path / f"simbench-{CODE}-v1"
    before = (folder / "profiles.npz").read_bytes()
    grid_module._build_cache(CODE, folder)  # another process finishes second
    assert (folder / "profiles.npz").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]


def test_cache_dir_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GRIDFLOW_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("GRIDFLOW_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "gridflow"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "gridflow"


def test_profile_index_maps_any_year_onto_the_profile_year(tmp_path, fake_simbench) -> None:
    model = load_grid(CODE, cache=tmp_path)
    times = pd.DatetimeIndex(
        ["2016-01-01T00:00Z", "2016-01-01T00:15Z", "2023-01-01T01:00Z", "2024-12-31T23:45Z"]
    )
    np.testing.assert_array_equal(model.profile_index(times), [0, 1, 4, grid_module.STEPS_PER_YEAR - 1])
