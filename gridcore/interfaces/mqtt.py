"""MQTT transport of load-control commands (paho-mqtt client, MQTT 3.1.1, QoS 1).

Topics, per device (``prefix`` is ``gridflow/loads`` by default)::

    <prefix>/<device>/command   the command's JSON object (:meth:`Command.to_json`), QoS 1
    <prefix>/<device>/ack       the device's answer: {"command_id", "device", "status": "ok"|"rejected",
                                "reason"?: str}, QoS 1

QoS 1 delivers at least once, so a device may see a command twice (a re-send after a lost
acknowledgement, a broker's redelivery): devices act once per ``command_id`` and acknowledge every copy.
The client reconnects by itself after the broker goes away; while it is disconnected,
:meth:`MqttLink.connected` is false and the outbox keeps the commands ``queued``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from gridcore.errors import InputError

__all__ = ["DEFAULT_PREFIX", "MqttLink", "ack_topic", "command_topic", "parse_broker_url"]

#: Topic prefix of the device topics.
DEFAULT_PREFIX = "gridflow/loads"


def parse_broker_url(url: str) -> tuple[str, int]:
    """Host and port of ``mqtt://host:port`` (port 1883 by default).

    Raises
    ------
    InputError
        A URL of another scheme or without a host.
    """
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise InputError(f"broker {url!r}: expected mqtt://host:port", field="--broker")
    try:
        port = parts.port or 1883
    except ValueError:
        raise InputError(f"broker {url!r}: the port is not a number", field="--broker") from None
    return parts.hostname, port


def paho_client(client_id: str) -> mqtt.Client:
    """A paho MQTT 3.1.1 client as every gridflow link uses it (callbacks and connection are the caller's).

    Clean session, up to 1,000 QoS 1 messages in flight, nothing queued while disconnected (the outbox
    re-sends), reconnecting after 1-2 s.

    Parameters
    ----------
    client_id : str
        MQTT client id, unique per connection.

    Returns
    -------
    paho.mqtt.client.Client
    """
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=True
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    return client


def _check_device(device: str) -> str:
    if not device or any(c in device for c in "/+#\x00"):
        raise InputError(
            f"device {device!r}: an MQTT topic level may not hold / + # or be empty", element=device
        )
    return device


def command_topic(device: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a device receives its commands on."""
    return f"{prefix}/{_check_device(device)}/command"


def ack_topic(device: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a device acknowledges on."""
    return f"{prefix}/{_check_device(device)}/ack"


class MqttLink:
    """The control centre's MQTT client: publishes commands, collects acknowledgements.

    Parameters
    ----------
    url : str
        Broker, ``mqtt://host:port``.
    prefix : str
        Topic prefix.
    client_id : str, optional
        MQTT client id; a fresh one by default.
    keepalive_s : int
        MQTT keep-alive [s]: a broker that dies unnoticed is seen within 1.5 times this.
    """

    def __init__(
        self,
        url: str,
        prefix: str = DEFAULT_PREFIX,
        client_id: str | None = None,
        keepalive_s: int = 5,
    ) -> None:
        self.host, self.port = parse_broker_url(url)
        self.prefix = prefix
        self._acks: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._connected = threading.Event()
        self.client = paho_client(client_id or f"gridflow-{uuid.uuid4().hex[:12]}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect_async(self.host, self.port, keepalive=keepalive_s)
        self.client.loop_start()

    # -- paho callbacks (its network thread) ---------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:  # pragma: no cover (an anonymous local broker accepts)
            return
        client.subscribe(f"{self.prefix}/+/ack", qos=1)
        self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            ack = json.loads(message.payload)
        except ValueError:
            return  # not an acknowledgement of ours
        if isinstance(ack, dict) and isinstance(ack.get("command_id"), str):
            ack["at"] = time.time()
            self._acks.put(ack)

    # -- the link ------------------------------------------------------------------------------

    def connected(self) -> bool:
        """Whether the client is connected to the broker now."""
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` [s] for the connection; whether it is up."""
        return self._connected.wait(timeout_s)

    def handles(self, device: str) -> bool:
        """Every device is reached over MQTT."""
        return True

    def send(self, command: dict[str, Any]) -> bool:
        """Publish a command (QoS 1) on its device's topic.

        Returns
        -------
        bool
            Whether the client took it (false while disconnected).
        """
        if not self.connected():
            return False
        info = self.client.publish(command_topic(command["device"], self.prefix), json.dumps(command), qos=1)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def acks(self) -> list[dict[str, Any]]:
        """The acknowledgements received since the last call (``at``: time received [s since epoch])."""
        out = []
        while True:
            try:
                out.append(self._acks.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> MqttLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
