"""Commands over MQTT through real brokers (amqtt; mosquitto when installed) and real device processes.

Fault tests: the broker killed mid-run and restarted (commands queue, then arrive, none lost, none
acted on twice), a device that never acknowledges (re-sent with back-off, then failed or expired),
duplicate command ids (acted on once).
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from gridcore.errors import InputError
from gridcore.interfaces.commands import parse_commands
from gridcore.interfaces.control import execute, unreachable_devices
from gridcore.interfaces.loadsim import LoadSimulator, device_ids, main
from gridcore.interfaces.mqtt import MqttLink, command_topic, parse_broker_url
from gridcore.interfaces.outbox import Backoff, Outbox, outbox_path

FAST = Backoff(base_s=0.3, factor=2.0, max_s=2.0, max_attempts=4)


def _journal(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_broker_url_and_topics():
    assert parse_broker_url("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884)
    assert parse_broker_url("localhost") == ("localhost", 1883)
    with pytest.raises(InputError):
        parse_broker_url("http://x:1")
    with pytest.raises(InputError):
        parse_broker_url("mqtt://x:port")
    with pytest.raises(InputError):
        command_topic("a/b")


def test_all_commands_acknowledged_once(mqtt_broker, tmp_path, make_commands, simulator_process):
    _, journal = simulator_process(mqtt_broker.url, 50)
    commands = parse_commands(make_commands(50))
    with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(mqtt_broker.url) as link:
        assert link.wait_connected(10)
        result = execute(outbox, commands, [link], backoff=FAST, timeout_s=20)
    assert result["counts"]["acknowledged"] == 50
    assert result["unreachable"] == [] and result["still_open"] == 0
    assert all(c["round_trip_ms"] > 0 and c["first_sent"] for c in result["commands"])
    acted = _journal(journal)
    assert sorted(a["command_id"] for a in acted) == sorted(c.command_id for c in commands)


def test_duplicate_ids_act_once(mqtt_broker, tmp_path, make_commands, simulator_process):
    _, journal = simulator_process(mqtt_broker.url, 5)
    items = make_commands(5)
    commands = parse_commands(items + [dict(i) for i in items])  # each id twice in the plan
    assert len(commands) == 5
    with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(mqtt_broker.url) as link:
        assert link.wait_connected(10)
        first = execute(outbox, commands, [link], backoff=FAST, timeout_s=20)
        again = execute(outbox, commands, [link], backoff=FAST, timeout_s=20)  # the plan executed twice
        # and the same command published twice by hand: the device acts once and acknowledges both
        link.send(commands[0].to_json())
        link.send(commands[0].to_json())
        time.sleep(0.5)
    assert first["added"] == 5 and again["added"] == 0
    assert again["counts"]["acknowledged"] == 5
    acted = [a["command_id"] for a in _journal(journal)]
    assert sorted(acted) == sorted(c.command_id for c in commands)


def test_silent_device_retried_then_failed(mqtt_broker, tmp_path, make_commands):
    sim = LoadSimulator(mqtt_broker.url, device_ids(3), silent=["load:1"]).start()
    assert sim.ready.wait(10)
    commands = parse_commands(make_commands(3))
    try:
        with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(mqtt_broker.url) as link:
            assert link.wait_connected(10)
            t0 = time.monotonic()
            result = execute(outbox, commands, [link], backoff=FAST, timeout_s=20)
            elapsed = time.monotonic() - t0
            assert unreachable_devices(outbox, commands) == ["load:1"]
    finally:
        sim.stop()
    states = {c["device"]: c for c in result["commands"]}
    assert states["load:1"]["state"] == "failed"
    assert states["load:1"]["attempts"] == 4
    assert "no acknowledgement after 4 attempts" in states["load:1"]["reason"]
    # waits 0.3 + 0.6 + 1.2 + 2.0 s between the four sends and the verdict
    assert 4.0 <= elapsed < 20.0
    assert states["load:0"]["state"] == states["load:2"]["state"] == "acknowledged"
    assert result["unreachable"] == ["load:1"]


def test_silent_device_expires(mqtt_broker, tmp_path, make_commands):
    sim = LoadSimulator(mqtt_broker.url, device_ids(2), silent=["load:0"]).start()
    assert sim.ready.wait(10)
    commands = parse_commands(make_commands(2, valid_s=1.5))
    try:
        with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(mqtt_broker.url) as link:
            assert link.wait_connected(10)
            result = execute(
                outbox, commands, [link], backoff=Backoff(base_s=0.2, max_attempts=100), timeout_s=20
            )
    finally:
        sim.stop()
    states = {c["device"]: c["state"] for c in result["commands"]}
    assert states == {"load:0": "expired", "load:1": "acknowledged"}
    assert result["commands"][0]["attempts"] >= 3


def test_lost_copies_are_resent(amqtt_broker, tmp_path, make_commands):
    sim = LoadSimulator(amqtt_broker.url, device_ids(3), drop_first=2, delay_s=0.01).start()
    assert sim.ready.wait(10)
    commands = parse_commands(make_commands(3))
    try:
        with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(amqtt_broker.url) as link:
            assert link.wait_connected(10)
            result = execute(outbox, commands, [link], backoff=FAST, timeout_s=20)
    finally:
        sim.stop()
    assert [c["attempts"] for c in result["commands"]] == [3, 3, 3]
    assert result["counts"]["acknowledged"] == 3
    assert len(sim.applied) == 3 and set(sim.state.values()) == {"shed"}


def test_expired_command_rejected_by_device(amqtt_broker, tmp_path, make_commands):
    sim = LoadSimulator(amqtt_broker.url, device_ids(1)).start()
    assert sim.ready.wait(10)
    [command] = parse_commands(make_commands(1, valid_s=-5.0))
    with MqttLink(amqtt_broker.url) as link:
        assert link.wait_connected(10)
        assert link.send(command.to_json())
        deadline = time.monotonic() + 5
        acks = []
        while not acks and time.monotonic() < deadline:
            acks = link.acks()
            time.sleep(0.02)
    sim.stop()
    assert acks[0]["status"] == "rejected" and "not_after" in acks[0]["reason"]
    assert sim.applied == {}


def test_link_down_queues_then_delivers(mqtt_broker, tmp_path, make_commands, simulator_process):
    _, journal = simulator_process(mqtt_broker.url, 20)
    commands = parse_commands(make_commands(20))
    path = outbox_path(tmp_path)
    mqtt_broker.kill()
    with Outbox(path) as outbox, MqttLink(mqtt_broker.url) as link:
        down = execute(outbox, commands, [link], backoff=FAST, timeout_s=1.0)
    assert down["counts"]["queued"] == 20 and down["still_open"] == 20
    assert len(down["unreachable"]) == 20
    mqtt_broker.restart()
    time.sleep(2.5)  # the simulator reconnects and subscribes again (1-2 s reconnect delay)
    with Outbox(path) as outbox, MqttLink(mqtt_broker.url) as link:
        assert link.wait_connected(10)
        up = execute(outbox, commands, [link], backoff=FAST, timeout_s=20)
    assert up["added"] == 0
    assert up["counts"]["acknowledged"] == 20 and up["unreachable"] == []
    acted = [a["command_id"] for a in _journal(journal)]
    assert sorted(acted) == sorted(c.command_id for c in commands)  # none lost, none twice


def test_broker_killed_mid_run(mqtt_broker, tmp_path, make_commands, simulator_process):
    # the devices answer slowly (40 x 0.05 s), so the broker dies with commands in flight
    _, journal = simulator_process(mqtt_broker.url, 40, "--delay-s", "0.05")
    commands = parse_commands(make_commands(40))
    result: dict = {}

    def run() -> None:
        with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(mqtt_broker.url) as link:
            link.wait_connected(10)
            result.update(execute(outbox, commands, [link], backoff=FAST, timeout_s=40))

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.6)
    mqtt_broker.kill()
    acked_before = len(_journal(journal))
    time.sleep(1.0)
    mqtt_broker.restart()
    thread.join(60)
    assert acked_before < 40  # the broker died with commands not yet acted on
    assert result["counts"]["acknowledged"] == 40, result["counts"]
    assert result["unreachable"] == []
    acted = [a["command_id"] for a in _journal(journal)]
    assert len(acted) == len(set(acted)) == 40  # none lost, none acted on twice
    assert max(c["attempts"] for c in result["commands"]) >= 2  # some were sent again


def test_simulator_main_in_process(amqtt_broker, tmp_path, make_commands):
    """The simulator's command line, run in a thread until told to stop."""
    import signal

    stop = threading.Event()
    journal = tmp_path / "j.jsonl"
    argv = ["--broker", amqtt_broker.url, "--devices", "2", "--journal", str(journal)]
    original = signal.signal
    handlers = {}

    def fake_signal(sig, handler):  # threads cannot install signal handlers: keep them to call
        handlers[sig] = handler

    signal.signal = fake_signal
    try:
        thread = threading.Thread(target=lambda: main(argv))
        thread.start()
        time.sleep(0.5)
    finally:
        signal.signal = original
    commands = parse_commands(make_commands(2))
    with Outbox(outbox_path(tmp_path)) as outbox, MqttLink(amqtt_broker.url) as link:
        assert link.wait_connected(10)
        result = execute(outbox, commands, [link], backoff=FAST, timeout_s=10)
    handlers[signal.SIGTERM]()
    thread.join(10)
    stop.set()
    assert result["counts"]["acknowledged"] == 2
    assert len(_journal(journal)) == 2
