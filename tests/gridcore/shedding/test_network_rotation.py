"""Rotation across the hours of a network plan, and batteries counted by place, on SimBench's LV grid.

The grid ``1-LV-rural2--2-sw`` on a winter evening (2016-01-20 16:00-20:00 UTC, SimBench's profiles, its
batteries idle) with the transformer derated to 15 % of its rating (it carries 17.7 % at 16:00): four
hours of a constraint that a few blocks downstream relieve, each hour planned and checked by power flow.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from gridcore.shedding.batteries import Headroom
from gridcore.shedding.events import Event
from gridcore.shedding.priorities import load_priorities
from gridcore.shedding.request import make_plan, prepare

LV = "1-LV-rural2--2-sw"
LIMIT = 15.0
EVENT = Event(pd.Timestamp("2016-01-20T16:00Z"), 4.0, elements=["trafo:0"])


@pytest.fixture(scope="module")
def rules():
    return load_priorities()


@pytest.fixture(scope="module")
def evening(rules):
    s = prepare(EVENT, rules, LV)
    s.net.storage["p_mw"] = 0.0  # the batteries idle: the constraint is the evening load's
    return s


@pytest.fixture(scope="module")
def plan(evening, rules):
    return make_plan(evening, EVENT, rules, loading_limit_pct=LIMIT)


def _shed_at(plan, at):
    return {
        c["device"]
        for c in plan["commands"]
        if c["action"] == "shed" and pd.Timestamp(c["start"]) <= at < pd.Timestamp(c["end"])
    }


def test_the_burden_rotates_to_other_blocks_downstream(plan, evening, rules):
    hours = plan["per_hour"]
    assert len(hours) == 4 and rules.rotation_period_h == 2.0
    assert all(h["constraints_before"] == 1 and h["remaining_constraints"] == 0 for h in hours)
    out = [_shed_at(plan, t) for t in evening.starts]
    assert all(out)
    # a new rotation period: other blocks downstream of the transformer take the cut
    assert not out[0] & out[2] and not out[1] & out[2]
    # within a period a block stays out (what still draws power in the next hour is cut again)
    assert out[2] - out[3] <= {b for b in out[2] if b.startswith("device:")}
    # no customer is out longer than the rotation period; without rotation the same blocks stay out 4 h
    f = plan["fairness"]
    assert f["max_outage_h"] == pytest.approx(2.0)
    assert max(b["outage_h"] for b in plan["blocks"]) <= rules.rotation_period_h
    assert plan["rotation"]["max_outage_exceeded"] == []
    assert plan["critical_affected"] == 0
    assert set(f) == {"jain", "gini", "customers", "max_outage_h", "mean_outage_h"}
    assert 0 < f["jain"] <= 1 and 0 <= f["gini"] < 1


def test_each_rotated_hour_clears_the_transformer_by_an_independent_power_flow(plan, evening):
    import pandapower as pp

    from gridcore.network.powerflow import set_loads_at

    b = evening.blocks
    ids = b.block_id.astype(str)
    for k in (0, 2):
        at = evening.starts[k]
        net = copy.deepcopy(evening.net)
        set_loads_at(net, evening.model, at)
        net.storage["p_mw"] = 0.0
        pp.runpp(net, lightsim2grid=False)
        assert net.res_trafo.loading_percent.iloc[0] > LIMIT
        p = b.p_mw(net.load["p_mw"].to_numpy())
        off = np.where(np.isin(ids, list(_shed_at(plan, at))), p, 0.0)
        assert off.sum() == pytest.approx(plan["per_hour"][k]["shed_mw"], abs=1e-6)
        load = net.load["p_mw"].to_numpy()
        cut = np.bincount(b.load, weights=off, minlength=len(net.load))
        ratio = 1 - np.divide(cut, load, out=np.zeros_like(load), where=load > 0)
        net.load["p_mw"] *= ratio
        net.load["q_mvar"] *= ratio
        pp.runpp(net, lightsim2grid=False)
        assert net.res_trafo.loading_percent.iloc[0] <= LIMIT + 1e-6


def test_a_block_at_its_maximum_outage_is_cut_only_when_nothing_else_will_do(evening, rules):
    """With a one-hour maximum for residential customers, no block is out twice."""
    strict = replace(
        rules,
        classes={**rules.classes, "residential": replace(rules.classes["residential"], max_outage_h=1.0)},
    )
    blocks = replace(evening.blocks, max_outage_h=np.minimum(evening.blocks.max_outage_h, 1.0))
    s = replace(evening, blocks=blocks)
    plan = make_plan(s, EVENT, strict, loading_limit_pct=LIMIT)
    out = [_shed_at(plan, t) for t in s.starts]
    assert all(h["remaining_constraints"] == 0 for h in plan["per_hour"])
    for k in range(3):
        assert not out[k] & out[k + 1]
    assert plan["rotation"]["max_outage_exceeded"] == []
    assert plan["fairness"]["max_outage_h"] == pytest.approx(1.0)


def test_only_batteries_downstream_count_and_the_plan_says_what_each_covered(evening, rules):
    """A battery on the LV feeder relieves the transformer; one on its MV side (bus 0) does not."""
    lv_bus = int(evening.net.load["bus"].iloc[0])
    h = Headroom(
        bus=np.array([lv_bus, 0]),
        discharge_mw=np.array([0.003, 0.05]),
        charge_mw=np.array([0.003, 0.05]),
        discharge_mwh=np.array([0.0045, 1.0]),  # the LV battery holds 1.5 h of its extra discharge
        charge_mwh=np.array([1.0, 1.0]),
        source="2016-01-20T00:00Z",
        battery=np.array(["LV1", "MV1"]),
        scheduled_mw=np.array([0.0, 0.0]),
        schedule=pd.DataFrame(
            {"LV1": [0.0, 0.0, -0.0012, 0.0], "MV1": 0.0},
            index=pd.date_range(EVENT.start, periods=4, freq="h"),
        ),
    )
    plan = make_plan(replace(evening, headroom=h), EVENT, rules, loading_limit_pct=LIMIT)
    bats = {b["battery"]: b for b in plan["batteries"]}
    assert set(bats) == {"LV1"}
    summary = plan["battery_summary"]
    assert summary["stored"] == 2 and summary["in_reach"] == 1 and summary["used"] == 1
    assert summary["out_of_reach"] == ["MV1"] and summary["from"] == "2016-01-20T00:00Z"
    assert not [c for c in plan["commands"] if c["device"] == "battery:MV1"]
    lv = bats["LV1"]
    assert lv["relieves"] == ["trafo:0"] and lv["bus"] == lv_bus
    # the first hour at full headroom, the second with the 1.5 kWh left, then empty
    assert lv["slots_mw"] == pytest.approx([0.003, 0.0015, 0.0, 0.0])
    assert lv["covered_mwh"] == pytest.approx(0.0045) and lv["covered_mw"] == pytest.approx(0.003)
    assert summary["covered_mwh"] == pytest.approx(0.0045)
    # after its two hours the battery goes back to its stored schedule: charging 1.2 kW at 18:00
    restore = [c for c in plan["commands"] if c["device"] == "battery:LV1" and c["action"] == "restore"]
    assert [(c["start"], c["setpoint_kw"]) for c in restore] == [
        ("2016-01-20T18:00:00Z", pytest.approx(-1.2))
    ]
    per_hour = [x["battery_mw"] for x in plan["per_hour"]]
    assert per_hour == pytest.approx(lv["slots_mw"])
    assert all(x["remaining_constraints"] == 0 for x in plan["per_hour"])
    assert plan["per_hour"][0]["shed_mw"] < 0.007591  # less cut than without the battery
