"""Battery setpoints over Modbus TCP to a real pymodbus server (the BMS simulator)."""

from __future__ import annotations

import pytest

from gridcore.errors import InputError
from gridcore.interfaces.brokers import free_port
from gridcore.interfaces.commands import parse_commands
from gridcore.interfaces.control import execute
from gridcore.interfaces.modbus import BmsSimulator, ModbusLink, setpoint_for
from gridcore.interfaces.outbox import Backoff, Outbox, outbox_path


@pytest.fixture
def bms():
    sim = BmsSimulator(free_port(), limit_kw=50.0, soc_pct=62.5).start()
    yield sim
    sim.stop()


def _battery_commands(make_commands, actions):
    items = make_commands(len(actions), prefix="bess:")
    for item, (action, kw) in zip(items, actions, strict=True):
        item.update(action=action, setpoint_kw=kw, device="bess:0")
    return parse_commands(items)


def test_setpoints_written_and_read_back(bms, tmp_path, make_commands):
    link = ModbusLink({"bess:0": f"127.0.0.1:{bms.port}/1"})
    commands = _battery_commands(make_commands, [("discharge", 30.0), ("charge", 80.0), ("restore", None)])
    with Outbox(outbox_path(tmp_path)) as outbox:
        result = execute(outbox, commands, [link], backoff=Backoff(base_s=0.2), timeout_s=10)
    link.close()
    assert result["counts"]["acknowledged"] == 3
    assert bms.writes == [30.0, -80.0, 0.0]  # kW, positive discharges


def test_state_follows_limit(bms):
    link = ModbusLink({"bess:0": f"modbus://127.0.0.1:{bms.port}"})
    assert link.handles("bess:0") and not link.handles("load:0") and link.connected()
    assert link.send({"command_id": "x", "device": "bess:0", "action": "charge", "setpoint_kw": 80.0})
    [ack] = link.acks()
    link.close()
    assert ack["status"] == "ok"
    assert ack["state"] == {
        "setpoint_kw": -80.0,
        "power_kw": -50.0,
        "soc_pct": 62.5,
        "status": 0,
        "limit_kw": 50.0,
    }


def test_faulty_bms_and_bad_actions_rejected(tmp_path, make_commands):
    sim = BmsSimulator(free_port(), fault=True).start()
    link = ModbusLink({"bess:0": f"127.0.0.1:{sim.port}/1"})
    commands = _battery_commands(make_commands, [("discharge", 10.0), ("shed", None), ("charge", None)])
    with Outbox(outbox_path(tmp_path)) as outbox:
        result = execute(outbox, commands, [link], backoff=Backoff(base_s=0.2), timeout_s=10)
    link.close()
    sim.stop()
    assert [c["state"] for c in result["commands"]] == ["failed"] * 3
    assert "status 1" in result["commands"][0]["reason"]
    assert "not 'shed'" in result["commands"][1]["reason"]
    assert "needs setpoint_kw" in result["commands"][2]["reason"]
    far = ModbusLink({"b": "127.0.0.1:1"})
    assert far.send({"command_id": "y", "device": "b", "action": "discharge", "setpoint_kw": 5000.0})
    assert "register's range" in far.acks()[0]["reason"]
    with pytest.raises(InputError, match="host:port/unit"):
        ModbusLink({"b": "127.0.0.1:x/y"})
    assert setpoint_for({"action": "discharge", "setpoint_kw": -3}) == 3.0


def test_bms_down_queues_then_delivers(tmp_path, make_commands):
    port = free_port()
    link = ModbusLink({"bess:0": f"127.0.0.1:{port}/1"}, timeout_s=0.5)
    commands = _battery_commands(make_commands, [("discharge", 20.0)])
    path = outbox_path(tmp_path)
    with Outbox(path) as outbox:
        down = execute(outbox, commands, [link], backoff=Backoff(base_s=0.2), timeout_s=0.5)
    assert down["counts"]["queued"] == 1 and down["unreachable"] == ["bess:0"]
    sim = BmsSimulator(port).start()
    with Outbox(path) as outbox:
        up = execute(outbox, commands, [link], backoff=Backoff(base_s=0.2), timeout_s=10)
    link.close()
    sim.stop()
    assert up["counts"]["acknowledged"] == 1 and sim.writes == [20.0]


def test_bms_dies_after_connect():
    sim = BmsSimulator(free_port()).start()
    link = ModbusLink({"bess:0": f"127.0.0.1:{sim.port}/1"}, timeout_s=0.3)
    command = {"command_id": "a", "device": "bess:0", "action": "discharge", "setpoint_kw": 5.0}
    assert link.send(command)
    sim.stop()
    assert not link.send({**command, "command_id": "b"})  # the outbox keeps it and tries again
    assert not link.send({**command, "command_id": "c"})  # no new connection for a second
    assert [a["command_id"] for a in link.acks()] == ["a"]
    link.close()


def test_broker_helpers():
    from gridcore.interfaces.brokers import start_broker, wait_port

    with pytest.raises(ValueError, match="one of amqtt, mosquitto"):
        start_broker("nats")
    with pytest.raises(TimeoutError):
        wait_port(free_port(), timeout_s=0.2)
