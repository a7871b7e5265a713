"""Writers in separate processes at once: nothing lost or half-written; recovery leaves the living alone.

Each test starts real Python processes that write to one store at the same moment (they wait on a start
file, then go), as overlapping hourly runs, imports and backfills do.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.store import Store, lock_path, locked

_WRITER = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np, pandas as pd, xarray as xr
    from gridcore.store import Store
    root, go, k, start, value = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    while not os.path.exists(go):
        time.sleep(0.005)
    st = Store(root)
    t = pd.date_range(start, periods=4, freq="15min")
    ds = xr.Dataset(
        {"p_mw": (("feeder", "time"), np.full((2, 4), value))},
        coords={"feeder": ["f1", "f2"], "time": t},
    )
    st.write_time_region("x", ds, "15min", {"time": 96}, {"grid": "g"})
    run = f"run{k}"
    table = xr.Dataset(
        {"run_id": ("record", np.full(k + 1, run)), "v": ("record", np.arange(k + 1, dtype=np.int64))},
        coords={"record": np.arange(k + 1)},
    )
    st.replace_run_rows("q", "record", table, [run])
    """
)


def _start_all(root: Path, jobs: list[tuple[str, float]]) -> list[subprocess.Popen]:
    go = root / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(root), str(go), str(k), start, str(value)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, (start, value) in enumerate(jobs)
    ]
    time.sleep(1.5)  # let every interpreter import xarray and wait at the start line
    go.touch()
    return procs


def _wait(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err


def test_six_processes_writing_one_day_chunk_and_one_table_lose_nothing(tmp_path) -> None:
    # six hours of one day: every write lands in the same 96-step chunk (a read-modify-write in Zarr)
    jobs = [(f"2016-07-03T{h:02d}:00", float(h + 1)) for h in range(6)]
    _wait(_start_all(tmp_path, jobs))
    st = Store(tmp_path)
    p = st.read("x")["p_mw"].isel(feeder=0)
    for start, value in jobs:
        got = p.sel(time=pd.date_range(start, periods=4, freq="15min")).values
        np.testing.assert_array_equal(got, np.full(4, value), err_msg=start)
    assert int(xr.open_zarr(st.path("x"))["complete"].sum()) == 24
    q = st.read("q").load()
    counts = pd.Series(q["run_id"].values.astype(str)).value_counts().to_dict()
    assert counts == {f"run{k}": k + 1 for k in range(6)}  # every run's rows, whole
    assert not [f for f in tmp_path.iterdir() if f.name.endswith((".new", ".old"))]


def test_processes_adding_years_at_once_keep_every_year(tmp_path) -> None:
    jobs = [("2026-12-04T10:00", 1.0), ("2016-07-01T14:00", 2.0), ("2020-03-01T00:00", 3.0),
            ("2012-01-01T00:00", 4.0)]  # fmt: skip
    _wait(_start_all(tmp_path, jobs))
    ds = Store(tmp_path).read("x")
    assert sorted(set(pd.DatetimeIndex(ds["time"].values).year)) == [2012, 2016, 2020, 2026]
    p = ds["p_mw"].isel(feeder=1)
    for start, value in jobs:
        got = p.sel(time=pd.date_range(start, periods=4, freq="15min")).values
        np.testing.assert_array_equal(got, np.full(4, value), err_msg=start)
    assert int(p.notnull().sum()) == 16


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gridcore.store import locked
    target = Path(sys.argv[1])
    with locked(target):
        (target.parent / "held").touch()
        tmp = target.with_name(f".{target.name}.cafebabe.new")  # a copy half-written, then killed
        tmp.mkdir()
        time.sleep(60)
    """
)


def test_a_killed_writer_frees_its_lock_and_its_leftovers_go_only_then(tmp_path) -> None:
    st = Store(tmp_path)
    t = xr.Dataset({"run_id": ("run", np.array(["a"])), "v": ("run", [1])}, coords={"run": np.array(["a"])})
    st.replace_run_rows("q", "run", t, ["a"])
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(st.path("q"))], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (tmp_path / "held").exists():
        assert holder.poll() is None, holder.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    living = tmp_path / ".q.zarr.cafebabe.new"
    # while the writer lives, its lock holds and its temporary copy is left alone
    from filelock import FileLock, Timeout

    probe = FileLock(str(lock_path(st.path("q")).resolve()), thread_local=False)
    try:
        probe.acquire(timeout=0.5)
        raise AssertionError("the lock of a living writer was taken")
    except Timeout:
        pass
    assert living.exists()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    t2 = xr.Dataset({"run_id": ("run", np.array(["b"])), "v": ("run", [2])}, coords={"run": np.array(["b"])})
    st.replace_run_rows("q", "run", t2, ["b"])  # takes the freed lock, removes the dead writer's copy
    assert not living.exists()
    assert sorted(st.read("q")["run_id"].values.tolist()) == ["a", "b"]


def test_the_lock_is_reentrant_within_a_thread_and_excludes_other_threads(tmp_path) -> None:
    import threading

    target = tmp_path / "thing.zarr"
    order: list[str] = []
    with locked(target), locked(target):  # re-entrant

        def other() -> None:
            with locked(target):
                order.append("other")

        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.3)
        order.append("first")
    t.join(timeout=10)
    assert order == ["first", "other"]
