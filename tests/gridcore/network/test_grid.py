"""The grid cache: built once from the ``simbench`` package, then read without it.

The package is replaced by a stand-in that serves the small SimBench LV grid of
``tests/data/simbench`` with eight quarter hours of made-up profiles: the cache logic is what is tested,
in a second, not SimBench's 30-s conversion.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from filelock import FileLock

from gridcore.errors import InputError
from gridcore.network import grid as grid_module
from gridcore.network.grid import GridCacheError, cache_dir, cache_folder, load_grid, pandapower_net

NET = Path(__file__).parents[2] / "data" / "simbench" / "1-LV-rural1--0-sw" / "net.json"
CODE = "1-LV-rural1--0-sw"


def _folder(root: Path) -> Path:
    return cache_folder(CODE, root)


def _fake_module(calls: list, delay_s: float = 0.0) -> types.SimpleNamespace:
    """A ``simbench`` serving the small grid and 8 quarter hours of profiles; bus 5 has no coordinates."""

    def get_simbench_net(code: str) -> pp.pandapowerNet:
        calls.append(code)
        time.sleep(delay_s)  # widens the window in which other threads find no cache
        net = pp.from_json(str(NET))
        net.bus.loc[5, "geo"] = None
        return net

    def get_absolute_values(net, profiles_instead_of_study_cases):
        assert profiles_instead_of_study_cases
        rng = np.random.default_rng(0)
        return {
            key: pd.DataFrame(rng.random((8, len(net[key[0]]))), columns=net[key[0]].index)
            for key in (("load", "p_mw"), ("load", "q_mvar"), ("sgen", "p_mw"))
        }

    return types.SimpleNamespace(get_simbench_net=get_simbench_net, get_absolute_values=get_absolute_values)


@pytest.fixture
def fake_simbench(monkeypatch) -> list:
    """The calls of a stand-in ``simbench`` module (see :func:`_fake_module`)."""
    calls: list = []
    monkeypatch.setitem(sys.modules, "simbench", _fake_module(calls))
    return calls


def test_cache_is_built_once_and_read_back(tmp_path, fake_simbench) -> None:
    model = load_grid(CODE, demand="simbench", cache=tmp_path)
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
    again = load_grid(CODE, demand="simbench", cache=tmp_path)
    net = pandapower_net(CODE, cache=tmp_path)
    assert fake_simbench == [CODE]
    np.testing.assert_array_equal(again.load_q_mvar, model.load_q_mvar)
    assert again.fingerprint == model.fingerprint
    assert len(net.bus) == 15 and list(net.load.index) == list(model.load.index)
    assert not list(tmp_path.glob("*.tmp*"))  # the build folder was renamed into place


def test_pandapower_net_builds_the_cache_when_missing(tmp_path, fake_simbench) -> None:
    net = pandapower_net(CODE, cache=tmp_path)
    assert fake_simbench == [CODE] and len(net.line) == 13
    manifest = json.loads((_folder(tmp_path) / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(
        [f"{t}.parquet" for t in ("bus", "line", "trafo", "switch", "load", "sgen")]
        + ["profiles.npz", "net.json", "meta.json"]
    )


def test_cache_dir_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GRIDFLOW_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("GRIDFLOW_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "gridflow"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "gridflow"


def test_profile_index_maps_any_year_onto_the_profile(tmp_path, fake_simbench) -> None:
    model = load_grid(CODE, demand="simbench", cache=tmp_path)
    times = pd.DatetimeIndex(
        ["2016-01-01T00:00Z", "2016-01-01T00:15Z", "2023-01-01T01:00Z", "2024-12-31T23:45Z"]
    )
    # the stand-in's profile is 8 quarter hours (one day, cut short): later rows are its last
    np.testing.assert_array_equal(model.profile_index(times), [0, 1, 4, 7])
    with pytest.raises(InputError, match="demand"):
        load_grid(CODE, cache=tmp_path, demand="synthetic")
    with pytest.raises(InputError, match="35136 quarter hours, got 8"):
        load_grid(CODE, cache=tmp_path)


# ---- a cache that heals itself -------------------------------------------------------------------------

TABLES = ("bus", "line", "trafo", "switch", "load", "sgen")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A cache of the small grid, built once for this module; tests damage copies of it."""
    root = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "simbench", _fake_module([]))
        load_grid(CODE, demand="simbench", cache=root)
    return root


@pytest.fixture
def copy_of_built(built, tmp_path) -> Path:
    shutil.copytree(built, tmp_path / "cache")
    return tmp_path / "cache"


