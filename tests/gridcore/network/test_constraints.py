"""Constraint periods and their relief, checked by power flow with the relief taken off.

References: issue 14's figures for ``1-LV-rural2--2-sw`` at SimBench's ``hL`` (transformer 120 %, 0.871 p.u.
at the far end); the relief of every checked period is verified by a pandapower power flow with that many
MW taken off downstream (in :meth:`RadialTree.loads` order), and compared with the least MW that clears it
(bisection on the same power flow): the figure must clear, and be at most 1.5 times that least value.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.network.constraints import (
    ConstraintPeriod,
    Injections,
    branch_relief_mw,
    constraint_periods,
    periods_frame,
    runs,
    snapshot_periods,
    summary,
    voltage_relief_mw,
)
from gridcore.network.downstream import RadialTree
from gridcore.network.grid import pandapower_net
from gridcore.network.study_case import apply_study_case
from gridcore.network.timeseries import Limits, TimeSeriesResult

T0 = pd.Timestamp("2016-07-01T00:00Z")


@functools.cache
def _rural2_hl() -> tuple[pp.pandapowerNet, list[ConstraintPeriod]]:
    net = apply_study_case(pandapower_net("1-LV-rural2--2-sw"), "hL")
    periods, _ = snapshot_periods(net, T0)
    return net, periods


def _take_off(net: pp.pandapowerNet, table: str, order: list[int], mw: float) -> pp.pandapowerNet:
    """A copy with ``mw`` taken off the loads (or sgens) in ``order``, whole ones first; solved."""
    work = copy.deepcopy(net)
    left = mw
    for i in order:
        p = float(work[table].at[i, "p_mw"])
        if p <= 0 or left <= 1e-12:
            continue
        take = min(p, left)
        cols = ["p_mw", "q_mvar"] if table == "load" else ["p_mw"]
        work[table].loc[i, cols] *= 1 - take / p
        left -= take
    pp.runpp(work)
    return work


def _value(net: pp.pandapowerNet, element: str) -> float:
    kind, idx = element.split(":")
    if kind == "bus":
        return float(net.res_bus.at[int(idx), "vm_pu"])
    return float(net[f"res_{kind}"].at[int(idx), "loading_percent"])


def _clears(p: ConstraintPeriod, v: float) -> bool:
    return v >= p.limit - 1e-6 if p.kind == "undervoltage" else v <= p.limit + 1e-6


def _check_relief(net: pp.pandapowerNet, p: ConstraintPeriod) -> float:
    """Assert the relief clears the period; return its ratio to the least MW that does (bisection)."""
    tree = RadialTree(net)
    table = "load" if p.relief_mw > 0 else "sgen"
    order = list(tree.loads(p.element) if table == "load" else tree.sgens(p.element))
    mw = abs(p.relief_mw)
    assert _clears(p, _value(_take_off(net, table, order, mw), p.element)), p
    lo, hi = 0.0, mw
    for _ in range(12):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _clears(p, _value(_take_off(net, table, order, mid), p.element)) else (mid, hi)
    return mw / hi


def test_runs() -> None:
    assert runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 3), (4, 5), (7, 8)]
    assert runs(np.zeros(3, bool)) == []
    assert runs(np.ones(2, bool)) == [(0, 2)]


def test_branch_relief_by_hand() -> None:
    # 1 MW at unity power factor through a branch at 125 %: 0.2 MW off brings it to 0.8 MW = 100 %
    one, zero = np.array([1.0]), np.array([0.0])
    r = branch_relief_mw(one, zero, one, zero, np.array([125.0]), 100)
    assert r[0] == pytest.approx(0.2)
    # with the voltage: shedding raises it at 0.1 p.u./MW on a 0.9 p.u. end, so less is needed
    r_v = branch_relief_mw(one, zero, one, zero, np.array([125.0]), 100, np.array([0.9]), 0.1, 0.0)
    assert r_v[0] < 0.2
    s_max = 0.8 * (0.9 + 0.1 * r_v[0]) / 0.9  # the fixed point
    assert 1.0 - r_v[0] == pytest.approx(s_max, abs=1e-3)
    # 0.6 + j0.8 MVA (S = 1) at 200 %, loads at that power factor: S must halve, so P halves too
    p, q = np.array([0.6]), np.array([0.8])
    r = branch_relief_mw(p, q, p, q, np.array([200.0]), 100)
    assert r[0] == pytest.approx(0.3)
    # export of 1 MW (generation 1.5, load 0.5) at 125 %: curtail 0.2 MW of generation
    r = branch_relief_mw(-one, zero, one / 2, zero, np.array([125.0]), 100)
    assert r[0] == pytest.approx(-0.2)
    # within the limit, or not solved: nothing
    r = branch_relief_mw(np.ones(2), np.zeros(2), np.ones(2), np.zeros(2), np.array([90.0, np.nan]), 100)
    assert list(r) == [0.0, 0.0]


def test_voltage_relief_takes_the_most_sensitive_first() -> None:
    # two loads of 1 MW: sensitivity 0.02 and 0.05 p.u./MW; 0.06 p.u. wanted -> 1 MW of the second + 0.5 MW
    relief, enough = voltage_relief_mw(
        np.array([0.06, 0.2, 0.0]), np.array([0.02, 0.05]), np.zeros(2), np.ones((3, 2)), np.zeros((3, 2))
    )
    assert relief[0] == pytest.approx(1.5)
    assert enough[0]
    assert relief[1] == pytest.approx(2.0) and not enough[1]  # both are not enough for 0.2 p.u.
    assert relief[2] == 0.0 and enough[2]


def test_high_load_case_of_the_congested_lv_grid() -> None:
    net, periods = _rural2_hl()
    counts = summary(periods)
    assert counts["overload"] == 1 and counts["undervoltage"] >= 30 and counts["overvoltage"] == 0
    trafo = next(p for p in periods if p.element == "trafo:0")
    assert trafo.kind == "overload" and trafo.worst == pytest.approx(120.0, abs=0.1)
    low = min((p for p in periods if p.kind == "undervoltage"), key=lambda p: p.worst)
    assert low.worst == pytest.approx(0.871, abs=0.001) and low.limit == 0.95
    assert all(p.relief_mw > 0 and p.hours == 1 for p in periods)
    assert trafo.start == T0 and trafo.end == T0 + pd.Timedelta(hours=1)


def test_relief_clears_the_transformer_and_the_worst_buses() -> None:
    net, periods = _rural2_hl()
    trafo = next(p for p in periods if p.element == "trafo:0")
    largest = max(periods, key=lambda p: p.relief_mw)
    lowest = min(periods, key=lambda p: p.worst)
    for p in (trafo, largest, lowest):
        ratio = _check_relief(net, p)
        assert 1.0 <= ratio <= 1.5, (p.element, ratio)


def test_export_side_overload_gets_a_negative_relief_that_clears_it() -> None:
    net = apply_study_case(pandapower_net("1-MV-semiurb--2-sw"), "lPV")
    periods, _ = snapshot_periods(net, T0)
    over = [p for p in periods if p.kind == "overload"]
    assert over and all(p.relief_mw < 0 for p in over)
    worst = max(over, key=lambda p: p.worst)
    for p in (worst, max((p for p in periods if p.kind == "overvoltage"), key=lambda p: p.worst)):
        ratio = _check_relief(net, p)
        assert 1.0 <= ratio <= 1.5, (p.element, ratio)
    high = [p for p in periods if p.kind == "overvoltage"]
    assert high and all(p.relief_mw < 0 for p in high)


def _series(net: pp.pandapowerNet, n: int) -> tuple[TimeSeriesResult, Injections]:
    times = pd.date_range(T0, periods=n, freq="1h", name="time")
    vm = pd.DataFrame(1.0, index=times, columns=net.bus.index)
    line = pd.DataFrame(50.0, index=times, columns=net.line.index)
    trafo = pd.DataFrame(50.0, index=times, columns=net.trafo.index)
    result = TimeSeriesResult(vm, vm * 0, line, trafo, line * 0, np.ones(n, bool), "test", 0.0)
    inj = Injections(
        np.tile(net.load["p_mw"].to_numpy(), (n, 1)),
        np.tile(net.load["q_mvar"].to_numpy(), (n, 1)),
        np.tile(net.sgen["p_mw"].to_numpy(), (n, 1)),
    )
    return result, inj


def test_periods_follow_the_runs_of_hours_and_supply() -> None:
    net = pandapower_net("1-LV-rural2--2-sw")
    result, inj = _series(net, 6)
    result.trafo_loading_pct.iloc[[1, 2, 4], 0] = [110.0, 130.0, 105.0]
    result.vm_pu.iloc[3, 5] = 0.94
    result.vm_pu.iloc[[0, 1], 7] = [1.06, 1.07]
    result.vm_pu.iloc[2, 8] = np.nan  # not solved: no violation
    periods = constraint_periods(net, result, inj, Limits(), supply_mw=inj.net_demand_mw()[0] - 1e-3)
    got = [(p.element, p.kind, p.start.hour, p.end.hour, p.hours) for p in periods]
    assert got == [
        ("supply", "shortfall", 0, 6, 6),
        ("bus:7", "overvoltage", 0, 2, 2),
        ("trafo:0", "overload", 1, 3, 2),
        ("bus:5", "undervoltage", 3, 4, 1),
        ("trafo:0", "overload", 4, 5, 1),
    ]
    first = periods[2]
    assert first.worst == 130.0 and first.worst_time == T0 + pd.Timedelta(hours=2)
    assert periods[1].worst == 1.07 and periods[1].relief_mw < 0
    assert periods[0].relief_mw == pytest.approx(1e-3)
    assert periods[3].worst == 0.94 and periods[3].relief_mw > 0
    d = first.to_dict()
    assert d["start"] == "2016-07-01T01:00:00Z" and d["end"] == "2016-07-01T03:00:00Z"
    assert set(d) >= {"element", "kind", "start", "end", "worst", "relief_mw"}
    assert ConstraintPeriod(**{**first.__dict__, "relief_mw": float("nan")}).to_dict()["relief_mw"] is None
    frame = periods_frame(periods)
    assert list(frame["kind"]) == [p.kind for p in periods]


def test_mismatched_injections_are_refused() -> None:
    net = pandapower_net("1-LV-rural2--2-sw")
    result, inj = _series(net, 3)
    short = Injections(inj.load_p_mw[:2], inj.load_q_mvar[:2], inj.sgen_p_mw[:2])
    with pytest.raises(InputError, match="do not match 3 hours"):
        constraint_periods(net, result, short)
