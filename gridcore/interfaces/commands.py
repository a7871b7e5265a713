"""Load-control commands: the plan's ``commands`` list, checked, as :class:`Command` records.

A plan (``shed plan --json``, or any JSON file of the same shape) carries its commands under the key
``commands``, one object each::

    {"command_id": "3f2c...",        # str, unique: the idempotency key (a UUID)
     "device": "load:17",            # str, the block or device id (the MQTT topic's device part)
     "action": "shed",               # shed | dim | curtail | restore | charge | discharge
     "setpoint_kw": null,            # float [kW] or null: the power to hold (dim, curtail, battery)
     "start": "2016-07-01T18:00Z",   # ISO 8601 UTC: when the device acts
     "end": "2016-07-01T20:00Z",     # ISO 8601 UTC: when the action ends
     "not_after": "2016-07-01T18:15Z",  # ISO 8601 UTC: a command not delivered by then is expired
     "load_kw": 120.0}               # optional [kW]: the load the command takes off (restore uses it)

Unknown keys are kept (in :attr:`Command.extra`) and sent along.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gridcore.errors import InputError

__all__ = ["ACTIONS", "Command", "load_plan", "parse_commands"]

#: The actions a command may carry (``charge``/``discharge`` are battery setpoints, over Modbus).
ACTIONS = ("shed", "dim", "curtail", "restore", "charge", "discharge")
_TIMES = ("start", "end", "not_after")
_KNOWN = {"command_id", "device", "action", "setpoint_kw", "load_kw", *_TIMES}


@dataclass(frozen=True)
class Command:
    """One command to one controllable device.

    Attributes
    ----------
    command_id : str
        Idempotency key: a command id is executed once, however often it is sent.
    device : str
        Device (block) id.
    action : str
        One of :data:`ACTIONS`.
    setpoint_kw : float or None
        Power to hold [kW] (dim, curtail, battery charge/discharge), None for on/off actions.
    start, end, not_after : pd.Timestamp
        When the device acts, when the action ends, and the expiry of the command [UTC].
    load_kw : float or None
        Load the command takes off the grid [kW], when the plan says.
    extra : dict
        Any other keys of the plan's command, sent along unchanged.
    """

    command_id: str
    device: str
    action: str
    setpoint_kw: float | None
    start: pd.Timestamp
    end: pd.Timestamp
    not_after: pd.Timestamp
    load_kw: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The command as the plan's JSON object (times ISO 8601 UTC with ``Z``)."""
        out: dict[str, Any] = {
            "command_id": self.command_id,
            "device": self.device,
            "action": self.action,
            "setpoint_kw": self.setpoint_kw,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "not_after": _iso(self.not_after),
        }
        if self.load_kw is not None:
            out["load_kw"] = self.load_kw
        out.update(self.extra)
        return out


def _iso(t: pd.Timestamp) -> str:
    return t.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _time(value: Any, key: str, row: int) -> pd.Timestamp:
    if not isinstance(value, str):
        raise InputError(
            f"command {row}: {key} must be an ISO 8601 UTC time, not {value!r}", field=key, row=row
        )
    try:
        t = pd.Timestamp(value)
    except ValueError:
        raise InputError(
            f"command {row}: {key} {value!r} is not an ISO 8601 time", field=key, row=row
        ) from None
    if t.tzinfo is None:
        raise InputError(f"command {row}: {key} {value!r} has no UTC offset", field=key, row=row)
    return t.tz_convert("UTC")


def _kw(value: Any, key: str, row: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            f"command {row}: {key} must be a number [kW] or null, not {value!r}", field=key, row=row
        )
    return float(value)


def parse_commands(items: Any) -> list[Command]:
    """Check a plan's ``commands`` list and return its commands.

    Parameters
    ----------
    items : list of dict
        The plan's commands (see the module's docstring).

    Returns
    -------
    list of Command
        In the plan's order. A command id given twice with the same content is kept once.

    Raises
    ------
    InputError
        Naming the command's row (0-based) and the key at fault; also for one id given to two different
        commands.
    """
    if not isinstance(items, list):
        raise InputError("the plan's commands must be a list", field="commands")
    out: dict[str, Command] = {}
    for row, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"command {row}: must be an object", row=row)
        for key in ("command_id", "device", "action", *_TIMES):
            if key not in item:
                raise InputError(f"command {row}: missing {key}", field=key, row=row)
        for key in ("command_id", "device"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise InputError(f"command {row}: {key} must be a non-empty string", field=key, row=row)
        if item["action"] not in ACTIONS:
            raise InputError(
                f"command {row}: action {item['action']!r} is not one of {', '.join(ACTIONS)}",
                field="action",
                row=row,
            )
        start, end, not_after = (_time(item[k], k, row) for k in _TIMES)
        if end < start:
            raise InputError(f"command {row}: end is before start", field="end", row=row)
        command = Command(
            command_id=item["command_id"],
            device=item["device"],
            action=item["action"],
            setpoint_kw=_kw(item.get("setpoint_kw"), "setpoint_kw", row),
            start=start,
            end=end,
            not_after=not_after,
            load_kw=_kw(item.get("load_kw"), "load_kw", row),
            extra={k: v for k, v in item.items() if k not in _KNOWN},
        )
        previous = out.get(command.command_id)
        if previous is not None and previous != command:
            raise InputError(
                f"command {row}: command_id {command.command_id} is already used by another command",
                field="command_id",
                row=row,
            )
        out[command.command_id] = command
    return list(out.values())


def load_plan(path: str | Path) -> tuple[dict[str, Any], list[Command]]:
    """Read a plan file (JSON with a ``commands`` list).

    Parameters
    ----------
    path : str or Path
        The plan file.

    Returns
    -------
    tuple of (dict, list of Command)
        The whole plan as read, and its commands checked.

    Raises
    ------
    InputError
        A file that is not JSON, not an object, without ``commands``, or with a bad command.
    """
    path = Path(path)
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"plan {path}: cannot be read as JSON ({exc})", field="PLAN") from None
    if not isinstance(plan, dict) or "commands" not in plan:
        raise InputError(f"plan {path}: a JSON object with a 'commands' list is expected", field="commands")
    return plan, parse_commands(plan["commands"])
