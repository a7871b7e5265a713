"""Topology changes: switching and planned outages, versioned, and the topology in force at any hour.

A change is a record: what (``switch`` open/close, ``line`` or ``trafo`` out of service), from when and
until when (UTC; open-ended when ``effective_to`` is empty), who asked, why, and when it was recorded.
Changes are kept in an append-only log (JSON lines, one record per line, each with its own id and the
log version it created), so the history of the network is never rewritten: a cancelled outage is a new
``cancel`` record naming the change it cancels.

:func:`topology_at` applies the changes in force at a time to a :class:`GridModel` and returns a new one
(the original is untouched), so everything downstream (feeders, meter -> bus -> feeder map, the forecast's
series, power flow) follows the topology of each hour without code changes. :func:`describe_topology`
reports what the result means for supply: buses islanded, rings closed (meshed).
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from pathlib import Path

import pandas as pd

from gridcore.errors import InputError
from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import GridModel
from gridcore.times import to_utc

#: Kinds of change.
KINDS = ("switch", "line", "trafo", "cancel")


class TopologyError(InputError):
    """A change that names an unknown element, a bad state or an empty period."""


def make_change(
    grid: GridModel,
    kind: str,
    element: int | str,
    closed: bool | None = None,
    in_service: bool | None = None,
    effective_from: str | pd.Timestamp | None = None,
    effective_to: str | pd.Timestamp | None = None,
    who: str = "",
    why: str = "",
    cancels: str | None = None,
) -> dict[str, object]:
    """A checked change record.

    Parameters
    ----------
    grid : GridModel
        The grid the change applies to (element ids are checked against it).
    kind : str
        ``switch``, ``line``, ``trafo`` or ``cancel``.
    element : int or str
        Element id (index) or name.
    closed : bool, optional
        New switch state (switch changes).
    in_service : bool, optional
        New service state (line and trafo changes; False for an outage).
    effective_from, effective_to : str or pd.Timestamp, optional
        UTC period in force; from now on and open-ended by default.
    who, why : str
        Operator and reason (recorded).
    cancels : str, optional
        Id of the change a ``cancel`` record cancels.

    Returns
    -------
    dict
        The record (``id``, ``kind``, ``element`` (int id), ``element_name``, ``closed``, ``in_service``,
        ``effective_from``, ``effective_to``, ``who``, ``why``, ``cancels``, ``recorded``).

    Raises
    ------
    TopologyError
        Unknown kind or element, missing state, naive times, or an empty period.
    """
    if kind not in KINDS:
        raise TopologyError(f"unknown change kind {kind!r}; one of {', '.join(KINDS)}")
    start = pd.Timestamp.now(tz="UTC").floor("h")
    if effective_from:
        start = to_utc(effective_from, "effective_from", naive="error", error=TopologyError)
    end = to_utc(effective_to, "effective_to", naive="error", error=TopologyError) if effective_to else None
    if end is not None and end <= start:
        raise TopologyError(f"change ends ({end:%Y-%m-%dT%H:%MZ}) before it starts ({start:%Y-%m-%dT%H:%MZ})")
    record: dict[str, object] = {
        "id": uuid.uuid4().hex[:12],
        "kind": kind,
        "element": None,
        "element_name": None,
        "closed": None,
        "in_service": None,
        "effective_from": f"{start:%Y-%m-%dT%H:%MZ}",
        "effective_to": None if end is None else f"{end:%Y-%m-%dT%H:%MZ}",
        "who": who,
        "why": why,
        "cancels": cancels,
        "recorded": f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%dT%H:%M:%SZ}",
    }
    if kind == "cancel":
        if not cancels:
            raise TopologyError("a cancel record must name the change it cancels")
        return record
    table = {"switch": grid.switch, "line": grid.line, "trafo": grid.trafo}[kind]
    idx = _element_id(table, element, kind)
    record["element"] = idx
    record["element_name"] = str(table.at[idx, "name"])
    if kind == "switch":
        if closed is None:
            raise TopologyError("a switch change needs the new state (open or close)")
        record["closed"] = bool(closed)
    else:
        record["in_service"] = False if in_service is None else bool(in_service)
    return record


def _element_id(table: pd.DataFrame, element: int | str, kind: str) -> int:
    """Index of an element given by id or by name."""
    if isinstance(element, str) and not element.lstrip("-").isdigit():
        hits = table.index[table["name"].astype(str) == element]
        if len(hits) != 1:
            raise TopologyError(
                f"no {kind} named {element!r}" if not len(hits) else f"{kind} name {element!r} is ambiguous"
            )
        return int(hits[0])
    idx = int(element)
    if idx not in table.index:
        raise TopologyError(f"unknown {kind} id {idx} (ids {table.index.min()}..{table.index.max()})")
    return idx


class ChangeLog:
    """Append-only log of topology changes in ``<root>/topology/changes.jsonl``.

    Parameters
    ----------
    root : str or Path
        Store folder.
    """

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / "topology" / "changes.jsonl"

    def records(self) -> list[dict[str, object]]:
        """All records in the order they were recorded, each with its ``version`` (1, 2, ...)."""
        if not self.path.exists():
            return []
        lines = [ln for ln in self.path.read_text().splitlines() if ln.strip()]
        return [{**json.loads(ln), "version": i + 1} for i, ln in enumerate(lines)]

    def append(self, record: dict[str, object]) -> dict[str, object]:
        """Add a record (written and fsynced as one line); returns it with its version."""
        from gridcore.store import locked

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self.path):  # the check, the line and its version number as one step
            if record["kind"] == "cancel" and record["cancels"] not in {r["id"] for r in self.records()}:
                raise TopologyError(f"no change {record['cancels']!r} to cancel")
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            return {**record, "version": len(self.records())}

    def in_force(self, at: pd.Timestamp) -> list[dict[str, object]]:
        """The changes in force at ``at`` (UTC), oldest first, cancelled ones left out."""
        records = self.records()
        at = pd.Timestamp(at).tz_convert("UTC")
        cancelled = {r["cancels"] for r in records if r["kind"] == "cancel"}
        out = []
        for r in records:
            if r["kind"] == "cancel" or r["id"] in cancelled:
                continue
            start = pd.Timestamp(r["effective_from"])
            end = pd.Timestamp(r["effective_to"]) if r["effective_to"] else None
            if start <= at and (end is None or at < end):
                out.append(r)
        return out


def topology_at(grid: GridModel, changes: list[dict[str, object]]) -> GridModel:
    """The grid with ``changes`` applied in order (later changes win); the input grid is not modified.

    Parameters
    ----------
    grid : GridModel
    changes : list of dict
        Change records (e.g. :meth:`ChangeLog.in_force`).

    Returns
    -------
    GridModel
        New tables for switch, line and trafo; everything else shared.
    """
    switch, line, trafo = grid.switch.copy(), grid.line.copy(), grid.trafo.copy()
    if "in_service" not in trafo.columns and any(r["kind"] == "trafo" for r in changes):
        trafo["in_service"] = True
    for r in changes:
        if r["kind"] == "switch":
            switch.loc[int(r["element"]), "closed"] = bool(r["closed"])
        elif r["kind"] == "line":
            line.loc[int(r["element"]), "in_service"] = bool(r["in_service"])
        elif r["kind"] == "trafo":
            trafo.loc[int(r["element"]), "in_service"] = bool(r["in_service"])
    return dataclasses.replace(grid, switch=switch, line=line, trafo=trafo)


@dataclasses.dataclass(frozen=True)
class TopologyState:
    """What a topology means for supply (see :func:`describe_topology`).

    Attributes
    ----------
    fingerprint : str
        The topology's fingerprint (:attr:`GridModel.fingerprint`).
    feeders : int
        Feeders (transformers in service feeding buses).
    islanded_buses : list of int
        Buses cut off from every feeder.
    islanded_load_mw : float
        Nominal load on the islanded buses [MW] (4 decimals).
    meshed_buses : list of int
        Buses fed by more than one path.
    buses_changed_feeder : list of int or None
        Buses whose feeder differs from the base topology's (None when compared with none).
    """

    fingerprint: str
    feeders: int
    islanded_buses: list[int]
    islanded_load_mw: float
    meshed_buses: list[int]
    buses_changed_feeder: list[int] | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready state, keys in the order of the attributes (``buses_changed_feeder`` only if set)."""
        out: dict[str, object] = {
            "fingerprint": self.fingerprint,
            "feeders": self.feeders,
            "islanded_buses": list(self.islanded_buses),
            "islanded_load_mw": self.islanded_load_mw,
            "meshed_buses": list(self.meshed_buses),
        }
        if self.buses_changed_feeder is not None:
            out["buses_changed_feeder"] = list(self.buses_changed_feeder)
        return out


def describe_topology(grid: GridModel, base: GridModel | None = None) -> TopologyState:
    """What a topology means for supply: feeders, islanded and meshed buses, and what moved.

    Parameters
    ----------
    grid : GridModel
        The topology in force.
    base : GridModel, optional
        The topology to compare with (buses that changed feeder are listed).

    Returns
    -------
    TopologyState
    """
    fm = derive_feeders(grid)
    load_on = grid.load.groupby("bus")["p_mw"].sum()
    moved = None
    if base is not None:
        before = derive_feeders(base).bus_feeder
        after = fm.bus_feeder.reindex(before.index)
        moved = [int(b) for b in before.index[(after != before) | after.isna()]]
    return TopologyState(
        fingerprint=grid.fingerprint,
        feeders=len(fm.feeders),
        islanded_buses=fm.islanded_buses,
        islanded_load_mw=round(float(load_on.reindex(fm.islanded_buses).fillna(0).sum()), 4),
        meshed_buses=fm.meshed_buses,
        buses_changed_feeder=moved,
    )
