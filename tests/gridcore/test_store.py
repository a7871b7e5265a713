"""The Zarr store: region writes, reruns, run tables, and a write killed midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.store import Store, StoreError


def _region(start: str, periods: int, value: float, feeders=("f1", "f2")) -> xr.Dataset:
    time = pd.date_range(start, periods=periods, freq="15min")
    data = np.full((len(feeders), periods), value)
    return xr.Dataset(
        {
            "p_mw": (("feeder", "time"), data, {"units": "MW"}),
            "n": (("feeder", "time"), np.ones_like(data, dtype=np.int32)),
        },
        coords={"feeder": list(feeders), "time": time},
    )


def test_region_writes_land_in_place_and_reruns_overwrite(tmp_path) -> None:
    st = Store(tmp_path)
    st.write_time_region("x", _region("2016-07-01T14:00", 4, 1.0), "15min", {"time": 96}, {"grid": "g"})
    st.write_time_region("x", _region("2016-07-01T15:00", 4, 2.0), "15min", {"time": 96})
    first = xr.open_zarr(st.path("x")).load()
    st.write_time_region("x", _region("2016-07-01T14:00", 4, 1.0), "15min", {"time": 96})
    xr.testing.assert_identical(first, xr.open_zarr(st.path("x")).load())
    ds = st.read("x")
    assert ds.sizes["time"] == 366 * 96  # the calendar year 2016
    got = ds["p_mw"].sel(time=slice("2016-07-01T13:45", "2016-07-01T16:00")).isel(feeder=0).values
    np.testing.assert_array_equal(got[1:9], [1, 1, 1, 1, 2, 2, 2, 2])
    assert np.isnan(got[0]) and np.isnan(got[9])
    assert ds.attrs["grid"] == "g" and ds.attrs["timezone"] == "UTC"
    assert xr.open_zarr(st.path("x"))["time"].encoding["dtype"] == np.dtype("int64")


def test_the_axis_holds_the_years_written_in_any_order(tmp_path) -> None:
    st = Store(tmp_path)
    st.write_time_region("x", _region("2016-12-31T23:00", 8, 1.0), "15min", {"time": 96})
    assert st.read("x").sizes["time"] == (366 + 365) * 96
    # a later year, far off: only that year is added, not the years between
    st.write_time_region("x", _region("2026-12-04T10:00", 4, 3.0), "15min", {"time": 96})
    # an earlier year, and one between: inserted in order, the data written before stays where it was
    st.write_time_region("x", _region("2015-06-01T00:00", 4, 2.0), "15min", {"time": 96})
    st.write_time_region("x", _region("2020-02-29T12:00", 4, 4.0), "15min", {"time": 96})
    ds = st.read("x")
    years = pd.DatetimeIndex(ds["time"].values).year
    assert sorted(set(years)) == [2015, 2016, 2017, 2020, 2026]
    assert ds.sizes["time"] == (365 + 366 + 365 + 366 + 365) * 96
    assert pd.DatetimeIndex(ds["time"].values).is_monotonic_increasing
    p = ds["p_mw"].isel(feeder=0)
    for start, n, value in [
        ("2016-12-31T23:00", 8, 1.0),
        ("2026-12-04T10:00", 4, 3.0),
        ("2015-06-01T00:00", 4, 2.0),
        ("2020-02-29T12:00", 4, 4.0),
    ]:
        got = p.sel(time=pd.date_range(start, periods=n, freq="15min")).values
        np.testing.assert_array_equal(got, np.full(n, value))
    assert int(p.notnull().sum()) == 20  # nothing else written anywhere
    assert int(xr.open_zarr(st.path("x"))["complete"].sum()) == 20
    # the size on disk follows the steps written, not the span: one 96-step chunk file per day written
    chunks = [f for f in (st.path("x") / "p_mw").iterdir() if not f.name.startswith(".")]
    assert len(chunks) == 5  # 2015-06-01, 2016-12-31, 2017-01-01, 2020-02-29, 2026-12-04
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".new", ".old"))]
    with pytest.raises(StoreError, match="dimension feeder differs"):
        st.write_time_region("x", _region("2016-06-01T00:00", 4, 1.0, feeders=("f1",)), "15min", {"time": 96})
    with pytest.raises(StoreError, match="contiguous"):
        st.write_time_region(
            "x", _region("2016-06-01T00:00", 4, 1.0).isel(time=[0, 2]), "15min", {"time": 96}
        )


def test_run_tables_replace_the_rows_of_the_same_run(tmp_path) -> None:
    st = Store(tmp_path)

    def table(run: str, n: int) -> xr.Dataset:
        return xr.Dataset(
            {"run_id": ("record", np.full(n, run)), "v": ("record", np.arange(n))},
            coords={"record": np.arange(n)},
        )

    st.replace_run_rows("q", "record", table("a", 3), ["a"])
    st.replace_run_rows("q", "record", table("b", 2), ["b"])
    st.replace_run_rows("q", "record", table("a", 3), ["a"])
    ds = st.read("q")
    assert sorted(ds["run_id"].values.tolist()) == ["a", "a", "a", "b", "b"]
    assert not list(tmp_path.glob("*.new")) and not list(tmp_path.glob("*.old"))


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np, pandas as pd, xarray as xr
    from gridcore.store import Store
    sys.path.insert(0, {tests!r})
    from test_store import _region
    st = Store({root!r})
    calls = 0
    original = xr.Dataset.to_zarr
    def dying(self, *args, **kwargs):
        global calls
        calls += 1
        if calls == {die_at}:
            if "p_mw" in self:  # write part of the data (one variable), then die without cleanup
                original(self[["p_mw"]], *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, *args, **kwargs)
    xr.Dataset.to_zarr = dying
    st.write_time_region("x", _region("2016-07-01T14:00", 4, 9.0), "15min", {{"time": 96}})
    """
)


