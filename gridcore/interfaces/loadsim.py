r"""A simulator of controllable loads on MQTT: subscribes as devices, acts once per command, acknowledges.

Run it as a process::

    python -m gridcore.interfaces.loadsim --broker mqtt://127.0.0.1:1883 --devices 1000 \
        [--prefix gridflow/loads] [--device-prefix load:] [--silent load:3,load:7] [--drop-first 2] \
        [--delay-s 0.5] [--journal applied.jsonl]

Each device subscribes to ``<prefix>/<device>/command`` (QoS 1) and answers on ``<prefix>/<device>/ack``
(QoS 1). A device acts on a command id once, records it in the journal (one JSON line per action, for
tests that count deliveries) and acknowledges every copy it receives; a command received after its
``not_after`` is rejected. ``--silent`` devices never answer, ``--drop-first N`` ignores the first N copies
of every command (forcing re-sends), ``--delay-s`` waits before each answer. The simulator reconnects and
subscribes again when the broker comes back.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd

from gridcore.interfaces.mqtt import DEFAULT_PREFIX, ack_topic, command_topic, paho_client, parse_broker_url

__all__ = ["LoadSimulator", "device_ids", "main"]


def device_ids(n: int, prefix: str = "load:") -> list[str]:
    """``n`` device ids ``<prefix>0`` ... ``<prefix>{n-1}``."""
    return [f"{prefix}{i}" for i in range(n)]


class LoadSimulator:
    """Simulated controllable loads on one MQTT connection.

    Parameters
    ----------
    url : str
        Broker, ``mqtt://host:port``.
    devices : iterable of str
        Device ids to simulate.
    prefix : str
        Topic prefix.
    silent : iterable of str
        Devices that never acknowledge.
    drop_first : int
        Copies of each command ignored before the device acts on one.
    delay_s : float
        Wait before each acknowledgement [s].
    journal : str or Path, optional
        JSON-lines file; one line ``{"command_id", "device", "action", "at"}`` per action taken.
    """

    def __init__(
        self,
        url: str,
        devices: Iterable[str],
        prefix: str = DEFAULT_PREFIX,
        silent: Iterable[str] = (),
        drop_first: int = 0,
        delay_s: float = 0.0,
        journal: str | Path | None = None,
    ) -> None:
        self.devices = list(devices)
        self.prefix = prefix
        self.silent = set(silent)
        self.drop_first = drop_first
        self.delay_s = delay_s
        self.journal = Path(journal) if journal is not None else None
        self.applied: dict[str, dict[str, Any]] = {}
        self.state: dict[str, str] = dict.fromkeys(self.devices, "normal")
        self.copies: dict[str, int] = {}
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._topics = {command_topic(d, prefix): d for d in self.devices}
        host, port = parse_broker_url(url)
        self.client = paho_client(f"loadsim-{uuid.uuid4().hex[:12]}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self._pending: set[int] = set()
        self.client.connect_async(host, port, keepalive=5)

    def start(self) -> LoadSimulator:
        """Start the network thread (returns at once; :attr:`ready` is set once subscribed)."""
        self.client.loop_start()
        return self

    def stop(self) -> None:
        """Disconnect and stop."""
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:  # pragma: no cover (an anonymous local broker accepts)
            return
        topics = list(self._topics)
        with self._lock:
            self._pending = set()
            for start in range(0, len(topics), 100):
                rc, mid = client.subscribe([(t, 1) for t in topics[start : start + 100]])
                self._pending.add(mid)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        with self._lock:
            self._pending.discard(mid)
            if not self._pending:
                self.ready.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.ready.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        device = self._topics.get(message.topic)
        if device is None or device in self.silent:
            return
        try:
            command = json.loads(message.payload)
            command_id = str(command["command_id"])
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            self.copies[command_id] = self.copies.get(command_id, 0) + 1
            if self.copies[command_id] <= self.drop_first:
                return
            ack: dict[str, Any] = {"command_id": command_id, "device": device, "status": "ok"}
            if command_id not in self.applied:
                not_after = pd.Timestamp(command.get("not_after", "2262-01-01T00:00Z"))
                if not_after.timestamp() < time.time():
                    ack.update(status="rejected", reason="received after not_after")
                else:
                    self.applied[command_id] = command
                    self.state[device] = str(command.get("action"))
                    if self.journal is not None:
                        with self.journal.open("a", encoding="utf-8") as f:
                            line = {"command_id": command_id, "device": device, "at": time.time()}
                            f.write(json.dumps({**line, "action": command.get("action")}) + "\n")
        if self.delay_s > 0:
            time.sleep(self.delay_s)
        client.publish(ack_topic(device, self.prefix), json.dumps(ack), qos=1)


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGTERM or SIGINT (see the module's docstring)."""
    parser = argparse.ArgumentParser(prog="python -m gridcore.interfaces.loadsim", description=__doc__)
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--devices", type=int, default=10, help="number of devices")
    parser.add_argument("--device-prefix", default="load:")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="topic prefix")
    parser.add_argument("--silent", default="", help="comma-separated devices that never acknowledge")
    parser.add_argument("--drop-first", type=int, default=0)
    parser.add_argument("--delay-s", type=float, default=0.0)
    parser.add_argument("--journal", type=Path, default=None)
    args = parser.parse_args(argv)
    sim = LoadSimulator(
        args.broker,
        device_ids(args.devices, args.device_prefix),
        prefix=args.prefix,
        silent=[s for s in args.silent.split(",") if s],
        drop_first=args.drop_first,
        delay_s=args.delay_s,
        journal=args.journal,
    ).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    announced = False
    while not stop.wait(0.05):
        if sim.ready.is_set() and not announced:
            sys.stdout.write(f"ready {len(sim.devices)} devices\n")
            sys.stdout.flush()
            announced = True
    sim.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
