"""Sending a plan's commands to the controllable loads through the outbox, and bringing load back.

:func:`execute` puts the commands in the store's outbox (:mod:`gridcore.interfaces.outbox`; a command id
already there is not added again) and works the outbox until every command of the plan is final or the
time is up: it sends what is due over the links whose transport is up (MQTT, Modbus), re-sends what went
unacknowledged with exponential back-off, takes the acknowledgements, fails commands whose attempts ran
out and expires those past ``not_after``. Commands of earlier runs still open in the outbox are sent too
(they queued while a link was down). What is not final when the time is up stays in the outbox for the
next run; the result lists the devices not reached, so the planner can plan around them.

:func:`restore_steps` plans the return of shed load in steps that respect cold-load pickup (see its
docstring for the assumption and its sources); :func:`restore_commands` turns the steps into ``restore``
commands, each with its step's ``start`` time, for :func:`execute`.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from gridcore.errors import InputError
from gridcore.interfaces.commands import Command
from gridcore.interfaces.outbox import OPEN, Backoff, Outbox

__all__ = [
    "Link",
    "RestoreStep",
    "execute",
    "pickup_mw",
    "restore_commands",
    "restore_steps",
    "unreachable_devices",
]


class Link(Protocol):
    """A transport to devices (:class:`~gridcore.interfaces.mqtt.MqttLink`, ``ModbusLink``)."""

    def connected(self) -> bool:
        """Whether the transport is up now."""
        ...

    def handles(self, device: str) -> bool:
        """Whether this link reaches ``device``."""
        ...

    def send(self, command: dict[str, Any]) -> bool:
        """Hand a command to the transport; whether it took it."""
        ...

    def acks(self) -> list[dict[str, Any]]:
        """Acknowledgements received since the last call."""
        ...


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return pd.Timestamp(seconds, unit="s", tz="UTC").isoformat().replace("+00:00", "Z")


def execute(
    outbox: Outbox,
    commands: Sequence[Command],
    links: Sequence[Link],
    *,
    backoff: Backoff | None = None,
    timeout_s: float = 60.0,
    poll_s: float = 0.02,
) -> dict[str, Any]:
    """Send commands through the outbox and report their states.

    Parameters
    ----------
    outbox : Outbox
        The store's outbox.
    commands : sequence of Command
        The plan's commands (a command id already in the outbox keeps its state there).
    links : sequence of Link
        Transports; a command goes to the first link that handles its device.
    backoff : Backoff, optional
        Re-send policy (default :class:`Backoff`).
    timeout_s : float
        Longest time to wait for the commands to become final [s].
    poll_s : float
        Pause between two passes over the outbox [s].

    Returns
    -------
    dict
        ``commands``: per command ``command_id``, ``device``, ``action``, ``state``, ``attempts``,
        ``first_sent`` and ``acknowledged`` (ISO UTC or None), ``round_trip_ms`` (first send to
        acknowledgement), ``reason``; ``counts`` per state; ``unreachable`` (devices that did not
        acknowledge); ``added`` (commands new to the outbox); ``seconds``.
    """
    backoff = backoff or Backoff()
    t0 = time.monotonic()
    ids = [c.command_id for c in commands]
    added = outbox.enqueue(commands)
    while True:
        outbox.acknowledge(ack for link in links for ack in link.acks())
        outbox.settle(backoff)
        sent, sent_at = [], []
        for command in outbox.due():
            link = next((k for k in links if k.handles(command["device"])), None)
            handed = time.time()
            if link is not None and link.connected() and link.send(command):
                sent.append(command["command_id"])
                sent_at.append(handed)
        outbox.mark_sent(sent, backoff, sent_at=sent_at)
        if outbox.open_count(ids) == 0 or time.monotonic() - t0 > timeout_s:
            break
        time.sleep(poll_s)
    rows = outbox.rows(ids)
    report = []
    for r in rows:
        rtt = None
        if r["state"] == "acknowledged" and r["first_sent_at"] is not None:
            rtt = round(1000.0 * (r["acked_at"] - r["first_sent_at"]), 3)
        report.append(
            {
                "command_id": r["command_id"],
                "device": r["device"],
                "action": r["action"],
                "state": r["state"],
                "attempts": r["attempts"],
                "first_sent": _iso(r["first_sent_at"]),
                "acknowledged": _iso(r["acked_at"]) if r["state"] == "acknowledged" else None,
                "round_trip_ms": rtt,
                "reason": r["reason"],
            }
        )
    return {
        "commands": report,
        "counts": outbox.counts(ids),
        "unreachable": outbox.unreachable_devices(ids),
        "still_open": sum(r["state"] in OPEN for r in rows),
        "added": added,
        "seconds": round(time.monotonic() - t0, 3),
    }


def unreachable_devices(outbox: Outbox, commands: Sequence[Command] | None = None) -> list[str]:
    """Devices that did not acknowledge (failed, expired or still open) commands, sorted.

    The planner calls this after :func:`execute` and plans again without them.

    Parameters
    ----------
    outbox : Outbox
        The store's outbox.
    commands : sequence of Command, optional
        A plan's commands; every command in the outbox by default.
    """
    ids = None if commands is None else [c.command_id for c in commands]
    return outbox.unreachable_devices(ids)


# -- restoring load after shedding: cold-load pickup ------------------------------------------------


@dataclass(frozen=True)
class RestoreStep:
    """One step of a restoration.

    Attributes
    ----------
    step : int
        0-based step number.
    at : pd.Timestamp
        When the step's devices get their load back [UTC].
    devices : tuple of str
        Devices restored in this step.
    load_mw : float
        Their load before shedding (diversified) [MW].
    pickup_mw : float
        Their load at the moment of restoration, ``factor * load_mw`` [MW].
    """

    step: int
    at: pd.Timestamp
    devices: tuple[str, ...]
    load_mw: float
    pickup_mw: float


def pickup_mw(load_mw: float, minutes_since: float, factor: float = 2.0, decay_min: float = 30.0) -> float:
    """Cold-load pickup: the load of a block ``minutes_since`` after it got power back [MW].

    ``load_mw * (1 + (factor - 1) * exp(-minutes_since / decay_min))``: ``factor`` times the diversified
    load at the moment of restoration, decaying towards it as thermostatic loads lose their synchrony.

    Parameters
    ----------
    load_mw : float
        Diversified load of the block before the outage [MW].
    minutes_since : float
        Time since restoration [min] (>= 0).
    factor : float
        Pickup factor at restoration (>= 1).
    decay_min : float
        Time constant of the return to diversity [min].
    """
    return load_mw * (1.0 + (factor - 1.0) * math.exp(-max(minutes_since, 0.0) / decay_min))


def _loads_kw(plan: dict[str, Any], commands: Sequence[Command]) -> dict[str, float]:
    blocks = {}
    for item in plan.get("blocks", []) or []:
        if isinstance(item, dict):
            key = item.get("device", item.get("block", item.get("id")))
            mw = item.get("shed_mw", item.get("p_mw"))
            if isinstance(key, str) and isinstance(mw, int | float):
                blocks[key] = 1000.0 * float(mw)
    loads: dict[str, float] = {}
    for row, c in enumerate(commands):
        if c.action == "restore":
            continue
        kw = c.load_kw if c.load_kw is not None else blocks.get(c.device)
        if kw is None:
            raise InputError(
                f"command {row} (device {c.device}): restore needs the load each device takes back: give "
                "load_kw in the command or the block's shed_mw in the plan's blocks",
                field="load_kw",
                row=row,
                element=c.device,
            )
        loads[c.device] = max(loads.get(c.device, 0.0), kw)
    return loads


def restore_steps(
    plan: dict[str, Any],
    commands: Sequence[Command],
    *,
    at: pd.Timestamp,
    step_mw: float = 1.0,
    interval_min: float = 5.0,
    factor: float = 2.0,
) -> list[RestoreStep]:
    """Plan the return of the load a plan took off, in steps that respect cold-load pickup.

    A device (block) that was shed, dimmed or curtailed draws more than its diversified load when it gets
    power back: thermostatic loads (heat pumps, water heaters, air conditioning, fridges) and chargers that
    waited through the outage all switch on at once, and the excess decays as their cycles drift apart
    again. The assumption here: a block draws ``factor`` times its pre-outage load at restoration (2 by
    default), decaying towards it (:func:`pickup_mw`). Steps are filled in the plan's order (the planner
    lists the most important blocks first) so that each step's pickup ``factor * load`` stays within
    ``step_mw``, and follow each other ``interval_min`` apart, time for the previous step's excess to
    decay. A block whose own pickup exceeds ``step_mw`` gets a step of its own.

    The factor and the decay depend on the feeder, the season and the outage's length; set them from
    measured pickups. Sources for the phenomenon and the step-by-step remedy: IEEE PES Power System
    Relaying Committee, working group D1, *Cold Load Pickup Issues* (report to the Line Protection
    Subcommittee) [1]_; C. Ucak and A. Pahwa, *Optimal step-by-step restoration of distribution systems
    during excessive loads due to cold load pickup*, Electric Power Systems Research 32 (1995) 121-128 [2]_.

    Parameters
    ----------
    plan : dict
        The plan (its optional ``blocks`` list gives ``shed_mw`` per device when commands lack
        ``load_kw``).
    commands : sequence of Command
        The plan's commands; ``restore`` commands among them are ignored.
    at : pd.Timestamp
        Time of the first step [UTC].
    step_mw : float
        Largest pickup per step [MW] (> 0).
    interval_min : float
        Time between two steps [min] (>= 0).
    factor : float
        Cold-load pickup factor (>= 1).

    Returns
    -------
    list of RestoreStep

    Raises
    ------
    InputError
        A bad option, or a command whose load is unknown.

    References
    ----------
    .. [1] IEEE PES PSRC WG D1, "Cold Load Pickup Issues".
    .. [2] C. Ucak, A. Pahwa, Electric Power Systems Research 32 (1995) 121-128.
    """
    if not step_mw > 0:
        raise InputError(f"step size must be > 0 MW, not {step_mw}", field="--step-mw")
    if not interval_min >= 0:
        raise InputError(f"interval must be >= 0 min, not {interval_min}", field="--interval-min")
    if not factor >= 1:
        raise InputError(f"cold-load pickup factor must be >= 1, not {factor}", field="--pickup-factor")
    loads = _loads_kw(plan, commands)
    groups: list[list[str]] = []
    pickup = math.inf
    for device, kw in loads.items():
        p = factor * kw / 1000.0
        if not groups or pickup + p > step_mw + 1e-12:
            groups.append([])
            pickup = 0.0
        groups[-1].append(device)
        pickup += p
    at = pd.Timestamp(at).tz_convert("UTC")
    steps = []
    for k, group in enumerate(groups):
        load = sum(loads[d] for d in group) / 1000.0
        steps.append(
            RestoreStep(
                step=k,
                at=at + pd.Timedelta(minutes=k * interval_min),
                devices=tuple(group),
                load_mw=round(load, 6),
                pickup_mw=round(factor * load, 6),
            )
        )
    return steps


def restore_commands(
    steps: Sequence[RestoreStep], commands: Sequence[Command], valid_min: float = 15.0
) -> list[Command]:
    """``restore`` commands for restoration steps, one per device.

    The command id is derived from the device's shed command id (UUID 5), so restoring the same plan
    twice sends each restore command once.

    Parameters
    ----------
    steps : sequence of RestoreStep
        From :func:`restore_steps`.
    commands : sequence of Command
        The plan's commands (the first command of a device names its restore command; a battery's
        restore keeps the plan's ``setpoint_kw``, its stored schedule's set point).
    valid_min : float
        Expiry: a restore command not delivered within this long after its step's time expires [min].
    """
    first, back = {}, {}
    for c in commands:
        if c.action != "restore":
            first.setdefault(c.device, c)
        elif c.setpoint_kw is not None:
            back[c.device] = c.setpoint_kw
    out = []
    for step in steps:
        for device in step.devices:
            origin = first[device]
            out.append(
                Command(
                    command_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"gridflow:restore:{origin.command_id}")),
                    device=device,
                    action="restore",
                    setpoint_kw=back.get(device),
                    start=step.at,
                    end=step.at,
                    not_after=step.at + pd.Timedelta(minutes=valid_min),
                    load_kw=origin.load_kw,
                    extra={"step": step.step},
                )
            )
    return out