@pytest.mark.parametrize("die_at", [2, 3], ids=["during-data", "before-commit-flag"])
def test_a_write_killed_midway_is_never_taken_for_complete(tmp_path, die_at) -> None:
    st = Store(tmp_path)
    st.write_time_region("x", _region("2016-07-01T13:00", 4, 1.0), "15min", {"time": 96})
    st.write_time_region("x", _region("2016-07-01T14:00", 4, 1.0), "15min", {"time": 96})
    code = _KILLER.format(tests=os.path.dirname(__file__), root=str(tmp_path), die_at=die_at)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    raw = xr.open_zarr(st.path("x")).sel(time=slice("2016-07-01T13:00", "2016-07-01T14:45")).load()
    # the hour being rewritten is flagged incomplete; the reader masks it, the hour before is intact
    assert (raw["complete"].sel(time=slice("2016-07-01T14:00", None)) == 0).all()
    assert (raw["complete"].sel(time=slice(None, "2016-07-01T13:45")) == 1).all()
    if die_at == 2:
        assert (
            raw["p_mw"].sel(time=slice("2016-07-01T14:00", None)) == 9.0
        ).all()  # half-written data on disk
    read = st.read("x").sel(time=slice("2016-07-01T13:00", "2016-07-01T14:45")).load()
    assert read["p_mw"].sel(time=slice("2016-07-01T14:00", None)).isnull().all()
    assert (read["p_mw"].sel(time=slice(None, "2016-07-01T13:45")) == 1.0).all()
    # a rerun repairs it
    st.write_time_region("x", _region("2016-07-01T14:00", 4, 9.0), "15min", {"time": 96})
    assert (st.read("x")["p_mw"].sel(time=slice("2016-07-01T14:00", "2016-07-01T14:45")) == 9.0).all()


def test_a_run_table_swap_killed_midway_recovers_the_old_table(tmp_path) -> None:
    st = Store(tmp_path)
    t = xr.Dataset({"run_id": ("run", np.array(["a"])), "v": ("run", [1])}, coords={"run": np.array(["a"])})
    st.replace_run_rows("quality", "run", t, ["a"])
    path = st.path("quality")
    path.rename(path.with_name(f".{path.name}.0badf00d.old"))  # as if killed between the two renames
    (tmp_path / ".quality.zarr.deadbeef.new").mkdir()
    t2 = xr.Dataset({"run_id": ("run", np.array(["b"])), "v": ("run", [2])}, coords={"run": np.array(["b"])})
    st.replace_run_rows("quality", "run", t2, ["b"])
    assert sorted(st.read("quality")["run_id"].values.tolist()) == ["a", "b"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".new", ".old"))]


def test_a_file_where_a_product_folder_belongs_is_a_store_error(tmp_path) -> None:
    from gridcore.store import issue_path, write_whole

    (tmp_path / "renewable_forecast").write_text("not a folder")
    path = issue_path(tmp_path, "renewable_forecast", pd.Timestamp("2016-07-02T10:00Z"))
    with pytest.raises(StoreError, match="renewable_forecast is a file where the store keeps a folder"):
        write_whole(xr.Dataset({"p_mw": ("lead", np.zeros(3))}), path)
