"""A battery's ``restore`` over Modbus TCP (a real pymodbus server): back to its stored set point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.interfaces.brokers import free_port
from gridcore.interfaces.commands import parse_commands
from gridcore.interfaces.control import execute
from gridcore.interfaces.modbus import BmsSimulator, ModbusLink, restore_setpoint
from gridcore.interfaces.outbox import Backoff, Outbox, outbox_path
from gridcore.shedding.batteries import stored_setpoints


def _store_schedule(root, issue: pd.Timestamp, net_kw: dict[str, list[float]]) -> None:
    """A stored fleet schedule of 3 hours from ``issue``: net output per battery [kW], + discharges."""
    from gridcore.storage.store import schedule_path
    from gridcore.store import write_whole

    ids = list(net_kw)
    net = np.array([net_kw[b] for b in ids]) / 1000.0
    ds = xr.Dataset(
        {
            "charge_mw": (("battery", "time"), np.maximum(-net, 0.0)),
            "discharge_mw": (("battery", "time"), np.maximum(net, 0.0)),
            "soc_mwh": (("battery", "time"), np.full(net.shape, 0.05)),
        },
        coords={
            "battery": np.array(ids),
            "time": pd.date_range(issue, periods=net.shape[1], freq="h").tz_localize(None),
        },
        attrs={"issue_time": issue.isoformat()},
    )
    write_whole(ds, schedule_path(root, issue))


@pytest.fixture
def bms():
    sim = BmsSimulator(free_port(), limit_kw=50.0).start()
    yield sim
    sim.stop()


def _commands(make_commands, device, actions):
    items = make_commands(len(actions), prefix="x")
    for item, (action, kw) in zip(items, actions, strict=True):
        item.update(action=action, setpoint_kw=kw, device=device)
    return items


def test_restore_returns_the_battery_to_its_stored_schedule(bms, tmp_path, make_commands):
    hour = pd.Timestamp.now(tz="UTC").floor("h")
    _store_schedule(tmp_path, hour - pd.Timedelta(hours=1), {"B7": [3.0, -12.5, 8.0], "B8": [1.0, 2.0, 3.0]})
    lookup = stored_setpoints(tmp_path)
    assert lookup("battery:B7", hour) == (
        pytest.approx(-12.5),
        f"stored schedule {hour - pd.Timedelta(hours=1):%Y-%m-%dT%H:%MZ}",
    )
    assert lookup("battery:B9", hour) is None  # not in the schedule
    assert lookup("battery:B7", hour + pd.Timedelta(hours=5)) is None  # beyond it

    link = ModbusLink({"battery:B7": f"127.0.0.1:{bms.port}/1"}, setpoints=lookup)
    items = _commands(make_commands, "battery:B7", [("discharge", 30.0), ("restore", None)])
    with Outbox(outbox_path(tmp_path)) as outbox:
        result = execute(outbox, parse_commands(items), [link], backoff=Backoff(base_s=0.2), timeout_s=10)
    link.close()
    assert result["counts"]["acknowledged"] == 2
    assert bms.writes == [30.0, -12.5]  # back to the schedule's 12.5 kW charging, not to 0 kW
    restore = [c for c in result["commands"] if c["action"] == "restore"][0]
    assert "stored schedule" in restore["reason"] and "-12.5 kW" in restore["reason"]


def test_restore_without_a_schedule_goes_to_zero_and_says_so(bms, tmp_path, make_commands):
    link = ModbusLink(
        {"battery:B7": f"127.0.0.1:{bms.port}/1"}, setpoints=stored_setpoints(tmp_path / "none")
    )
    items = _commands(make_commands, "battery:B7", [("discharge", 20.0), ("restore", None), ("restore", 7.5)])
    with Outbox(outbox_path(tmp_path)) as outbox:
        result = execute(outbox, parse_commands(items), [link], backoff=Backoff(base_s=0.2), timeout_s=10)
    link.close()
    assert result["counts"]["acknowledged"] == 3
    assert sorted(bms.writes) == [0.0, 7.5, 20.0]
    reasons = {c["command_id"]: c["reason"] for c in result["commands"]}
    assert "no stored schedule" in reasons[items[1]["command_id"]]
    assert "plan's copy" in reasons[items[2]["command_id"]]  # the plan carried the schedule's set point
    assert restore_setpoint({"action": "restore", "device": "b"}) == (
        0.0,
        "no stored schedule for this battery and hour: 0 kW",
    )