def _loop(path: Path) -> None:
    """Replace a file by a symbolic link to itself: it exists, but reading it fails."""
    path.unlink()
    path.symlink_to(path)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == grid_module.__name__ and r.levelno >= 30]


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if ".tmp" in p.name or ".old-" in p.name)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda f: (f / "bus.parquet").write_bytes(b""), r"bus\.parquet: size 0, expected \d+"),
        (lambda f: (f / "profiles.npz").unlink(), r"profiles\.npz: missing"),
        (
            lambda f: (f / "meta.json").write_text("{}" + " " * (len((f / "meta.json").read_text()) - 2)),
            "CRC-32",
        ),
        (lambda f: (f / "manifest.json").unlink(), "manifest.json missing"),
        (lambda f: (f / "manifest.json").write_text("garbage"), "manifest.json unreadable"),
        (
            lambda f: (f / "manifest.json").write_text('{"files": {"bus.parquet": {}}}'),
            "bus.parquet not in manifest.json",
        ),
        (lambda f: _loop(f / "switch.parquet"), "switch.parquet: Too many levels of symbolic links"),
        (lambda f: shutil.rmtree(f) or f.mkdir(), "manifest.json missing"),
    ],
    ids=[
        "truncated-parquet",
        "deleted-npz",
        "same-size-garbage",
        "no-manifest",
        "bad-manifest",
        "manifest-short",
        "unreadable",
        "emptied",
    ],
)
def test_a_damaged_cache_rebuilds_itself_with_one_line(
    copy_of_built, fake_simbench, caplog, damage, expected
):
    calls = fake_simbench
    folder = _folder(copy_of_built)
    good = load_grid(CODE, demand="simbench", cache=copy_of_built)
    damage(folder)
    model = load_grid(CODE, demand="simbench", cache=copy_of_built)
    assert calls == [CODE]
    (line,) = _warnings(caplog)
    assert re.fullmatch(
        rf"gridflow: grid cache {re.escape(str(folder))} damaged \(.*{expected}.*\); rebuilding", line
    )
    assert model.fingerprint == good.fingerprint
    again = load_grid(CODE, demand="simbench", cache=copy_of_built)
    assert again.fingerprint == good.fingerprint and calls == [CODE]
    assert _leftovers(copy_of_built) == []


def test_garbage_net_json_is_healed_for_pandapower_net(copy_of_built, fake_simbench, caplog) -> None:
    calls = fake_simbench
    net_json = _folder(copy_of_built) / "net.json"
    net_json.write_text("not json at all")
    net = pandapower_net(CODE, cache=copy_of_built)
    assert len(net.bus) == 15 and calls == [CODE]
    (line,) = _warnings(caplog)
    assert "net.json: size 15, expected" in line


def test_an_unreadable_file_that_matches_its_manifest_is_rebuilt_not_raised(
    copy_of_built, fake_simbench, caplog
):
    """Reading errors (here pyarrow's) never surface: the cache is rebuilt and read again."""
    calls = fake_simbench
    folder = _folder(copy_of_built)
    (folder / "line.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["line.parquet"] = {
        "size": 28,
        "crc32": grid_module._crc32(folder / "line.parquet"),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    model = load_grid(CODE, demand="simbench", cache=copy_of_built)
    assert len(model.line) == 13 and calls == [CODE]
    (line,) = _warnings(caplog)
    assert "damaged (unreadable: ArrowInvalid" in line


def test_a_failed_build_names_the_cache_and_leaves_no_folder(tmp_path, monkeypatch) -> None:
    def broken(code):
        raise ConnectionError("no network")

    monkeypatch.setitem(sys.modules, "simbench", types.SimpleNamespace(get_simbench_net=broken))
    with pytest.raises(
        GridCacheError, match=rf"cannot build grid cache {re.escape(str(_folder(tmp_path)))}: "
    ):
        load_grid(CODE, demand="simbench", cache=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"{_folder(tmp_path).name}.lock"]


def test_an_interrupted_build_removes_its_folder(tmp_path, monkeypatch) -> None:
    def interrupted(code):
        raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "simbench", types.SimpleNamespace(get_simbench_net=interrupted))
    with pytest.raises(KeyboardInterrupt):
        load_grid(CODE, demand="simbench", cache=tmp_path)
    assert _leftovers(tmp_path) == [] and not _folder(tmp_path).exists()


def test_a_cache_unreadable_even_after_a_rebuild_is_an_error(tmp_path, fake_simbench, monkeypatch) -> None:
    def unreadable(code, folder):
        raise OSError("disk on fire")

    monkeypatch.setattr(grid_module, "_read_model", unreadable)
    with pytest.raises(
        GridCacheError, match="unreadable after a rebuild \\(unreadable: OSError: disk on fire\\)"
    ):
        load_grid(CODE, demand="simbench", cache=tmp_path)
    assert fake_simbench == [CODE]


def test_waiting_too_long_for_another_build_is_an_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(grid_module, "_LOCK_TIMEOUT_S", 0.1)
    with (
        FileLock(tmp_path / f"{_folder(tmp_path).name}.lock"),
        pytest.raises(GridCacheError, match="is a build stuck"),
    ):
        load_grid(CODE, demand="simbench", cache=tmp_path)


def test_leftovers_beside_a_valid_cache_go_when_no_build_runs(copy_of_built, fake_simbench) -> None:
    folder = _folder(copy_of_built)
    for name in (f"{folder.name}.tmp-dead", f"{folder.name}.old-dead"):
        (copy_of_built / name).mkdir()
        (copy_of_built / name / "net.json").write_text("{}")
    with FileLock(copy_of_built / f"{folder.name}.lock"):  # a build runs elsewhere: its folders stay
        load_grid(CODE, demand="simbench", cache=copy_of_built)
        assert len(_leftovers(copy_of_built)) == 2
    load_grid(CODE, demand="simbench", cache=copy_of_built)
    assert _leftovers(copy_of_built) == []


