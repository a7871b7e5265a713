"""Constraint events: what a plan is asked to relieve, from options or an event file.

An event file is JSON::

    {
      "start": "2016-07-01T18:00Z",          # UTC start (optional with --at)
      "hours": 2.0,                          # duration [h] (optional, default 1)
      "study_case": "hL",                    # optional: loads and generation at a SimBench study case
      "constraints": [
        {"element": "supply", "relief_mw": 1.0},           # a supply shortfall [MW]
        {"element": "line:12", "kind": "overload"},         # an overloaded line
        {"element": "trafo:0", "kind": "overload"},         # an overloaded transformer
        {"element": "bus:41", "kind": "undervoltage"}       # a bus below its voltage band
      ]
    }

Network elements may lie in several grid segments at once: each is relieved from the load downstream of it.
A ``supply`` constraint with a negative ``relief_mw`` is an export surplus (generation to take off). The
entries of ``gridflow grid constraints`` (``element``, ``kind``, ``start``, ``end``, ``relief_mw``) are valid
constraints as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gridcore.errors import InputError

KINDS = ("overload", "undervoltage", "overvoltage", "shortfall")


@dataclass(frozen=True)
class Event:
    """A constraint event.

    Attributes
    ----------
    start : pd.Timestamp or None
        UTC start.
    hours : float
        Duration [h].
    shortfall_mw : float
        Supply shortfall [MW] (negative: export surplus).
    elements : list of str
        Constrained network elements (``line:12``, ``trafo:0``, ``bus:41``).
    export : list of str
        Elements whose constraint is on the export side (overvoltage, or overload from generation).
    study_case : str or None
    """

    start: pd.Timestamp | None
    hours: float = 1.0
    shortfall_mw: float = 0.0
    elements: list[str] = field(default_factory=list)
    export: list[str] = field(default_factory=list)
    study_case: str | None = None


def read_event(path: str | Path) -> Event:
    """Read and check an event file (format in the module docstring).

    Raises
    ------
    InputError
        Naming the key (and the constraint's position) at fault.
    """
    where = f"event file {path}"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{where}: not found", field="--event") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{where}: not JSON: {err}", field="--event") from None
    return parse_event(data, where)


def parse_event(data: object, where: str = "event") -> Event:
    """Check a parsed event (see :func:`read_event`)."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: must be a JSON object", field="event")
    unknown = set(data) - {"start", "hours", "study_case", "constraints"}
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"{where}: unknown key {key!r}", field=key)
    start = None
    if data.get("start") is not None:
        start = _time(data["start"], f"{where}: start", "start")
    hours = data.get("hours", 1.0)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise InputError(f"{where}: hours must be a positive number, got {hours!r}", field="hours")
    items = data.get("constraints")
    if not isinstance(items, list) or not items:
        raise InputError(f"{where}: constraints must be a non-empty list", field="constraints")
    shortfall = 0.0
    elements: list[str] = []
    export: list[str] = []
    for row, item in enumerate(items):
        key = f"constraints[{row}]"
        if not isinstance(item, dict) or "element" not in item:
            raise InputError(f"{where}: {key} needs an element", field=f"{key}.element", row=row)
        element = str(item["element"]).strip()
        kind = item.get("kind")
        if kind is not None and kind not in KINDS:
            raise InputError(
                f"{where}: {key}.kind {kind!r} not one of {', '.join(KINDS)}", field=f"{key}.kind", row=row
            )
        relief = item.get("relief_mw")
        if relief is not None and (isinstance(relief, bool) or not isinstance(relief, int | float)):
            raise InputError(f"{where}: {key}.relief_mw must be a number", field=f"{key}.relief_mw", row=row)
        if element == "supply":
            if relief is None:
                raise InputError(
                    f"{where}: {key}: a supply constraint needs relief_mw", field=f"{key}.relief_mw", row=row
                )
            shortfall += float(relief)
            continue
        kind_, _, index = element.partition(":")
        if kind_ not in ("line", "trafo", "bus") or not index.isdigit():
            raise InputError(
                f"{where}: {key}.element {element!r}: write line:<i>, trafo:<i>, bus:<i> or supply",
                field=f"{key}.element",
                row=row,
            )
        if kind == "overvoltage" or (relief is not None and relief < 0):
            export.append(element)
        elif element not in elements:
            elements.append(element)
    case = data.get("study_case")
    if case is not None and not isinstance(case, str):
        raise InputError(f"{where}: study_case must be a string", field="study_case")
    return Event(start, float(hours), shortfall, elements, export, case)


def _time(value: object, what: str, key: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(str(value))
    except ValueError:
        raise InputError(f"{what} {value!r} is not an ISO 8601 time", field=key) from None
    if ts.tzinfo is None:
        raise InputError(f"{what} {value!r} has no UTC offset (write it with Z)", field=key)
    return ts.tz_convert("UTC")
