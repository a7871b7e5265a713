"""Commands, the outbox's states, back-off and expiry, and restoration steps (no network)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.interfaces.commands import load_plan, parse_commands
from gridcore.interfaces.control import pickup_mw, restore_commands, restore_steps
from gridcore.interfaces.outbox import Backoff, Outbox, outbox_path


@pytest.fixture
def outbox(tmp_path):
    with Outbox(outbox_path(tmp_path / "store")) as box:
        yield box


def test_parse_round_trip_and_extra_keys(make_commands):
    items = make_commands(2)
    items[0]["priority"] = 3
    commands = parse_commands(items)
    assert [c.device for c in commands] == ["load:0", "load:1"]
    assert commands[0].to_json()["priority"] == 3
    again = parse_commands([c.to_json() for c in commands])
    assert again == commands
    assert commands[0].start.tzinfo is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device": ""}, "device"),
        ({"action": "explode"}, "action"),
        ({"start": "2016-07-01T18:00"}, "start"),
        ({"start": "not a time"}, "start"),
        ({"not_after": 5}, "not_after"),
        ({"setpoint_kw": "high"}, "setpoint_kw"),
        ({"setpoint_kw": float("nan")}, "setpoint_kw"),
        ({"end": "2000-01-01T00:00Z"}, "end"),
    ],
)
def test_bad_command_names_row_and_field(make_commands, change, field):
    items = make_commands(3)
    items[2].update(change)
    with pytest.raises(InputError) as err:
        parse_commands(items)
    assert err.value.row == 2
    assert err.value.field == field


def test_bad_plans(tmp_path, make_commands):
    with pytest.raises(InputError, match="missing command_id"):
        parse_commands([{"device": "a"}])
    with pytest.raises(InputError, match="must be a list"):
        parse_commands({"a": 1})
    with pytest.raises(InputError, match="must be an object"):
        parse_commands([1])
    items = make_commands(2)
    items[1]["command_id"] = items[0]["command_id"]
    with pytest.raises(InputError, match="already used by another command"):
        parse_commands(items)
    assert len(parse_commands([items[0], dict(items[0])])) == 1  # the same command twice: once
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot be read as JSON"):
        load_plan(bad)
    bad.write_text("[]")
    with pytest.raises(InputError, match="'commands' list"):
        load_plan(bad)
    good = tmp_path / "plan.json"
    good.write_text(json.dumps({"shed_mw": 1.0, "commands": make_commands(2)}))
    plan, commands = load_plan(good)
    assert plan["shed_mw"] == 1.0 and len(commands) == 2


def test_backoff_doubles_up_to_cap():
    b = Backoff(base_s=1.0, factor=2.0, max_s=5.0)
    assert [b.delay(k) for k in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_outbox_life_of_commands(outbox, make_commands):
    commands = parse_commands(make_commands(4))
    ids = [c.command_id for c in commands]
    t0 = 1_000_000.0
    assert outbox.enqueue(commands, now=t0) == 4
    assert outbox.enqueue(commands, now=t0) == 0  # idempotent by command id
    assert outbox.counts()["queued"] == 4
    backoff = Backoff(base_s=10.0, max_attempts=2)
    due = outbox.due(now=t0)
    assert [d["command_id"] for d in due] == ids
    assert len(outbox.due(now=t0, limit=2)) == 2
    outbox.mark_sent(ids, backoff, now=t0)
    outbox.mark_sent([], backoff, now=t0)
    assert outbox.due(now=t0 + 9.9) == []  # not before the back-off delay
    assert len(outbox.due(now=t0 + 10.0)) == 4
    assert outbox.acknowledge([{"command_id": ids[0], "status": "ok", "at": t0 + 0.05}], now=t0) == 1
    assert outbox.acknowledge([{"command_id": ids[0], "status": "ok"}], now=t0) == 0  # twice: once
    assert outbox.acknowledge([{"command_id": ids[1], "status": "rejected", "reason": "busy"}], now=t0) == 1
    outbox.mark_sent(ids[2:], backoff, now=t0 + 10.0)  # second attempt; next after 20 s
    outbox.settle(backoff, now=t0 + 29.0)
    assert outbox.counts()["sent"] == 2
    outbox.settle(backoff, now=t0 + 30.0)
    rows = {r["command_id"]: r for r in outbox.rows()}
    assert rows[ids[0]]["state"] == "acknowledged"
    assert rows[ids[0]]["acked_at"] == pytest.approx(t0 + 0.05)
    assert rows[ids[1]]["state"] == "failed" and "busy" in rows[ids[1]]["reason"]
    assert rows[ids[2]]["state"] == "failed" and rows[ids[2]]["attempts"] == 2
    assert outbox.unreachable_devices() == ["load:1", "load:2", "load:3"]
    assert outbox.unreachable_devices(ids[:1]) == []
    assert outbox.counts(ids) == {"queued": 0, "sent": 0, "acknowledged": 1, "failed": 3, "expired": 0}
    assert outbox.open_count() == 0
    # a late acknowledgement is the device's word: the command did arrive
    outbox.acknowledge([{"command_id": ids[3]}], now=t0 + 31.0)
    assert outbox.rows([ids[3]])[0]["state"] == "acknowledged"


def test_outbox_expiry_and_persistence(tmp_path, make_commands):
    path = outbox_path(tmp_path)
    commands = parse_commands(make_commands(3, valid_s=60.0))
    now = pd.Timestamp.now(tz="UTC").timestamp()
    with Outbox(path) as box:
        box.enqueue(commands, now=now)
        box.mark_sent([commands[0].command_id], Backoff(), now=now)
    with Outbox(path) as box:  # a new process sees the same table
        assert box.counts() == {"queued": 2, "sent": 1, "acknowledged": 0, "failed": 0, "expired": 0}
        assert box.due(now=now + 61.0) == []  # past not_after: never sent again
        box.settle(Backoff(), now=now + 61.0)
        assert box.counts()["expired"] == 3
        assert box.unreachable_devices(include_open=False) == ["load:0", "load:1", "load:2"]


def test_pickup_decays_to_load():
    assert pickup_mw(1.0, 0.0, factor=2.5) == pytest.approx(2.5)
    assert pickup_mw(1.0, 30.0, factor=2.0, decay_min=30.0) == pytest.approx(1.0 + 1.0 / 2.718281828, 1e-6)
    assert pickup_mw(1.0, 1e6) == pytest.approx(1.0)


def test_restore_steps_respect_step_size(make_commands):
    items = make_commands(7, load_kw=300.0)  # 0.3 MW each, 0.6 MW pickup at factor 2
    at = pd.Timestamp("2026-01-01T10:00Z")
    commands = parse_commands(items)
    steps = restore_steps({}, commands, at=at, step_mw=1.3, interval_min=10.0, factor=2.0)
    assert [len(s.devices) for s in steps] == [2, 2, 2, 1]
    assert all(s.pickup_mw <= 1.3 + 1e-9 for s in steps)
    assert [s.at for s in steps] == [at + pd.Timedelta(minutes=10 * k) for k in range(4)]
    assert sum(s.load_mw for s in steps) == pytest.approx(2.1)
    assert [d for s in steps for d in s.devices] == [c.device for c in commands]  # the plan's order
    restores = restore_commands(steps, commands, valid_min=15.0)
    assert [r.action for r in restores] == ["restore"] * 7
    assert restores[6].start == at + pd.Timedelta(minutes=30)
    assert restores[6].not_after == restores[6].start + pd.Timedelta(minutes=15)
    # the same plan restored twice gives the same command ids (sent once by the outbox)
    assert [r.command_id for r in restore_commands(steps, commands)] == [r.command_id for r in restores]
    # a block larger than a step gets a step of its own
    big = restore_steps({}, commands, at=at, step_mw=0.1, interval_min=1.0)
    assert len(big) == 7


def test_restore_loads_from_blocks_and_errors(make_commands):
    items = make_commands(2)
    for item in items:
        del item["load_kw"]
    commands = parse_commands(items)
    with pytest.raises(InputError, match="load_kw") as err:
        restore_steps({}, commands, at=pd.Timestamp("2026-01-01T00:00Z"))
    assert err.value.element == "load:0"
    plan = {"blocks": [{"device": "load:0", "shed_mw": 0.5}, {"block": "load:1", "p_mw": 0.25}, "junk"]}
    steps = restore_steps(plan, commands, at=pd.Timestamp("2026-01-01T00:00Z"), step_mw=10.0)
    assert steps[0].load_mw == pytest.approx(0.75)
    for kwargs, field in [
        ({"step_mw": 0.0}, "--step-mw"),
        ({"interval_min": -1.0}, "--interval-min"),
        ({"factor": 0.5}, "--pickup-factor"),
    ]:
        with pytest.raises(InputError) as err:
            restore_steps(plan, commands, at=pd.Timestamp("2026-01-01T00:00Z"), **kwargs)
        assert err.value.field == field
