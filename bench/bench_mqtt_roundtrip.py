"""Command round trip to 1,000 controllable loads over MQTT on localhost (mosquitto if present, else amqtt).

A real broker process and a real device-simulator process (``python -m gridcore.interfaces.loadsim``,
1,000 devices, each on its own topic); the commands go through the outbox as ``shed execute`` sends them.
Round trip = first publish to acknowledgement received, per command. Losses = commands not acknowledged
(must be 0). Prints figures for each broker available and the ratio amqtt / mosquitto.

    uv run python bench/bench_mqtt_roundtrip.py [--loads 1000] [--broker amqtt|mosquitto|both]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.interfaces.brokers import mosquitto_path, start_broker
from gridcore.interfaces.commands import parse_commands
from gridcore.interfaces.control import execute
from gridcore.interfaces.mqtt import MqttLink
from gridcore.interfaces.outbox import Backoff, Outbox


def commands(n: int):
    now = pd.Timestamp.now(tz="UTC")
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    return parse_commands(
        [
            {
                "command_id": str(uuid.uuid4()),
                "device": f"load:{i}",
                "action": "shed",
                "setpoint_kw": None,
                "start": iso(now),
                "end": iso(now + pd.Timedelta(hours=1)),
                "not_after": iso(now + pd.Timedelta(minutes=10)),
                "load_kw": 10.0,
            }
            for i in range(n)
        ]
    )


def run(kind: str, n: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    broker = start_broker(kind, workdir=folder / "broker")
    journal = folder / "journal.jsonl"
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gridcore.interfaces.loadsim",
            "--broker",
            broker.url,
            "--devices",
            str(n),
            "--journal",
            str(journal),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout.readline().startswith("ready")
        cmds = commands(n)
        with Outbox(folder / "outbox.sqlite") as outbox, MqttLink(broker.url) as link:
            link.wait_connected(10)
            t0 = time.perf_counter()
            result = execute(outbox, cmds, [link], backoff=Backoff(base_s=10.0), timeout_s=120)
            total = time.perf_counter() - t0
    finally:
        sim.terminate()
        sim.wait(10)
        broker.stop()
    rtt = np.array([c["round_trip_ms"] for c in result["commands"] if c["round_trip_ms"] is not None])
    acted = [json.loads(line)["command_id"] for line in journal.read_text().splitlines()]
    return {
        "broker": kind,
        "loads": n,
        "acknowledged": result["counts"]["acknowledged"],
        "lost": n - result["counts"]["acknowledged"],
        "acted_twice": len(acted) - len(set(acted)),
        "resent": int(sum(c["attempts"] > 1 for c in result["commands"])),
        "p50_ms": round(float(np.percentile(rtt, 50)), 1),
        "p95_ms": round(float(np.percentile(rtt, 95)), 1),
        "max_ms": round(float(rtt.max()), 1),
        "total_s": round(total, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=1000)
    parser.add_argument("--broker", default="both", choices=["amqtt", "mosquitto", "both"])
    args = parser.parse_args()
    kinds = ["mosquitto", "amqtt"] if args.broker == "both" else [args.broker]
    if mosquitto_path() is None and "mosquitto" in kinds:
        print("mosquitto not installed: amqtt only")
        kinds = ["amqtt"]
    rows = [run(kind, args.loads) for kind in kinds]
    for row in rows:
        print(json.dumps(row))
    if len(rows) == 2:
        print(
            f"ratio amqtt / mosquitto: total {rows[1]['total_s'] / rows[0]['total_s']:.1f}x, "
            f"p50 {rows[1]['p50_ms'] / rows[0]['p50_ms']:.1f}x"
        )


if __name__ == "__main__":
    main()
