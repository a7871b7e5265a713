"""Set-point commands (batteries, curtailed generators) and the least-curtailment search."""

from __future__ import annotations

from time import perf_counter

import numpy as np
import pandas as pd
import pytest

from gridcore.shedding.commands import ShedCommand, battery_commands, setpoint_commands
from gridcore.shedding.network import CURTAIL_TOL_MW, _least

STARTS = pd.date_range("2016-07-01T18:00Z", periods=3, freq="h")
HOUR = pd.Timedelta(hours=1)
EXPIRY = pd.Timedelta(minutes=10)


def test_battery_commands_hold_schedule_plus_extra_and_restore_after_each_run():
    extra = np.array([[0.02, -0.03], [0.02, 0.0], [0.0, -0.01]])  # MW, + discharge, - charge
    cmds = battery_commands(["battery:a", "battery:b"], np.array([0.01, 0.005]), extra, STARTS, HOUR, EXPIRY)
    a = [c for c in cmds if c.device == "battery:a"]
    assert [(c.action, c.setpoint_kw, c.load_kw) for c in a] == [
        ("discharge", 30.0, 20.0),
        ("discharge", 30.0, 20.0),
        ("restore", None, 20.0),
    ]
    assert a[-1].start == "2016-07-01T20:00:00Z"
    b = [c for c in cmds if c.device == "battery:b"]
    # 5 kW scheduled discharge less 30 kW extra charge: hold 25 kW charging
    assert [(c.action, c.setpoint_kw) for c in b] == [
        ("charge", 25.0),
        ("restore", None),
        ("charge", 5.0),
        ("restore", None),
    ]
    assert [c.start for c in b] == [
        "2016-07-01T18:00:00Z",
        "2016-07-01T19:00:00Z",
        "2016-07-01T20:00:00Z",
        "2016-07-01T21:00:00Z",
    ]
    # the format shed execute reads, with the actions the transports take
    assert all(ShedCommand.from_dict(c.to_dict()) == c for c in cmds)
    assert len({c.command_id for c in cmds}) == len(cmds)


def test_setpoint_commands_one_per_slot():
    keep = np.array([[0.01, 0.0], [0.02, 0.0], [0.03, 0.0]])
    taken = np.array([[0.05, 0.0], [0.04, 0.0], [0.0, 0.0]])
    cmds = setpoint_commands(["sgen:1", "sgen:2"], keep, taken, STARTS, HOUR, EXPIRY)
    assert [(c.device, c.action, c.setpoint_kw, c.load_kw) for c in cmds] == [
        ("sgen:1", "curtail", 10.0, 50.0),
        ("sgen:1", "curtail", 20.0, 40.0),
        ("sgen:1", "restore", None, 40.0),
    ]


def test_command_rejects_an_unknown_action():
    from gridcore.errors import InputError

    c = battery_commands(["battery:a"], np.zeros(1), np.array([[0.01]]), STARTS[:1], HOUR, EXPIRY)[
        0
    ].to_dict()
    with pytest.raises(InputError, match="action"):
        ShedCommand.from_dict({**c, "action": "explode"})


def _least_of(margin, clears=None, total=1.0):
    return _least(margin, clears or (lambda x: margin(x) <= 0), total, perf_counter(), 10.0)


def test_least_finds_the_root_of_a_linear_margin_within_the_tolerance():
    x = _least_of(lambda x: 1 - x / 0.3)
    assert 0.3 - 1e-9 <= x <= 0.3 + CURTAIL_TOL_MW


def test_least_on_a_curved_margin():
    x = _least_of(lambda x: 0.05 - 0.4 * x**2)  # root at sqrt(0.125) = 0.3536
    assert np.sqrt(0.125) - 1e-9 <= x <= np.sqrt(0.125) + CURTAIL_TOL_MW


def test_least_when_all_of_it_overshoots():
    # clears only between 0.3 and 0.8 (beyond, the flow turns round): probes find the bracket
    x = _least_of(lambda x: max(0.3 - x, x - 0.8))
    assert 0.3 - 1e-9 <= x <= 0.3 + CURTAIL_TOL_MW


def test_least_edges():
    assert _least_of(lambda x: -1.0) == 0.0  # nothing to do
    assert _least_of(lambda x: 1.0) == 1.0  # nothing clears: all of it
    # the targets clear at 0.3 but something else in scope only at 0.6: raised by bisection
    x = _least_of(lambda x: 0.3 - x, lambda x: x >= 0.6)
    assert 0.6 - 1e-9 <= x <= 0.6 + CURTAIL_TOL_MW
    # and when nothing clears it, the targets' least is kept
    assert _least_of(lambda x: 0.3 - x, lambda x: False) == pytest.approx(0.3, abs=CURTAIL_TOL_MW)


def test_battery_commands_reach_a_real_bms_over_modbus(tmp_path):
    from gridcore.interfaces.brokers import free_port
    from gridcore.interfaces.commands import parse_commands
    from gridcore.interfaces.control import execute
    from gridcore.interfaces.modbus import BmsSimulator, ModbusLink
    from gridcore.interfaces.outbox import Backoff, Outbox, outbox_path

    now = pd.DatetimeIndex([pd.Timestamp.now(tz="UTC").floor("min")])
    cmds = battery_commands(["battery:B1"], np.array([0.01]), np.array([[0.05]]), now, HOUR, EXPIRY)
    sim = BmsSimulator(free_port(), limit_kw=100.0).start()
    try:
        link = ModbusLink({"battery:B1": f"127.0.0.1:{sim.port}/1"})
        with Outbox(outbox_path(tmp_path)) as outbox:
            result = execute(
                outbox,
                parse_commands([c.to_dict() for c in cmds]),
                [link],
                backoff=Backoff(base_s=0.2),
                timeout_s=10,
            )
        link.close()
    finally:
        sim.stop()
    assert result["counts"]["acknowledged"] == 2
    assert sim.writes == [60.0, 0.0]  # kW: 10 scheduled + 50 from the plan, then back
