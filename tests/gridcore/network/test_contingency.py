"""N-1 contingency analysis: the fast engine (lightsim2grid) against the pandapower reference loop.

Reference: pandapower 3.5 Newton-Raphson (``pp.runpp(net, lightsim2grid=False)``), one run per outage,
on case9, case_ieee30, SimBench ``1-MV-semiurb--0-sw`` (bus-bus switches, open loop switches) and small
hand-made grids (radial islanding, switches and out-of-service buses, voltage collapse).
Tolerances, on every outage and every bus / branch: voltage 1e-4 p.u., loading 0.1 percentage points
(measured: at most 1.2e-8 p.u. and 5e-7 points); convergence, islanded buses, load and generation lost,
the violations, their counts and the ranking identical.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pandas as pd
import pytest

from gridcore.network import contingency
from gridcore.network.contingency import DEFAULT_VM_BAND, ContingencyResult, contingency_analysis, reference
from gridcore.network.grid import pandapower_net

VM_ATOL_PU = 1e-4
LOADING_ATOL_PCT = 0.1


#: Per grid: limits that make overloads and voltage violations appear, so that both are compared.
CASES = {
    "case9": {"loading_limit": 60.0},
    "case_ieee30": {},
    "simbench_mv": {"loading_limit": 40.0, "vm_band": {0.0: (0.98, 1.03), 60.0: (0.9, 1.1)}},
}


@functools.cache
def _stored(name: str) -> pp.pandapowerNet:
    if name == "simbench_mv":
        return pandapower_net()
    net = getattr(pn, name)()
    if name == "case_ieee30":  # pandapower's file predates the pandapower 3 trafo format and warns
        net.trafo["tap_dependency_table"] = False
    return net


def grid(name: str) -> pp.pandapowerNet:
    """A fresh copy of a reference grid (pandapower's case loaders take over a second each)."""
    return copy.deepcopy(_stored(name))


@pytest.fixture(scope="module", autouse=True)
def _reference_without_numba() -> Iterator[None]:
    """The reference loop without numba: same numbers, and no 10-20 s JIT compile on these small grids."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reference, "_numba_available", lambda: False)
        yield


Pair = tuple[ContingencyResult, ContingencyResult]


def both_engines(name: str) -> Pair:
    """(fast, reference) on one of :data:`CASES`, with the flows kept."""
    net = grid(name)
    fast = contingency_analysis(net, keep_flows=True, **CASES[name])
    ref = contingency_analysis(net, engine="pandapower", keep_flows=True, **CASES[name])
    return fast, ref


@pytest.fixture(scope="module")
def case9() -> Pair:
    return both_engines("case9")


@pytest.fixture(scope="module")
def case_ieee30() -> Pair:
    return both_engines("case_ieee30")


@pytest.fixture(scope="module")
def simbench_mv() -> Pair:
    return both_engines("simbench_mv")


def assert_same(fast: ContingencyResult, ref: ContingencyResult) -> None:
    """The agreement the module promises, outage by outage."""
    assert fast.outages.index.equals(ref.outages.index)
    assert (fast.outages["converged"] == ref.outages["converged"]).all()
    assert (fast.base_vm_pu.isna() == ref.base_vm_pu.isna()).all()
    np.testing.assert_allclose(fast.base_vm_pu, ref.base_vm_pu, atol=VM_ATOL_PU, rtol=0)
    np.testing.assert_allclose(fast.base_loading_pct, ref.base_loading_pct, atol=LOADING_ATOL_PCT, rtol=0)
    assert fast.vm_pu is not None and ref.vm_pu is not None
    assert fast.loading_pct is not None and ref.loading_pct is not None
    vm_f, vm_r = fast.vm_pu.to_numpy(), ref.vm_pu.to_numpy()
    assert (np.isnan(vm_f) == np.isnan(vm_r)).all()
    np.testing.assert_allclose(vm_f, vm_r, atol=VM_ATOL_PU, rtol=0)
    np.testing.assert_allclose(fast.loading_pct, ref.loading_pct, atol=LOADING_ATOL_PCT, rtol=0)
    assert fast.outages["islanded_buses"].equals(ref.outages["islanded_buses"])
    np.testing.assert_allclose(fast.outages["load_lost_mw"], ref.outages["load_lost_mw"], atol=1e-9)
    np.testing.assert_allclose(fast.outages["gen_lost_mw"], ref.outages["gen_lost_mw"], atol=1e-9)
    key = ["outage_type", "outage_element", "kind", "element_type", "element"]
    pd.testing.assert_frame_equal(fast.violations[key], ref.violations[key])
    np.testing.assert_allclose(fast.violations["value"], ref.violations["value"], atol=LOADING_ATOL_PCT)
    same_cols = ["n_overloads", "n_voltage_violations", "critical", "rank"]
    pd.testing.assert_frame_equal(fast.outages[same_cols], ref.outages[same_cols])


@pytest.mark.parametrize("name", list(CASES))
def test_engines_agree_on_every_outage(name: str, request: pytest.FixtureRequest) -> None:
    fast, ref = request.getfixturevalue(name)
    assert fast.engine == "lightsim2grid" and ref.engine == "pandapower"
    assert_same(fast, ref)
    kinds = set(fast.violations["kind"])
    assert kinds >= ({"overvoltage"} if name == "case_ieee30" else {"overload", "undervoltage"})


def test_simbench_switch_traps_are_handled(simbench_mv: Pair) -> None:
    """The MV grid has closed bus-bus switches and open loop switches: fused / opened, not ignored."""
    fast, _ = simbench_mv
    net = grid("simbench_mv")
    sw = net.switch
    assert ((sw["et"] == "b") & sw["closed"]).any() and ((sw["et"] == "l") & ~sw["closed"]).any()
    open_ties = set(sw.loc[(sw["et"] == "l") & ~sw["closed"], "element"])
    outaged_lines = set(fast.outages.loc["line"].index)
    assert outaged_lines == set(net.line.index) - open_ties
    assert fast.n_cases == len(net.line) - len(open_ties) + len(net.trafo)
    # a radial feeder: nearly every outage islands load, and the load lost is what sits on those buses
    isl = fast.outages[fast.outages["islanded"]]
    assert len(isl) > 100
    load = net.load.groupby("bus")["p_mw"].sum()
    for buses, lost in zip(isl["islanded_buses"], isl["load_lost_mw"], strict=True):
        assert lost == pytest.approx(load.reindex(list(buses)).fillna(0.0).sum())


def test_lowered_limit_detects_overloads(case9: Pair) -> None:
    fast, _ = case9
    at_100 = contingency_analysis(grid("case9"))
    assert (at_100.outages["n_overloads"] == 0).all()
    assert fast.loading_limit == 60.0
    over = fast.violations[fast.violations["kind"] == "overload"]
    assert len(over) and (over["value"] > 60.0).all() and (over["limit"] == 60.0).all()
    counts = over.groupby(["outage_type", "outage_element"]).size()
    assert (fast.outages["n_overloads"].reindex(counts.index) == counts).all()
    worst = fast.critical().iloc[0]
    assert worst["n_overloads"] == fast.outages["n_overloads"].max()
    # pre-existing: branch above the limit before the outage too
    pre = over[over["pre_existing"]]
    assert len(pre) and (pre["base_value"] > 60.0).all()


def test_caused_violations_make_an_outage_critical(case9: Pair) -> None:
    """Caused: absent before the outage, or worse by more than 1 point of loading / 0.005 p.u.

    At the lowered limit a branch of case9 is overloaded before any outage.
    """
    fast, _ = case9
    v = fast.violations
    change = np.where(v["kind"] == "undervoltage", v["base_value"] - v["value"], v["value"] - v["base_value"])
    margin = np.where(v["kind"] == "overload", contingency.WORSE_LOADING_PCT, contingency.WORSE_VM_PU)
    caused = (~v["pre_existing"] | (change > margin)).groupby([v["outage_type"], v["outage_element"]]).sum()
    o = fast.outages
    assert (o["n_new_violations"] == caused.reindex(o.index, fill_value=0)).all()
    assert (o["n_new_violations"] < o["n_overloads"] + o["n_voltage_violations"]).any()
    assert o["critical"].equals(~o["converged"] | (o["load_lost_mw"] > 0) | (o["n_new_violations"] > 0))


def band_limits(vn_kv: np.ndarray, band: dict[float, tuple[float, float]]) -> np.ndarray:
    """(vm_min, vm_max) per bus: the band of the highest level at or below its nominal voltage."""
    levels = sorted(band)
    return np.array([band[max(k for k in levels if k <= v)] for v in vn_kv])


def test_voltage_band_per_level(case_ieee30: Pair) -> None:
    """case_ieee30 has four voltage levels: 1, 11, 33, 132 kV."""
    fast, _ = case_ieee30
    net = grid("case_ieee30")
    vn = net.bus["vn_kv"]
    band = {0.0: (0.95, 1.05), 20.0: (0.97, 1.03), 100.0: (0.99, 1.01)}
    for result, used in ((fast, DEFAULT_VM_BAND), (contingency_analysis(net, vm_band=band), band)):
        volt = result.violations[result.violations["element_type"] == "bus"]
        limits = band_limits(vn.reindex(volt["element"]).to_numpy(), used)
        expected = np.where(volt["kind"] == "undervoltage", limits[:, 0], limits[:, 1])
        np.testing.assert_array_equal(volt["limit"], expected)
    assert vn.reindex(volt["element"]).nunique() >= 3  # violations found on three levels
    one_band = contingency_analysis(net, elements=[("line", 0)], vm_band=(0.5, 1.5))
    assert one_band.violations.empty


def radial_net() -> pp.pandapowerNet:
    """110 kV slack, a 110/20 kV transformer pair, a 20 kV feeder with a parallel double line."""
    net = pp.create_empty_network()
    hv = pp.create_bus(net, 110.0)
    b = [pp.create_bus(net, 20.0) for _ in range(5)]
    pp.create_ext_grid(net, hv, vm_pu=1.02)
    pp.create_transformer(net, hv, b[0], "25 MVA 110/20 kV", parallel=2)
    cable = "NA2XS2Y 1x240 RM/25 12/20 kV"
    pp.create_line(net, b[0], b[1], 2.0, cable, parallel=2)  # line 0: double circuit
    pp.create_line(net, b[1], b[2], 1.5, cable)  # line 1
    pp.create_line(net, b[2], b[3], 1.0, cable)  # line 2
    pp.create_line(net, b[1], b[4], 1.0, cable)  # line 3
    pp.create_load(net, b[1], 1.0, 0.2)
    pp.create_load(net, b[2], 2.0, 0.4)
    pp.create_load(net, b[3], 0.5, 0.1, scaling=2.0)
    pp.create_load(net, b[4], 0.3, 0.1)
    pp.create_sgen(net, b[3], 0.4)
    return net


def test_radial_outage_islands_load_and_reports_mw_lost() -> None:
    net = radial_net()
    before = copy.deepcopy(net.line)
    fast = contingency_analysis(net, keep_flows=True)
    ref = contingency_analysis(net, engine="pandapower", keep_flows=True)
    assert_same(fast, ref)
    pd.testing.assert_frame_equal(net.line, before)  # the input is not touched
    o = fast.outages
    # line 1 cuts buses 3 and 4 (20 kV indices 3, 4): 2.0 MW + 0.5 MW x 2 scaling; 0.4 MW PV with them
    assert o.at[("line", 1), "islanded_buses"] == (3, 4)
    assert o.at[("line", 1), "load_lost_mw"] == pytest.approx(3.0)
    assert o.at[("line", 1), "gen_lost_mw"] == pytest.approx(0.4)
    assert o.at[("line", 3), "load_lost_mw"] == pytest.approx(0.3)
    # the transformer pair (parallel=2) and the double line are one element: their outage cuts the
    # whole 20 kV side, bigger than what stays fed (the 110 kV bus); the power flow still converges
    for kind, idx in (("trafo", 0), ("line", 0)):
        assert o.at[(kind, idx), "converged"]
        assert o.at[(kind, idx), "load_lost_mw"] == pytest.approx(4.3)
    assert o.at[("trafo", 0), "n_islanded_buses"] == 5
    assert o.at[("line", 0), "n_islanded_buses"] == 4
    # most load lost and no overloads anywhere: these two lead the ranking
    assert set(fast.critical().index[:2]) == {("trafo", 0), ("line", 0)}
    assert fast.vm_pu is not None and fast.vm_pu.loc[("trafo", 0)].iloc[1:].isna().all()


def test_storage_shunt_and_generator_on_the_slack_bus() -> None:
    net = radial_net()
    pp.create_storage(net, 4, p_mw=0.5, max_e_mwh=2.0, q_mvar=0.1, scaling=0.5)
    pp.create_shunt(net, 3, q_mvar=-0.3, step=2, vn_kv=21.0)
    pp.create_gen(net, 0, p_mw=1.0, vm_pu=1.02)  # same bus and voltage as the ext_grid
    fast = contingency_analysis(net, elements=[("line", 2), ("line", 3)], keep_flows=True)
    ref = contingency_analysis(net, engine="pandapower", elements=[("line", 2), ("line", 3)], keep_flows=True)
    assert_same(fast, ref)


def switched_net() -> pp.pandapowerNet:
    """A small 20 kV ring with a busbar coupler, an open tie, an out-of-service bus and a dead end."""
    net = pp.create_empty_network()
    b = [pp.create_bus(net, 20.0) for _ in range(8)]
    net.bus.loc[6, "in_service"] = False
    pp.create_ext_grid(net, b[0])
    pp.create_switch(net, b[0], b[1], "b", closed=True)  # busbar coupler: buses 0 and 1 are one
    cable = "NA2XS2Y 1x240 RM/25 12/20 kV"
    lines = [(1, 2), (2, 3), (0, 4), (4, 3), (3, 5), (5, 6), (7, 5)]
    for f, t in lines:
        pp.create_line(net, b[f], b[t], 1.0, cable)
    pp.create_switch(net, b[3], 3, "l", closed=False)  # open tie: line 3 (4-3) open at bus 3
    pp.create_switch(net, b[5], 6, "l", closed=False)  # line 6 (7-5) open at bus 5: bus 7 unsupplied
    for bus, p in ((2, 1.0), (3, 0.8), (4, 0.5), (5, 0.4), (7, 0.2)):
        pp.create_load(net, b[bus], p, 0.2 * p)
    return net


def test_switches_out_of_service_buses_and_unsupplied_parts() -> None:
    net = switched_net()
    fast = contingency_analysis(net, keep_flows=True)
    ref = contingency_analysis(net, engine="pandapower", keep_flows=True)
    assert_same(fast, ref)
    assert np.isnan(fast.base_vm_pu[7]) and np.isnan(fast.base_vm_pu[6])
    # the open tie (line 3) and the line to the unsupplied bus (line 6) are not outaged by default
    assert set(fast.outages.index) == {("line", i) for i in (0, 1, 2, 4, 5)}
    # line 5 runs to the out-of-service bus 6: energized from bus 5 only, as pandapower does it
    assert fast.base_loading_pct[("line", 5)] > 0
    ties = [("line", 3), ("line", 6)]
    fast_t = contingency_analysis(net, elements=ties, keep_flows=True)
    ref_t = contingency_analysis(net, engine="pandapower", elements=ties, keep_flows=True)
    assert_same(fast_t, ref_t)
    assert not fast_t.outages["islanded"].any()


def collapse_net(p_mw: float = 200.0) -> pp.pandapowerNet:
    """Two long 110 kV lines feeding one load: each alone cannot carry it (voltage collapse)."""
    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, 110.0), pp.create_bus(net, 110.0)
    pp.create_ext_grid(net, b0)
    for _ in range(2):
        pp.create_line_from_parameters(net, b0, b1, 60.0, 0.12, 0.4, 9.0, 0.6)
    pp.create_load(net, b1, p_mw, 0.3 * p_mw)
    return net


def test_diverged_outage_is_reported_and_ranked_first() -> None:
    """Lines 0/1 (parallel) and 2 (to 150 MW of PV) each collapse the voltage; line 3 islands 1 MW."""
    net = collapse_net(350.0)
    pv, spur = pp.create_bus(net, 110.0), pp.create_bus(net, 110.0)
    pp.create_line_from_parameters(net, 1, pv, 5.0, 0.12, 0.4, 9.0, 0.6)
    pp.create_sgen(net, pv, 150.0)
    pp.create_line_from_parameters(net, 0, spur, 5.0, 0.12, 0.4, 9.0, 0.6)
    pp.create_load(net, spur, 1.0)
    fast = contingency_analysis(net)
    ref = contingency_analysis(net, engine="pandapower")
    for r in (fast, ref):
        o = r.outages
        assert o["converged"].tolist() == [False, False, False, True]
        assert o["islanded_buses"].tolist() == [(), (), (pv,), (spur,)]
        assert o["gen_lost_mw"].tolist() == [0.0, 0.0, 150.0, 0.0]
        assert o["load_lost_mw"].tolist() == [0.0, 0.0, 0.0, 1.0]
        assert r.critical().index.tolist() == [("line", 0), ("line", 1), ("line", 2), ("line", 3)]
        assert o["max_loading_pct"].iloc[:3].isna().all() and (o["n_overloads"].iloc[:3] == 0).all()
    summary = fast.summary()
    assert summary["n_diverged"] == 3 and summary["critical"][0]["max_loading_pct"] is None
    json.dumps(summary, allow_nan=False)


def test_summary_progress_and_options() -> None:
    net = grid("case9")
    calls: list[tuple[int, int]] = []
    r = contingency_analysis(net, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (9, 9) and len(calls) == 9
    ref_calls: list[tuple[int, int]] = []
    contingency_analysis(
        net, engine="pandapower", elements=[("line", 3)], progress=lambda *a: ref_calls.append(a)
    )
    assert ref_calls == [(1, 1)]
    s = r.summary(top=2)
    text = json.dumps(s, allow_nan=False)
    assert s["n_cases"] == 9 and s["seconds"] > 0 and len(s["critical"]) == 2
    assert "line 0" in text
    assert r.vm_pu is None and r.loading_pct is None
    assert list(r.critical()["rank"]) == sorted(r.critical()["rank"])
    threaded = contingency_analysis(net, n_threads=2)
    pd.testing.assert_frame_equal(
        threaded.outages.drop(columns="islanded_buses"), r.outages.drop(columns="islanded_buses")
    )
    none = contingency_analysis(net, elements=[])
    assert none.n_cases == 0 and none.violations.empty and none.summary()["n_critical"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"elements": [("bus", 1)]}, "'bus' is not 'line' or 'trafo'"),
        ({"elements": [("line", 99)]}, "line 99 is not in net.line"),
        ({"engine": "gpu"}, "engine: 'gpu'"),
        ({"vm_band": {400.0: (0.9, 1.1)}}, "no band for buses below 400.0 kV"),
        ({"vm_band": (1.1, 0.9)}, "vm_min must be below vm_max"),
    ],
)
def test_bad_arguments_name_the_cause(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        contingency_analysis(grid("case9"), **kwargs)


def test_explicit_outages_must_be_in_service_and_energized() -> None:
    net = switched_net()
    net.line.loc[1, "in_service"] = False
    with pytest.raises(ValueError, match="line 1 is already out of service"):
        contingency_analysis(net, elements=[("line", 1)])
    dead = pp.create_bus(net, 20.0)
    pp.create_line(net, 7, dead, 1.0, "NA2XS2Y 1x240 RM/25 12/20 kV")  # line 7: between unsupplied buses
    for engine in ("lightsim2grid", "pandapower"):
        with pytest.raises(ValueError, match="line 7 is not energized"):
            contingency_analysis(net, elements=[("line", 7)], engine=engine)


def test_fast_engine_refuses_what_lightsim2grid_does_not_model() -> None:
    net = grid("case9")
    pp.create_impedance(net, 3, 4, 0.01, 0.01, sn_mva=100.0)
    with pytest.raises(NotImplementedError, match="net.impedance"):
        contingency_analysis(net)
    net = grid("case9")
    pp.create_ext_grid(net, 1)
    with pytest.raises(NotImplementedError, match="exactly one in-service ext_grid"):
        contingency_analysis(net)
    net = grid("case9")
    net.gen.loc[0, "slack"] = True
    with pytest.raises(NotImplementedError, match="slack=True"):
        contingency_analysis(net)
    net = radial_net()
    pp.create_switch(net, 2, 3, "b", closed=True, z_ohm=0.1)
    with pytest.raises(NotImplementedError, match="z_ohm"):
        contingency_analysis(net)
    net = radial_net()
    net.trafo["tap_changer_type"] = "Ideal"
    with pytest.raises(NotImplementedError, match="Ideal"):
        contingency_analysis(net)
    net = radial_net()
    net.load["const_z_p_percent"] = 50.0
    with pytest.raises(NotImplementedError, match="voltage-dependent"):
        contingency_analysis(net)


def test_base_case_that_does_not_converge_is_an_error() -> None:
    for engine in ("lightsim2grid", "pandapower"):
        with pytest.raises(RuntimeError, match="base case does not converge"):
            contingency_analysis(collapse_net(400.0), engine=engine)


def test_the_typed_summary_is_the_json_summary() -> None:
    """``report`` is typed; ``to_dict`` is the JSON: keys in order, the critical outages as records."""
    from gridcore.network.contingency import ContingencySummary, CriticalOutage

    net = collapse_net(350.0)
    pv = pp.create_bus(net, 110.0)
    pp.create_line_from_parameters(net, 1, pv, 5.0, 0.12, 0.4, 9.0, 0.6)
    pp.create_sgen(net, pv, 150.0)
    r = contingency_analysis(net, engine="pandapower")
    report = r.report(top=2)
    assert isinstance(report, ContingencySummary) and all(
        isinstance(c, CriticalOutage) for c in report.critical
    )
    assert (report.n_cases, report.n_diverged, report.n_critical, len(report.critical)) == (3, 3, 3, 2)
    assert [(c.outage_type, c.outage_element, c.rank) for c in report.critical] == [
        ("line", 0, 1),
        ("line", 1, 2),
    ]
    assert report.critical[0].converged is False and report.critical[0].max_loading_pct is None
    d = report.to_dict()
    assert list(d) == [
        "engine",
        "n_cases",
        "seconds",
        "loading_limit_pct",
        "n_diverged",
        "n_islanding",
        "load_lost_mw_max",
        "n_with_overloads",
        "n_with_voltage_violations",
        "n_critical",
        "critical",
    ]
    assert list(d["critical"][0])[:4] == ["outage_type", "outage_element", "name", "rank"]
    assert d == r.summary(top=2) and d["critical"][1]["outage_element"] == 1
    json.dumps(d, allow_nan=False)
