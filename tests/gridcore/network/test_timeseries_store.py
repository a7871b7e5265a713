"""Grid time series to the store, and the topology in force per hour (planned outage mid-horizon)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.network.feeders import BUSBAR, derive_feeders
from gridcore.network.grid import load_grid, pandapower_net
from gridcore.network.timeseries import (
    constraint_flags,
    hourly_injections,
    line_feeders,
    run_timeseries,
)
from gridcore.network.timeseries_store import apply_topology, run_in_force, write_grid_timeseries
from gridcore.network.topology import ChangeLog, make_change, topology_at


@pytest.fixture(scope="module")
def grid():
    return load_grid()


@pytest.fixture(scope="module")
def net():
    return pandapower_net()


@pytest.fixture(scope="module")
def hours() -> pd.DatetimeIndex:
    return pd.date_range("2016-07-01T06:00Z", periods=12, freq="1h")


def test_apply_topology_copies_switch_and_service_states(grid, net) -> None:
    feeders = derive_feeders(grid)
    head = feeders.head_line[feeders.feeders[1]]
    loop = int(grid.switch.index[~grid.switch["closed"].astype(bool)][0])
    changes = [
        make_change(grid, "line", head, in_service=False, effective_from="2016-07-01T00:00Z"),
        make_change(grid, "switch", loop, closed=True, effective_from="2016-07-01T00:00Z"),
    ]
    out = apply_topology(net, topology_at(grid, changes))
    assert not out.line.at[head, "in_service"] and out.switch.at[loop, "closed"]
    assert net.line.at[head, "in_service"] and not net.switch.at[loop, "closed"]  # input untouched
    unchanged = out.switch.index != loop
    assert (out.switch.loc[unchanged, "closed"] == net.switch.loc[unchanged, "closed"]).all()


def test_run_in_force_follows_a_planned_outage(grid, net, hours, tmp_path) -> None:
    feeders = derive_feeders(grid)
    feeder = feeders.feeders[1]
    head = feeders.head_line[feeder]
    log = ChangeLog(tmp_path)
    outage = log.append(
        make_change(
            grid,
            "line",
            head,
            in_service=False,
            effective_from=hours[2],
            effective_to=hours[10],
            why="repair",
        )
    )
    p, q, sgen, _ = hourly_injections(grid, hours)
    result, segments = run_in_force(net, grid, log.in_force, hours, p, q, sgen)
    assert [s["hours"] for s in segments] == [2, 8, 2]
    assert [s["changes"] for s in segments] == [[], [outage["id"]], []]
    assert segments[0]["fingerprint"] == segments[2]["fingerprint"] != segments[1]["fingerprint"]
    assert result.vm_pu.index.equals(pd.DatetimeIndex(hours, name="time")) and result.converged.all()
    # outside the outage: the base topology's results, hour for hour
    base = run_timeseries(net, hours, p, q, sgen)
    outside = np.r_[0:2, 10:12]
    np.testing.assert_allclose(result.vm_pu.values[outside], base.vm_pu.values[outside], atol=1e-12)
    # during it: the feeder behind the head line is dark, the rest of the grid still solved
    behind = feeders.bus_feeder.index[feeders.bus_feeder == feeder]
    assert result.vm_pu[behind].iloc[2:10].isna().all().all()
    assert result.vm_pu[behind].iloc[outside].notna().all().all()
    others = feeders.bus_feeder.index[feeders.bus_feeder != feeder]
    assert result.vm_pu[others].iloc[2:10].notna().all().all()
    assert (result.line_loading_pct[head].iloc[2:10].fillna(0.0) == 0.0).all()
    assert result.va_degree.shape == result.vm_pu.shape
    assert result.seconds > 0


def test_one_topology_is_one_batch(grid, net, hours, tmp_path) -> None:
    p, q, sgen, _ = hourly_injections(grid, hours)
    result, segments = run_in_force(net, grid, ChangeLog(tmp_path).in_force, hours, p, q, sgen)
    assert len(segments) == 1 and segments[0]["hours"] == len(hours) and segments[0]["changes"] == []


def test_write_grid_timeseries_round_trip_and_rerun(grid, net, hours, tmp_path) -> None:
    p, q, sgen, _ = hourly_injections(grid, hours)
    result = run_timeseries(net, hours, p, q, sgen)
    flags = constraint_flags(result, net.bus["vn_kv"])
    path = write_grid_timeseries(str(tmp_path), result, flags, {"grid": grid.code, "hours": 12})
    assert path.endswith("grid_timeseries/20160701T0600Z.zarr")
    with xr.open_zarr(path) as ds:
        assert ds.attrs["engine"] == "power-grid-model" and ds.attrs["hours"] == "12"
        assert ds["vm_pu"].attrs["units"] == "p.u." and ds["va_degree"].attrs["units"] == "deg"
        assert list(ds["bus"].values) == list(net.bus.index)
        np.testing.assert_allclose(ds["vm_pu"].values, result.vm_pu.values, rtol=1e-6)  # float32
        np.testing.assert_allclose(ds["line_p_from_mw"].values, result.line_p_from_mw.values, rtol=1e-5)
        assert int(ds["undervoltage"].sum()) == int(flags["undervoltage"].values.sum())
        assert pd.DatetimeIndex(ds["time"].values).equals(hours.tz_convert(None))
    doubled = run_timeseries(net, hours, 2 * p, 2 * q, sgen)
    write_grid_timeseries(str(tmp_path), doubled, constraint_flags(doubled, net.bus["vn_kv"]), {})
    with xr.open_zarr(path) as ds:  # a rerun replaces the product, never appends to it
        assert ds.sizes["time"] == 12 and "grid" not in ds.attrs
        np.testing.assert_allclose(ds["line_loading_pct"].values, doubled.line_loading_pct.values, rtol=1e-5)


def test_hourly_injections_from_profiles_and_forecast(grid) -> None:
    hours = pd.date_range("2016-03-01T00:00Z", periods=3, freq="1h")
    p, q, sgen, source = hourly_injections(grid, hours)
    assert source == "profiles" and p.shape == (3, len(grid.load)) and sgen.shape == (3, len(grid.sgen))
    quarters = grid.profile_index(pd.date_range(hours[1], periods=4, freq="15min"))
    np.testing.assert_allclose(p[1], grid.load_p_mw[quarters].mean(axis=0))
    np.testing.assert_allclose(sgen[1], grid.sgen_p_mw[quarters].mean(axis=0))
    names = grid.load["name"].astype(str)
    forecast = pd.DataFrame({names.iloc[0]: [1.0, np.nan, 2.0]}, index=hours)
    pf, qf, _, source = hourly_injections(grid, hours, forecast)
    assert source == "forecast+profiles"
    assert pf[0, 0] == 1.0 and pf[2, 0] == 2.0 and pf[1, 0] == p[1, 0]  # NaN: the profile's value
    np.testing.assert_allclose(qf[0, 0], q[0, 0] / p[0, 0])  # the profile's power factor kept
    np.testing.assert_array_equal(pf[:, 1:], p[:, 1:])
    full = pd.DataFrame(np.ones((3, len(names))), index=hours, columns=names)
    assert hourly_injections(grid, hours, full)[3] == "forecast"


def test_line_feeders_puts_head_lines_in_their_feeder(grid) -> None:
    feeders = derive_feeders(grid)
    lf = line_feeders(grid, feeders)
    for feeder, head in feeders.head_line.items():
        assert lf[head] == feeder
    assert BUSBAR not in set(lf[list(feeders.head_line.values())])
    inner = grid.line.index[
        grid.line["from_bus"].map(feeders.bus_feeder).eq(grid.line["to_bus"].map(feeders.bus_feeder))
    ]
    np.testing.assert_array_equal(lf[inner], grid.line.loc[inner, "from_bus"].map(feeders.bus_feeder))
