from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.shedding.commands import ShedCommand, interval_commands
from gridcore.shedding.impact import fairness, gini, jain_index
from gridcore.shedding.plan import event_slots, plan_export, plan_shortfall
from gridcore.shedding.priorities import load_priorities
from gridcore.shedding.rotation import rotate


def test_rotation_spreads_the_outage_and_keeps_the_maximum(blocks_of):
    # 6 equal residential blocks, 2 must be out in each of 3 two-hour slots, max outage 2 h each
    b = blocks_of([1.0] * 6, [10] * 6, max_out=[2.0] * 6)
    s = rotate(b, np.ones((3, 6)), np.full(3, 2.0), 2.0)
    assert s.shed.sum(axis=1).tolist() == [2, 2, 2]
    assert s.outage_h.tolist() == [2.0] * 6
    assert not s.over_max.any()
    f = fairness(b, s.outage_h, s.shed.any(axis=0))
    assert f["jain"] == pytest.approx(1.0) and f["gini"] == pytest.approx(0.0)


def test_rotation_breaks_the_maximum_only_when_nothing_else_covers(blocks_of):
    b = blocks_of([1.0] * 2, [10, 10], max_out=[2.0, 2.0])
    s = rotate(b, np.ones((2, 2)), np.array([2.0, 2.0]), 2.0)
    assert s.shed.all() and s.over_max.all()
    assert s.uncovered_mw.tolist() == [0.0, 0.0]


def test_batteries_then_dimming_then_cuts(blocks_of):
    # block 0: a 20 kW device (floor 4.2 kW); block 1: a residential block of 50 kW
    b = blocks_of([0.02, 0.05], [10, 10], dim_floor=[0.0042, np.nan])
    p = np.array([[0.02, 0.05]])
    s = rotate(b, p, np.array([0.01]), 1.0, battery_mw=0.005)
    assert s.battery_mw[0] == pytest.approx(0.005)
    assert s.dim[0].tolist() == [True, False] and not s.shed.any()
    assert s.dimmed_mw[0] == pytest.approx(0.005)  # reports what is needed
    s = rotate(b, p, np.array([0.04]), 1.0)
    assert s.dimmed_mw[0] == pytest.approx(0.0158)
    assert s.shed[0, 1] and s.shed_mw[0] == pytest.approx(0.05)
    # battery energy runs out over the event
    s = rotate(b, np.vstack([p, p]), np.array([0.01, 0.01]), 1.0, battery_mw=0.01, battery_mwh=0.01)
    assert s.battery_mw.tolist() == [0.01, 0.0]


def test_never_shed_and_uncovered(blocks_of):
    b = blocks_of([1.0, 1.0], [10, 20], never=[False, True])
    s = rotate(b, np.ones((1, 2)), np.array([1.5]), 1.0)
    assert s.shed[0].tolist() == [True, False]
    assert s.uncovered_mw[0] == pytest.approx(0.5)


