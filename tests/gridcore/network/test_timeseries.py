"""Time-series power flow: the batch engine agrees with pandapower; flags and bottlenecks."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import load_grid, pandapower_net
from gridcore.network.timeseries import Limits, bottlenecks, constraint_flags, run_timeseries


@pytest.fixture(scope="module")
def case():
    grid = load_grid()
    net = pandapower_net()
    times = pd.date_range("2016-07-01T10:00Z", periods=4, freq="3h")
    rows = grid.profile_index(times)
    return grid, net, times, grid.load_p_mw[rows], grid.load_q_mvar[rows], grid.sgen_p_mw[rows]


def test_batch_engine_matches_pandapower(case) -> None:
    grid, net, times, lp, lq, sp = case
    fast = run_timeseries(net, times, lp, lq, sp)
    ref = run_timeseries(net, times, lp, lq, sp, engine="pandapower")
    assert fast.converged.all() and ref.converged.all()
    # tolerances: 1e-6 p.u., 1e-4 percentage points of loading (measured 1e-7 and 4e-6)
    assert np.nanmax(np.abs(fast.vm_pu.values - ref.vm_pu.values)) < 1e-6
    assert np.nanmax(np.abs(fast.line_loading_pct.values - ref.line_loading_pct.values)) < 1e-4
    assert np.nanmax(np.abs(fast.trafo_loading_pct.values - ref.trafo_loading_pct.values)) < 1e-4
    assert np.nanmax(np.abs(fast.line_p_from_mw.values - ref.line_p_from_mw.values)) < 1e-6
    # a moved switch: the same agreement in another topology (a loop switch closed: meshed)
    closed = copy.deepcopy(net)
    open_sw = closed.switch.index[~closed.switch["closed"] & (closed.switch["et"] == "l")]
    closed.switch.loc[open_sw[0], "closed"] = True
    fast2 = run_timeseries(closed, times[:1], lp[:1], lq[:1], sp[:1])
    ref2 = run_timeseries(closed, times[:1], lp[:1], lq[:1], sp[:1], engine="pandapower")
    assert np.nanmax(np.abs(fast2.line_loading_pct.values - ref2.line_loading_pct.values)) < 1e-4
    assert np.nanmax(np.abs(fast2.line_loading_pct.values - fast.line_loading_pct.values[:1])) > 0.01


def test_flags_and_bottlenecks(case) -> None:
    grid, net, times, lp, lq, sp = case
    res = run_timeseries(net, times, lp * 3, lq * 3, sp)
    limit = 0.8 * float(np.nanmax(res.line_loading_pct.values))
    limits = Limits(loading_pct=limit)
    flags = constraint_flags(res, net.bus["vn_kv"], limits)
    overloaded = res.line_loading_pct > limit
    assert flags["line_overload"].equals(overloaded) and overloaded.values.any()
    assert flags["undervoltage"].values.any() == (res.vm_pu.values < 0.95).any()
    feeders = derive_feeders(grid)
    line_feeder = grid.line["from_bus"].map(feeders.bus_feeder).dropna()
    ranking, headroom = bottlenecks(res, line_feeder, limits)
    top = ranking.iloc[0]
    table = res.line_loading_pct if top["element"] == "line" else res.trafo_loading_pct
    assert (
        top["hours_over_limit"] == int((table[top["id"]] > limit).sum()) == ranking["hours_over_limit"].max()
    )
    assert headroom["headroom_pct"].is_monotonic_increasing
    assert headroom["headroom_pct"].iloc[0] == pytest.approx(
        limit - headroom["max_loading_pct"].iloc[0], abs=1e-3
    )


def test_bad_inputs_are_refused(case) -> None:
    _, net, times, lp, lq, sp = case
    with pytest.raises(ValueError, match="load_p_mw must be"):
        run_timeseries(net, times, lp[:, :3], lq, sp)
    bad = lp.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="not finite at step 1, element 2"):
        run_timeseries(net, times, bad, lq, sp)
    with pytest.raises(ValueError, match="unknown engine"):
        run_timeseries(net, times, lp, lq, sp, engine="magic")


def test_a_step_that_does_not_converge_is_flagged_by_both_engines(case) -> None:
    """Step 1 at 200 times the load has no solution: flagged, NaN, and the other steps kept."""
    _, net, times, lp, lq, sp = case
    lp, lq = lp[:3].copy(), lq[:3].copy()
    lp[1] *= 200
    lq[1] *= 200
    normal = run_timeseries(net, times[:3], case[3][:3], case[4][:3], sp[:3])
    for engine in ("power-grid-model", "pandapower"):
        res = run_timeseries(net, times[:3], lp, lq, sp[:3], engine=engine)
        np.testing.assert_array_equal(res.converged, [True, False, True])
        assert res.vm_pu.iloc[1].isna().all() and res.line_loading_pct.iloc[1].isna().all()
        np.testing.assert_allclose(res.vm_pu.values[[0, 2]], normal.vm_pu.values[[0, 2]], atol=1e-6)


def test_limits_use_the_one_band_definition(case) -> None:
    _, net, times, lp, lq, sp = case
    res = run_timeseries(net, times[:1], lp[:1], lq[:1], sp[:1])
    vn = net.bus["vn_kv"]
    mv = vn.between(1.0, 60.0, inclusive="left")
    vm_mv = res.vm_pu.loc[:, mv].iloc[0]
    # an MV band around the solution: the buses above its middle are overvoltage, those below under
    mid = float(vm_mv.median())
    tight = Limits(voltage_bands={"MV": (mid - 1e-9, mid + 1e-9)})
    flags = constraint_flags(res, vn, tight)
    assert flags["overvoltage"].loc[:, mv].iloc[0].equals(vm_mv > mid + 1e-9)
    assert flags["undervoltage"].loc[:, mv].iloc[0].equals(vm_mv < mid - 1e-9)
    assert not flags["overvoltage"].loc[:, ~mv].values.any()  # HV keeps its default band
    with pytest.raises(ValueError, match="unknown level 'XV'"):
        Limits(voltage_bands={"XV": (0.9, 1.1)})
    with pytest.raises(ValueError, match="voltage band MV: lower bound 1.1"):
        Limits(voltage_bands={"MV": (1.1, 0.9)})


def test_the_summary_is_typed_and_is_the_json(case) -> None:
    from gridcore.network.timeseries import TimeSeriesSummary, timeseries_summary

    grid, net, times, lp, lq, sp = case
    res = run_timeseries(net, times, lp * 3, lq * 3, sp)
    limits = Limits(loading_pct=0.8 * float(np.nanmax(res.line_loading_pct.values)))
    flags = constraint_flags(res, net.bus["vn_kv"], limits)
    feeders = derive_feeders(grid)
    ranking, headroom = bottlenecks(res, grid.line["from_bus"].map(feeders.bus_feeder).dropna(), limits)
    topologies = [{"from": times[0], "hours": 4, "changes": [], "fingerprint": grid.fingerprint}]
    s = timeseries_summary(
        res,
        flags,
        ranking,
        headroom,
        start=times[0],
        load_source="profiles",
        topologies=topologies,
        written="store/grid_state",
        seconds=1.23456,
    )
    assert isinstance(s, TimeSeriesSummary)
    assert (s.start, s.hours, s.converged_hours, s.seconds) == ("2016-07-01T10:00Z", 4, 4, 1.235)
    assert s.violation_hours["line_overload"] == int(flags["line_overload"].any(axis=1).sum()) > 0
    assert s.max_line_loading_pct == round(float(res.line_loading_pct.max().max()), 3)
    assert s.vm_min_pu == round(float(res.vm_pu.min().min()), 5)
    assert len(s.bottlenecks) == min(10, len(ranking)) and s.bottlenecks[0]["id"] == ranking.iloc[0]["id"]
    d = s.to_dict()
    assert list(d) == [
        "start",
        "hours",
        "engine",
        "load_source",
        "pv_source",
        "converged_hours",
        "topologies",
        "violation_hours",
        "max_line_loading_pct",
        "vm_min_pu",
        "vm_max_pu",
        "bottlenecks",
        "headroom",
        "written",
        "solve_seconds",
        "seconds",
    ]
    assert d["topologies"] == topologies and isinstance(d["headroom"], list)
