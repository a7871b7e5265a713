"""Network plans on SimBench's congested LV grid (transformer at 120 %, 0.871 p.u. at hL)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.shedding.events import Event
from gridcore.shedding.priorities import load_priorities
from gridcore.shedding.request import make_plan, prepare

LV = "1-LV-rural2--2-sw"


@pytest.fixture(scope="module")
def rules():
    return load_priorities()


@pytest.fixture(scope="module")
def lv_hl(rules):
    return prepare(Event(None, study_case="hL", elements=["trafo:0"]), rules, LV)


def test_plan_for_the_transformer_clears_every_constraint(lv_hl, rules):
    ev = Event(None, study_case="hL", elements=["trafo:0"])
    plan = make_plan(lv_hl, ev, rules)
    kinds = {c["kind"] for c in plan["constraints_before"]}
    assert kinds == {"overload", "undervoltage"}
    assert plan["remaining_constraints"] == []
    assert plan["critical_affected"] == 0
    assert plan["dimmed_mw"] > 0  # wallboxes and heat pumps dimmed before cuts
    assert plan["shed_mw"] > 0 and plan["power_flows"] >= 3
    assert plan["needed_mw"] == plan["shed_mw"]
    actions = {b["action"] for b in plan["blocks"]}
    assert actions == {"shed", "dim"}
    dims = [c for c in plan["commands"] if c["action"] == "dim"]
    assert dims and all(c["setpoint_kw"] == pytest.approx(4.2) for c in dims)
    # the net is left as it was
    assert lv_hl.net.load["p_mw"].sum() == pytest.approx(lv_hl.load_p_mw[0].sum())


def test_verified_by_an_independent_power_flow(lv_hl, rules):
    import pandapower as pp

    from gridcore.shedding.network import plan_network

    res = plan_network(lv_hl.net, lv_hl.blocks, ["trafo:0"])
    net = copy.deepcopy(lv_hl.net)
    b = lv_hl.blocks
    p = b.p_mw(net.load["p_mw"].to_numpy())
    off = np.where(res.shed, p, np.where(res.dim, b.dimmable_mw(p), 0.0))
    ratio = 1 - np.bincount(b.load, weights=off, minlength=len(net.load)) / net.load["p_mw"].to_numpy()
    net.load["p_mw"] *= ratio
    net.load["q_mvar"] *= ratio
    pp.runpp(net, lightsim2grid=False)
    assert net.res_trafo.loading_percent.max() <= 100.0 + 1e-6
    assert net.res_bus.vm_pu.min() >= 0.95 - 1e-9
    # the priority rule in reach: no residential block kept while a later tier is cut
    latest = b.order[res.shed].max()
    assert not (~res.shed & res.eligible & (b.order < latest) & (p > 0)).any()


def test_constraints_outside_the_elements_reach_are_listed_with_why(lv_hl, rules):
    from gridcore.network.downstream import RadialTree

    tree = RadialTree(lv_hl.net)
    # the shortest feeder's head line: relieving it cannot lift the far end of another feeder
    heads = [
        i for b, (t, i) in tree.branch.items() if t == "line" and tree.parent[b] == lv_hl.net.trafo.lv_bus[0]
    ]
    line = min(heads, key=lambda i: len(tree.downstream_buses(f"line:{i}")))
    plan = make_plan(lv_hl, Event(None, study_case="hL", elements=[f"line:{line}"]), rules)
    assert plan["remaining_constraints"]
    assert all(c["reason"] for c in plan["remaining_constraints"])
    assert any("not downstream" in c["reason"] for c in plan["remaining_constraints"])
    assert plan["kept_reasons"] == {} or all("downstream" in k or "never" in k for k in plan["kept_reasons"])


def test_network_and_supply_together(lv_hl, rules):
    ev = Event(None, shortfall_mw=0.3, study_case="hL", elements=["trafo:0"])
    plan = make_plan(lv_hl, ev, rules)
    assert plan["shed_mw"] + plan["dimmed_mw"] >= 0.3 - 1e-6
    assert plan["remaining_constraints"] == []


def test_export_side_curtails_generation(rules):
    s = prepare(Event(pd.Timestamp("2016-06-21T11:00Z"), elements=["trafo:0"]), rules, LV)
    s.net.ext_grid["vm_pu"] = 1.03  # a high slack voltage, and eight times the PV: buses above 1.05 p.u.
    s.net.sgen["p_mw"] *= 8
    plan = make_plan(s, Event(s.starts[0], elements=["trafo:0"]), rules)
    before = {c["kind"] for c in plan["constraints_before"]}
    assert "overvoltage" in before
    assert plan["curtailed_mw"] > 0 and plan["shed_mw"] == 0
    assert not [c for c in plan["remaining_constraints"] if c["kind"] == "overvoltage"]
    assert any(c["action"] == "curtail" and c["setpoint_kw"] == 0.0 for c in plan["commands"])


def test_a_time_or_study_case_is_needed(rules):
    with pytest.raises(InputError, match="--at"):
        prepare(Event(None), rules, LV)


def test_batteries_in_reach_discharge_first(lv_hl, rules):
    from gridcore.shedding.network import plan_network

    bus = int(lv_hl.net.load["bus"].iloc[0])
    plain = plan_network(lv_hl.net, lv_hl.blocks, ["trafo:0"])
    helped = plan_network(lv_hl.net, lv_hl.blocks, ["trafo:0"], (np.array([bus]), np.array([0.05])))
    assert helped.battery_mw == pytest.approx(0.05)
    p = lv_hl.blocks.p_mw(lv_hl.net.load["p_mw"].to_numpy())
    assert p[helped.shed].sum() < p[plain.shed].sum()
    assert helped.remaining == []


def test_whole_feeder_sections_get_one_switch_command(lv_hl, rules):
    from gridcore.network.downstream import RadialTree
    from gridcore.shedding.sections import feeder_sections

    plan = make_plan(lv_hl, Event(None, study_case="hL", elements=["trafo:0"]), rules)
    sections = plan["sections"]
    assert sections, "the hL plan cuts whole sections"
    switched = [c for c in plan["commands"] if c["device"].startswith("switch:")]
    assert len(switched) == 2 * len(sections)
    tree = RadialTree(lv_hl.net)
    b = lv_hl.blocks
    for sec in sections:
        assert lv_hl.net.switch.at[sec["switch"], "element"] == sec["line"]
        loads = set(tree.loads(f"line:{sec['line']}"))
        ids = {str(x) for x in b.block_id[np.isin(lv_hl.net.load.index[b.load], list(loads))]}
        assert not [c for c in plan["commands"] if c["device"] in ids]  # replaced by the switch
    assert feeder_sections(lv_hl.net, tree, b, np.zeros(len(b), bool)) == []


def test_bisect_finds_the_shortest_prefix_even_when_all_of_it_overshoots():
    from time import perf_counter

    from gridcore.shedding.network import _bisect

    actions = [("shed", i) for i in range(40)]
    # clears for prefixes 13..30 only (beyond 30 the flow turns round): a V-shaped loading
    assert _bisect(actions, lambda a: 13 <= len(a) <= 30, perf_counter(), 10.0) == 13
    assert _bisect(actions, lambda a: len(a) >= 7, perf_counter(), 10.0) == 7
    assert _bisect(actions, lambda a: False, perf_counter(), 10.0) == 40
    assert _bisect(actions, lambda a: True, perf_counter(), 10.0) == 0
    assert _bisect([], lambda a: False, perf_counter(), 10.0) == 0
