"""``gridflow shed execute`` and ``shed restore`` as a user runs them: real broker, real device process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd


def _gridflow(*args: str) -> subprocess.CompletedProcess:
    code = "from cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_execute_then_restore(amqtt_broker, tmp_path, make_commands, simulator_process):
    _, journal = simulator_process(amqtt_broker.url, 6, "--silent", "load:5")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"shed_mw": 0.6, "commands": make_commands(6, load_kw=250.0)}))
    store = tmp_path / "store"
    common = ["--broker", amqtt_broker.url, "--store", str(store), "--retry-s", "0.2", "--max-attempts", "3"]
    run = _gridflow("shed", "execute", str(plan), *common, "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["counts"] == {"queued": 0, "sent": 0, "acknowledged": 5, "failed": 1, "expired": 0}
    assert out["unreachable"] == ["load:5"] and out["complete"] is True
    assert {c["state"] for c in out["commands"]} == {"acknowledged", "failed"}
    assert (store / "outbox.sqlite").exists()
    # again: nothing is sent twice
    again = json.loads(_gridflow("shed", "execute", str(plan), *common, "--json").stdout)
    assert again["added"] == 0
    assert len(journal.read_text().splitlines()) == 5

    dry = _gridflow(
        "shed", "restore", str(plan), "--step-mw", "1.0", "--interval-min", "5", "--dry-run", "--json"
    )
    assert dry.returncode == 0, dry.stderr
    steps = json.loads(dry.stdout)
    # 0.25 MW each, pickup 0.5 MW at factor 2: two blocks per 1 MW step
    assert [len(s["devices"]) for s in steps["steps"]] == [2, 2, 2]
    assert steps["restored_mw"] == 1.5 and "execution" not in steps
    t = [pd.Timestamp(s["at"]) for s in steps["steps"]]
    assert t[1] - t[0] == pd.Timedelta(minutes=5)
    assert 1.0 < steps["peak_mw"] < 3.0

    restore = _gridflow("shed", "restore", str(plan), *common, "--step-mw", "1.0", "--json")
    assert restore.returncode == 0, restore.stderr
    execution = json.loads(restore.stdout)["execution"]
    assert execution["counts"]["acknowledged"] == 5 and execution["unreachable"] == ["load:5"]
    actions = [json.loads(line)["action"] for line in journal.read_text().splitlines()]
    assert actions.count("restore") == 5

    table = _gridflow("shed", "restore", str(plan), "--dry-run")
    assert table.returncode == 0 and "peak_mw" in table.stdout


def test_bad_plan_is_one_line(tmp_path, make_commands):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"commands": [{"command_id": "a"}]}))
    run = _gridflow("shed", "execute", str(plan), "--store", str(tmp_path / "s"), "--json")
    assert run.returncode == 1
    assert run.stderr.strip() == "gridflow: command 0: missing device"
    run = _gridflow("shed", "execute", str(tmp_path / "missing.json"))
    assert run.returncode == 1 and run.stderr.count("\n") == 1
    plan.write_text(json.dumps({"commands": make_commands(1)}))
    run = _gridflow("shed", "execute", str(plan), "--broker", "http://x")
    assert run.returncode == 1 and "mqtt://host:port" in run.stderr


def test_broker_down_leaves_commands_queued(tmp_path, make_commands):
    from gridcore.interfaces.brokers import free_port

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"commands": make_commands(3)}))
    url = f"mqtt://127.0.0.1:{free_port()}"
    run = _gridflow(
        "shed",
        "execute",
        str(plan),
        "--broker",
        url,
        "--store",
        str(tmp_path / "s"),
        "--timeout-s",
        "0.5",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["counts"]["queued"] == 3 and out["complete"] is False
    assert out["unreachable"] == ["load:0", "load:1", "load:2"]
    assert Path(out["outbox"]).exists()
