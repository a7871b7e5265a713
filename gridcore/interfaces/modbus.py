"""Modbus TCP transport to battery management systems (pymodbus): write setpoints, read state back.

The register map (holding registers, one unit each, :class:`RegisterMap` to change addresses):

========= ======= =============================================================================
address   type    meaning
========= ======= =============================================================================
0         INT16   power setpoint [0.1 kW]: positive discharges, negative charges (written)
10        INT16   actual power [0.1 kW], same sign (read)
11        UINT16  state of charge [0.1 %] (read)
12        UINT16  status: 0 ok, 1 fault (read)
13        UINT16  power limit [0.1 kW]: the largest charge or discharge power (read)
========= ======= =============================================================================

:class:`ModbusLink` is a link for :func:`gridcore.interfaces.control.execute`: a command's ``charge`` /
``discharge`` action with ``setpoint_kw`` (or ``restore``: back to the battery's stored schedule, see
:func:`restore_setpoint`) is written to the device's setpoint
register, read back, and acknowledged by the link itself when the read-back setpoint equals the one
written and the status is ok; a BMS that does not answer leaves the command queued or sent, to be retried
by the outbox. :class:`BmsSimulator` is the server side: a pymodbus TCP server whose battery follows the
setpoint within its power limit (tests and trials).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from gridcore.errors import InputError

__all__ = [
    "BmsSimulator",
    "ModbusLink",
    "RegisterMap",
    "read_state",
    "restore_setpoint",
    "setpoint_for",
    "write_setpoint",
]

_SCALE = 10.0  # registers hold 0.1 kW and 0.1 %


@dataclass(frozen=True)
class RegisterMap:
    """Holding-register addresses of a BMS (see the module's docstring)."""

    setpoint: int = 0
    power: int = 10
    soc: int = 11
    status: int = 12
    limit: int = 13


def _to_int16(value: float) -> int:
    raw = round(value * _SCALE)
    if not -32768 <= raw <= 32767:
        raise InputError(
            f"setpoint {value} kW is outside the register's range (+-3276.7 kW)", field="setpoint_kw"
        )
    return raw & 0xFFFF


def _from_int16(raw: int) -> float:
    return (raw - 0x10000 if raw & 0x8000 else raw) / _SCALE


#: Where a restore's set point comes from: a look-up ``(device, time) -> (kW, source)`` or None.
Setpoints = Callable[[str, pd.Timestamp], "tuple[float, str] | None"]


def restore_setpoint(command: dict[str, Any], setpoints: Setpoints | None = None) -> tuple[float, str]:
    """The set point a ``restore`` returns a battery to [kW] (positive discharges), and where it comes from.

    In this order: the stored schedule's set point for the hour of the command's ``start`` (``setpoints``,
    e.g. :func:`gridcore.shedding.batteries.stored_setpoints`); the command's own ``setpoint_kw`` (the
    plan's copy of the schedule, signed); 0 kW when neither is known, and the source says so.
    """
    if setpoints is not None and command.get("start"):
        found = setpoints(str(command["device"]), pd.Timestamp(command["start"]))
        if found is not None:
            return float(found[0]), found[1]
    kw = command.get("setpoint_kw")
    if isinstance(kw, int | float) and not isinstance(kw, bool):
        return float(kw), "the plan's copy of the stored schedule"
    return 0.0, "no stored schedule for this battery and hour: 0 kW"


def setpoint_for(command: dict[str, Any], setpoints: Setpoints | None = None) -> float:
    """The power setpoint a command asks of a battery [kW]: positive discharges, negative charges.

    A ``restore`` returns the battery to its stored schedule (:func:`restore_setpoint`).

    Raises
    ------
    InputError
        An action a battery cannot take, or ``charge``/``discharge`` without ``setpoint_kw``.
    """
    action = command.get("action")
    if action == "restore":
        return restore_setpoint(command, setpoints)[0]
    if action not in ("charge", "discharge"):
        raise InputError(f"a battery takes charge, discharge or restore, not {action!r}", field="action")
    kw = command.get("setpoint_kw")
    if not isinstance(kw, int | float):
        raise InputError(f"{action} needs setpoint_kw [kW]", field="setpoint_kw")
    return abs(float(kw)) if action == "discharge" else -abs(float(kw))


def write_setpoint(
    client: ModbusTcpClient, kw: float, unit: int = 1, regs: RegisterMap = RegisterMap()
) -> None:
    """Write a power setpoint [kW] (positive discharges) to a BMS.

    Raises
    ------
    ConnectionError
        The BMS did not take the write.
    """
    result = client.write_register(regs.setpoint, _to_int16(kw), device_id=unit)
    if result.isError():
        raise ConnectionError(f"BMS unit {unit} refused the setpoint: {result}")


def read_state(client: ModbusTcpClient, unit: int = 1, regs: RegisterMap = RegisterMap()) -> dict[str, float]:
    """Read a BMS's state.

    Returns
    -------
    dict
        ``setpoint_kw`` and ``power_kw`` [kW] (positive discharges), ``soc_pct`` [%], ``status`` (0 ok),
        ``limit_kw`` [kW].

    Raises
    ------
    ConnectionError
        The BMS did not answer the read.
    """
    first = min(regs.power, regs.soc, regs.status, regs.limit)
    count = max(regs.power, regs.soc, regs.status, regs.limit) - first + 1
    block = client.read_holding_registers(first, count=count, device_id=unit)
    point = client.read_holding_registers(regs.setpoint, count=1, device_id=unit)
    if block.isError() or point.isError():
        raise ConnectionError(
            f"BMS unit {unit} did not answer the read: {block if block.isError() else point}"
        )
    r = block.registers
    return {
        "setpoint_kw": _from_int16(point.registers[0]),
        "power_kw": _from_int16(r[regs.power - first]),
        "soc_pct": r[regs.soc - first] / _SCALE,
        "status": r[regs.status - first],
        "limit_kw": r[regs.limit - first] / _SCALE,
    }


class ModbusLink:
    """Battery management systems over Modbus TCP, as a link of :func:`~gridcore.interfaces.control.execute`.

    Parameters
    ----------
    devices : dict
        Device id -> ``"host:port/unit"`` (unit 1 when omitted).
    regs : RegisterMap
        The BMSs' register map.
    timeout_s : float
        Modbus request timeout [s].
    setpoints : callable, optional
        The stored schedules' set points, ``(device, time) -> (kW, source)`` or None: what ``restore``
        returns a battery to (:func:`restore_setpoint`).
    """

    def __init__(
        self,
        devices: dict[str, str],
        regs: RegisterMap = RegisterMap(),
        timeout_s: float = 1.0,
        setpoints: Setpoints | None = None,
    ) -> None:
        self.regs = regs
        self.setpoints = setpoints
        self.timeout_s = timeout_s
        self.devices = {d: self._address(d, a) for d, a in devices.items()}
        self._clients: dict[tuple[str, int], ModbusTcpClient] = {}
        self._down_until: dict[tuple[str, int], float] = {}
        self._acks: list[dict[str, Any]] = []

    @staticmethod
    def _address(device: str, address: str) -> tuple[str, int, int]:
        text = address.removeprefix("modbus://").removeprefix("tcp://")
        host_port, _, unit = text.partition("/")
        host, _, port = host_port.rpartition(":")
        try:
            return host or "127.0.0.1", int(port or 502), int(unit or 1)
        except ValueError:
            raise InputError(f"device {device}: {address!r} is not host:port/unit", element=device) from None

    def connected(self) -> bool:
        """Always true: each BMS is reached (or not) when a command is sent to it."""
        return True

    def handles(self, device: str) -> bool:
        """Whether ``device`` is one of this link's BMSs."""
        return device in self.devices

    def _client(self, host: str, port: int) -> ModbusTcpClient | None:
        key = (host, port)
        if self._down_until.get(key, 0.0) > time.monotonic():
            return None
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = ModbusTcpClient(host, port=port, timeout=self.timeout_s, retries=0)
        if not client.connected and not client.connect():
            self._down_until[key] = time.monotonic() + 1.0
            return None
        return client

    def send(self, command: dict[str, Any]) -> bool:
        """Write the command's setpoint, read it back, and acknowledge (or reject) it.

        Returns
        -------
        bool
            Whether the BMS was reached (false: the outbox keeps the command and tries again).
        """
        host, port, unit = self.devices[command["device"]]
        ack: dict[str, Any] = {"command_id": command["command_id"], "device": command["device"]}
        try:
            kw = setpoint_for(command, self.setpoints)
            if command.get("action") == "restore":
                ack["note"] = f"restored to {kw:g} kW: {restore_setpoint(command, self.setpoints)[1]}"
            _to_int16(kw)
        except InputError as exc:
            self._acks.append({**ack, "status": "rejected", "reason": str(exc), "at": time.time()})
            return True
        client = self._client(host, port)
        if client is None:
            return False
        try:
            write_setpoint(client, kw, unit, self.regs)
            state = read_state(client, unit, self.regs)
        except (ConnectionError, ModbusException) as exc:
            client.close()
            self._down_until[(host, port)] = time.monotonic() + 1.0
            if isinstance(exc, ConnectionError) and "refused" in str(exc):
                self._acks.append({**ack, "status": "rejected", "reason": str(exc), "at": time.time()})
                return True
            return False
        if state["status"] != 0 or abs(state["setpoint_kw"] - kw) > 0.05:
            reason = f"read back setpoint {state['setpoint_kw']} kW, status {state['status']}"
            self._acks.append({**ack, "status": "rejected", "reason": reason, "at": time.time()})
        else:
            self._acks.append({**ack, "status": "ok", "state": state, "at": time.time()})
        return True

    def acks(self) -> list[dict[str, Any]]:
        """Acknowledgements made since the last call."""
        out, self._acks = self._acks, []
        return out

    def close(self) -> None:
        """Close every connection."""
        for client in self._clients.values():
            client.close()


class BmsSimulator:
    """A battery behind a pymodbus TCP server on 127.0.0.1, following its setpoint within its limit.

    Parameters
    ----------
    port : int
        TCP port.
    limit_kw : float
        Largest charge or discharge power [kW].
    soc_pct : float
        State of charge [%].
    unit : int
        Modbus unit (device) id.
    fault : bool
        Report status 1 (fault): setpoints are stored but the battery stays at 0 kW.
    """

    def __init__(
        self, port: int, limit_kw: float = 50.0, soc_pct: float = 60.0, unit: int = 1, fault: bool = False
    ) -> None:
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        self.port = port
        self.regs = RegisterMap()
        self.limit_kw = limit_kw
        values = [0] * 14
        values[self.regs.soc] = round(soc_pct * _SCALE)
        values[self.regs.status] = int(fault)
        values[self.regs.limit] = round(limit_kw * _SCALE)
        self.writes: list[float] = []
        device = SimDevice(
            id=unit,
            simdata=[SimData(0, values=values, datatype=DataType.REGISTERS)],
            action=self._action,
        )
        self._make_server = lambda: ModbusTcpServer(device, address=("127.0.0.1", port))
        self._server: Any = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | None,
    ) -> None:
        if values is None or not address <= self.regs.setpoint < address + count:
            return
        kw = _from_int16(values[self.regs.setpoint - address])
        self.writes.append(kw)
        if registers[self.regs.status - start_address] == 0:
            power = max(-self.limit_kw, min(self.limit_kw, kw))
            registers[self.regs.power - start_address] = _to_int16(power)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._server = self._make_server()
            await self._server.serve_forever()

        self._loop.run_until_complete(serve())

    def start(self) -> BmsSimulator:
        """Start serving (in a thread) and wait until it listens."""
        from gridcore.interfaces.brokers import wait_port

        self._thread.start()
        wait_port(self.port, 10)
        return self

    def stop(self) -> None:
        """Stop the server."""
        asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(10)
        self._thread.join(10)
