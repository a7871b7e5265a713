"""The commands a plan sends to the loads: the format ``shed execute`` reads.

One command per block and action, keyed by a UUID that is its idempotency key:
``{"command_id", "device" (block id, ``switch:<i>``, ``sgen:<i>``, ``battery:<id>``), "action" ("shed" |
"dim" | "curtail" | "charge" | "discharge" | "restore"), "setpoint_kw" (the power the device may keep for
``dim`` and ``curtail``, the power a battery holds for ``charge`` and ``discharge`` [kW], else null),
"start", "end", "not_after"
(ISO 8601 UTC; a command not executed by ``not_after`` has expired), "load_kw" (optional: the load the
command takes off, or a restore brings back [kW]; ``shed restore`` stages cold-load pickup with it)}``. In
a plan's JSON under ``"commands"``. A battery's ``restore`` hands it back to its stored schedule; ``shed
execute`` sends battery commands over Modbus TCP to the devices its ``--bms`` file lists.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

ACTIONS = ("shed", "dim", "curtail", "charge", "discharge", "restore")


@dataclass(frozen=True)
class ShedCommand:
    """One command to one block.

    Attributes
    ----------
    command_id : str
        UUID, the idempotency key.
    device : str
        Block id.
    action : str
        One of :data:`ACTIONS`.
    setpoint_kw : float or None
        Power the device keeps for ``dim`` and ``curtail`` [kW]; None otherwise.
    start, end, not_after : str
        ISO 8601 UTC: when the action starts and ends, and when the command expires.
    load_kw : float or None
        Load the command takes off (a restore: brings back) [kW].
    """

    command_id: str
    device: str
    action: str
    setpoint_kw: float | None
    start: str
    end: str
    not_after: str
    load_kw: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ShedCommand:
        """Read a command back from its dict (checks the action)."""
        from gridcore.errors import InputError

        missing = [k for k in cls.__dataclass_fields__ if k not in data and k != "load_kw"]
        if missing:
            raise InputError(f"command: missing key {missing[0]}", field=missing[0])
        if data["action"] not in ACTIONS:
            raise InputError(f"command: action {data['action']!r} not one of {ACTIONS}", field="action")
        sp = data["setpoint_kw"]
        return cls(
            command_id=str(data["command_id"]),
            device=str(data["device"]),
            action=str(data["action"]),
            setpoint_kw=None if sp is None else float(sp),  # type: ignore[arg-type]
            start=str(data["start"]),
            end=str(data["end"]),
            not_after=str(data["not_after"]),
            load_kw=None if data.get("load_kw") is None else float(data["load_kw"]),  # type: ignore[arg-type]
        )


def iso(ts: pd.Timestamp) -> str:
    """ISO 8601 UTC with ``Z``."""
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def command(
    device: str,
    action: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    expiry: pd.Timedelta,
    setpoint_kw: float | None = None,
    load_kw: float | None = None,
) -> ShedCommand:
    """A new command with a fresh UUID; it expires ``expiry`` after ``start``."""
    return ShedCommand(
        command_id=str(uuid.uuid4()),
        device=device,
        action=action,
        setpoint_kw=None if setpoint_kw is None else round(float(setpoint_kw), 3),
        start=iso(start),
        end=iso(end),
        not_after=iso(min(start + expiry, end) if end > start else start + expiry),
        load_kw=None if load_kw is None else round(float(load_kw), 3),
    )


def interval_commands(
    block_ids: list[str],
    shed: list[list[bool]] | object,
    starts: pd.DatetimeIndex,
    period: pd.Timedelta,
    expiry: pd.Timedelta,
    action: str = "shed",
    setpoints_kw: list[float | None] | None = None,
    loads_kw: object | None = None,
) -> list[ShedCommand]:
    """Commands for a slot x block schedule: one ``action`` and one ``restore`` per run of slots.

    Parameters
    ----------
    block_ids : list of str
    shed : array-like of bool, shape (slots, blocks)
        Whether each block is out in each slot.
    starts : pd.DatetimeIndex
        UTC start of each slot; each lasts ``period``.
    period, expiry : pd.Timedelta
    action : str
        ``shed``, ``dim`` or ``curtail``.
    setpoints_kw : list, optional
        Setpoint per block [kW] for ``dim`` and ``curtail``.
    loads_kw : array-like, shape (slots, blocks), optional
        Load each block's action takes off in each slot [kW]; a command carries the largest of its run.

    Returns
    -------
    list of ShedCommand
    """
    grid = np.asarray(shed, dtype=bool)
    out: list[ShedCommand] = []
    for b in np.flatnonzero(grid.any(axis=0)):
        col = np.concatenate([[False], grid[:, b], [False]])
        edges = np.flatnonzero(col[1:] != col[:-1])
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            start, end = starts[s], starts[e - 1] + period
            sp = None if setpoints_kw is None else setpoints_kw[b]
            kw = None if loads_kw is None else float(np.asarray(loads_kw)[s:e, b].max())
            out.append(command(block_ids[b], action, start, end, expiry, sp, kw))
            out.append(command(block_ids[b], "restore", end, end, expiry, None, kw))
    return out


def setpoint_commands(
    devices: list[str],
    setpoint_mw: np.ndarray,
    taken_mw: np.ndarray,
    starts: pd.DatetimeIndex,
    period: pd.Timedelta,
    expiry: pd.Timedelta,
    action: str = "curtail",
) -> list[ShedCommand]:
    """Set-point commands per slot for devices whose set-point changes slot by slot (curtailed generators).

    Parameters
    ----------
    devices : list of str
    setpoint_mw : np.ndarray, shape (slots, devices)
        Power each device may keep in each slot [MW].
    taken_mw : np.ndarray, shape (slots, devices)
        Power the action takes off in each slot [MW]; no command where 0.
    starts : pd.DatetimeIndex
        UTC slot starts; each lasts ``period``.
    period, expiry : pd.Timedelta
    action : str

    Returns
    -------
    list of ShedCommand
        One ``action`` per slot with the set-point [kW], one ``restore`` after each run of slots.
    """
    on = np.asarray(taken_mw) > 1e-9
    out: list[ShedCommand] = []
    for d in np.flatnonzero(on.any(axis=0)):
        for k in np.flatnonzero(on[:, d]):
            start, end = starts[k], starts[k] + period
            kw = float(taken_mw[k, d]) * 1000
            out.append(command(devices[d], action, start, end, expiry, float(setpoint_mw[k, d]) * 1000, kw))
            if k + 1 == len(starts) or not on[k + 1, d]:
                out.append(command(devices[d], "restore", end, end, expiry, None, kw))
    return out


def battery_commands(
    devices: list[str],
    scheduled_mw: np.ndarray,
    extra_mw: np.ndarray,
    starts: pd.DatetimeIndex,
    period: pd.Timedelta,
    expiry: pd.Timedelta,
    restore_mw: np.ndarray | None = None,
) -> list[ShedCommand]:
    """Set-point commands for batteries a plan uses beyond their stored schedule.

    Parameters
    ----------
    devices : list of str
        ``battery:<id>`` per battery.
    scheduled_mw : np.ndarray
        Each battery's scheduled net output [MW], positive discharging.
    extra_mw : np.ndarray, shape (slots, batteries)
        What the plan adds in each slot [MW], positive discharging, negative charging.
    starts : pd.DatetimeIndex
        UTC slot starts; each lasts ``period``.
    period, expiry : pd.Timedelta
    restore_mw : np.ndarray, shape (slots, batteries), optional
        The stored schedule's net output in the hour each slot ends in [MW], positive discharging; NaN
        where no stored schedule covers it.

    Returns
    -------
    list of ShedCommand
        Per slot a ``discharge`` or ``charge`` whose ``setpoint_kw`` is the power to hold (scheduled plus
        extra) [kW], ``load_kw`` the extra [kW]; after each run of slots a ``restore`` back to the
        schedule: its ``setpoint_kw`` is the schedule's set point then [kW], signed (positive
        discharging), or None when no stored schedule covers that hour (the device goes to 0 kW).
    """
    extra = np.asarray(extra_mw, dtype=np.float64)
    on = np.abs(extra) > 1e-9
    out: list[ShedCommand] = []
    for b in np.flatnonzero(on.any(axis=0)):
        for k in np.flatnonzero(on[:, b]):
            start, end = starts[k], starts[k] + period
            hold = float(scheduled_mw[b] + extra[k, b])
            action = "discharge" if hold >= 0 else "charge"
            kw = abs(float(extra[k, b])) * 1000
            out.append(command(devices[b], action, start, end, expiry, abs(hold) * 1000, kw))
            if k + 1 == len(starts) or not on[k + 1, b]:
                back = None if restore_mw is None or np.isnan(restore_mw[k, b]) else restore_mw[k, b] * 1000
                out.append(command(devices[b], "restore", end, end, expiry, back, kw))
    return out