def test_threads_on_an_empty_cache_build_it_once(tmp_path, monkeypatch) -> None:
    calls: list = []
    monkeypatch.setitem(sys.modules, "simbench", _fake_module(calls, delay_s=0.3))
    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(lambda _: load_grid(CODE, demand="simbench", cache=tmp_path), range(4)))
    assert calls == [CODE]
    assert len({m.fingerprint for m in models}) == 1


# ---- between processes -----------------------------------------------------------------------------------

STUB = '''\
"""Stand-in for ``simbench`` in child processes: the small grid, 8 quarter hours, a log line per build."""
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandapower as pp


def get_simbench_net(code):
    with open(os.environ["STUB_LOG"], "a") as f:
        f.write(f"{os.getpid()} {code}\\n")
    time.sleep(float(os.environ.get("STUB_DELAY", "0")))
    return pp.from_json(os.environ["STUB_NET"])


def get_absolute_values(net, profiles_instead_of_study_cases):
    if os.environ.get("STUB_HANG"):
        Path(os.environ["STUB_HANG"]).write_text("net.json written, now building the profiles")
        time.sleep(600)
    rng = np.random.default_rng(0)
    return {
        key: pd.DataFrame(rng.random((8, len(net[key[0]]))), columns=net[key[0]].index)
        for key in (("load", "p_mw"), ("load", "q_mvar"), ("sgen", "p_mw"))
    }
'''
CHILD = "import sys; from pathlib import Path; from gridcore.network.grid import load_grid; " + (
    "print(load_grid(sys.argv[1], Path(sys.argv[2]), demand='simbench').fingerprint)"
)
ROOT = Path(__file__).parents[3]


@pytest.fixture
def child_env(tmp_path) -> dict[str, str]:
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "simbench.py").write_text(STUB)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(stub), str(ROOT)]),
        "STUB_NET": str(NET),
        "STUB_LOG": str(tmp_path / "builds.log"),
    }


def _child(env: dict[str, str], cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, CODE, str(cache)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_processes_on_an_empty_cache_all_succeed_with_one_build(tmp_path, child_env) -> None:
    cache = tmp_path / "cache"
    children = [_child({**child_env, "STUB_DELAY": "1"}, cache) for _ in range(3)]
    results = [c.communicate(timeout=120) for c in children]
    assert [c.returncode for c in children] == [0, 0, 0], [err for _, err in results]
    assert len({out.strip() for out, _ in results}) == 1
    assert len((tmp_path / "builds.log").read_text().splitlines()) == 1
    assert _leftovers(cache) == [] and (_folder(cache) / "manifest.json").exists()


def test_a_build_killed_mid_way_is_cleaned_up_by_the_next_load(tmp_path, child_env, fake_simbench) -> None:
    cache, started = tmp_path / "cache", tmp_path / "started"
    child = _child({**child_env, "STUB_HANG": str(started)}, cache)
    deadline = time.monotonic() + 120
    while not started.exists():
        assert child.poll() is None, child.communicate()[1]
        assert time.monotonic() < deadline, "the child never started building"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    (partial,) = [p for p in cache.iterdir() if ".tmp-" in p.name]  # what SIGKILL left: a half-built folder
    assert (partial / "net.json").exists() and not (partial / "manifest.json").exists()
    assert not _folder(cache).exists()
    model = load_grid(CODE, demand="simbench", cache=cache)
    assert len(model.bus) == 15 and fake_simbench == [CODE]
    assert _leftovers(cache) == []


def test_a_grid_read_again_is_a_copy_until_its_files_change(
    copy_of_built, fake_simbench, monkeypatch
) -> None:
    reads: list[str] = []
    real = grid_module._read_model
    monkeypatch.setattr(
        grid_module, "_read_model", lambda code, folder: reads.append(code) or real(code, folder)
    )
    first = load_grid(CODE, demand="simbench", cache=copy_of_built)
    first.load_p_mw[:] = -1.0  # a caller that changes its grid does not change the next caller's
    first.line.loc[:, "length_km"] = 0.0
    again = load_grid(CODE, demand="simbench", cache=copy_of_built)
    assert reads == [CODE] and (again.load_p_mw >= 0).all() and (again.line["length_km"] > 0).all()
    net = pandapower_net(CODE, cache=copy_of_built)
    net.line.loc[:, "length_km"] = 0.0
    assert (pandapower_net(CODE, cache=copy_of_built).line["length_km"] > 0).all()
    # a file that changes (rebuilt, replaced, touched) is read and checked again
    meta = _folder(copy_of_built) / "meta.json"
    os.utime(meta, ns=(meta.stat().st_atime_ns, meta.stat().st_mtime_ns + 1_000_000))
    load_grid(CODE, demand="simbench", cache=copy_of_built)
    assert reads == [CODE, CODE] and fake_simbench == []