def test_jain_and_gini_reference_values():
    assert jain_index(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert jain_index(np.array([1.0, 0.0, 0.0, 0.0])) == pytest.approx(0.25)
    assert jain_index(np.zeros(3)) == 1.0
    # weights: 3 customers at 1 h, 1 at 0 h -> (3)^2 / (4 * 3) = 0.75
    assert jain_index(np.array([1.0, 0.0]), np.array([3, 1])) == pytest.approx(0.75)
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert gini(np.array([2.0, 2.0])) == pytest.approx(0.0)
    assert gini(np.zeros(2)) == 0.0
    assert gini(np.array([0.0, 1.0]), np.array([3, 1])) == pytest.approx(0.75)


def test_event_slots():
    at = pd.Timestamp("2016-07-01T18:00Z")
    starts, h = event_slots(at, 6.0, 2.0)
    assert len(starts) == 3 and h == 2.0 and starts[-1] == at + pd.Timedelta(hours=4)
    starts, h = event_slots(at, 1.0, 2.0)
    assert len(starts) == 1 and h == 1.0


def test_plan_shortfall_figures_and_commands(blocks_of):
    rules = load_priorities()
    b = blocks_of(
        [0.5, 0.5, 0.3, 0.2],
        [10, 10, 20, 44],
        voll=[12000, 12000, 30000, 200000],
        critical=[False, False, False, True],
    )
    starts, h = event_slots(pd.Timestamp("2016-07-01T18:00Z"), 4.0, 2.0)
    load_p = np.tile([0.5, 0.5, 0.3, 0.2], (2, 1))
    sched, fig = plan_shortfall(b, load_p, starts, h, 0.5, rules)
    assert fig["needed_mw"] == 0.5 and fig["shed_mw"] == 0.5
    assert fig["critical_affected"] == 0
    assert fig["customers_affected"]["residential"] == 20
    assert fig["unserved_mwh"] == pytest.approx(2.0)
    assert fig["cost"] == pytest.approx(2.0 * 12000)
    assert fig["fairness"]["jain"] == pytest.approx(1.0)  # each residential block out for one slot
    cmds = [ShedCommand.from_dict(c) for c in fig["commands"]]
    assert sorted(c.action for c in cmds) == ["restore", "restore", "shed", "shed"]
    first = next(c for c in cmds if c.action == "shed" and c.start == "2016-07-01T18:00:00Z")
    assert first.end == "2016-07-01T20:00:00Z" and first.not_after == "2016-07-01T18:10:00Z"
    assert first.load_kw == pytest.approx(500.0)
    assert all(c.load_kw == pytest.approx(500.0) for c in cmds)
    # a shortfall beyond all non-critical load reaches the critical block
    _, fig = plan_shortfall(b, load_p[:1], starts[:1], 2.0, 1.45, rules)
    assert fig["critical_affected"] == 1 and fig["uncovered_mw"] == 0.0


def test_interval_commands_merge_consecutive_slots_and_dim_setpoints():
    starts = pd.date_range("2016-07-01T18:00Z", periods=3, freq="1h")
    shed = np.array([[True, False], [True, True], [False, True]])
    cmds = interval_commands(
        ["a", "b"], shed, starts, pd.Timedelta(hours=1), pd.Timedelta(minutes=5), "dim", [4.2, 8.4]
    )
    a = [c for c in cmds if c.device == "a"]
    assert [c.action for c in a] == ["dim", "restore"]
    assert a[0].end == "2016-07-01T20:00:00Z" and a[0].setpoint_kw == 4.2
    assert len({c.command_id for c in cmds}) == len(cmds) == 4


def test_command_from_dict_checks():
    good = {
        "command_id": "x",
        "device": "d",
        "action": "shed",
        "setpoint_kw": None,
        "start": "s",
        "end": "e",
        "not_after": "n",
    }
    assert ShedCommand.from_dict(good).to_dict() == {**good, "load_kw": None}
    assert ShedCommand.from_dict({**good, "load_kw": 3}).load_kw == 3.0
    with pytest.raises(ValueError, match="missing key end"):
        ShedCommand.from_dict({k: v for k, v in good.items() if k != "end"})
    with pytest.raises(ValueError, match="action"):
        ShedCommand.from_dict({**good, "action": "boil"})
    assert ShedCommand.from_dict({**good, "setpoint_kw": "4"}).setpoint_kw == 4.0


def test_plan_export_batteries_then_curtailment_by_type():
    rules = load_priorities()
    sgen = pd.DataFrame({"type": ["Wind", "PV", "PV", "Biomass"]}, index=[5, 6, 7, 8])
    out = plan_export(sgen, np.array([2.0, 0.5, 1.0, 1.0]), 1.6, rules, battery_charge_mw=0.2)
    assert out["battery_mw"] == 0.2 and out["curtailed_mw"] == pytest.approx(1.4)
    assert out["curtailed"] == {"7": 0.0, "6": pytest.approx(0.1)}
    out = plan_export(sgen, np.array([2.0, 0.5, 1.0, 1.0]), 10.0, rules)
    assert out["uncovered_mw"] == pytest.approx(5.5)
