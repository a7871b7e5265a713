"""What is fed through a grid element: the buses and loads downstream of a line, transformer or bus.

What relieves an overloaded line or transformer is load fed through it; what lifts the voltage of a bus is
load on the path that feeds it. The grid is taken as a tree grown from the slack (the external grids'
buses) over the network's graph with open switches and out-of-service branches left out
(``pandapower.topology.create_nxgraph``), breadth first. In a radial grid that tree *is* the grid, and the
buses downstream of a branch are exactly those it disconnects from the slack; where a ring is closed, the
tree assigns each bus to its shortest path (in branches) from the slack, an approximation this module
accepts (SimBench's distribution grids are operated radially: their rings are open).

Elements are written ``line:12``, ``trafo:0``, ``bus:41`` (the pandapower index), or ``supply`` (the whole
grid). :class:`RadialTree` is built once per topology and answers each element in microseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

#: Branch tables a constraint element can name.
BRANCHES = ("line", "trafo")
_ROOT = "slack"


def parse_element(element: str) -> tuple[str, int | None]:
    """Split ``line:12`` into ``("line", 12)``; ``supply`` into ``("supply", None)``.

    Parameters
    ----------
    element : str
        ``line:<i>``, ``trafo:<i>``, ``bus:<i>`` or ``supply``.

    Returns
    -------
    tuple of (str, int or None)

    Raises
    ------
    InputError
        For any other text.
    """
    text = str(element).strip()
    if text == "supply":
        return "supply", None
    kind, _, index = text.partition(":")
    if kind not in (*BRANCHES, "bus") or not index.strip().lstrip("-").isdigit():
        raise InputError(
            f"element {element!r}: write line:<index>, trafo:<index>, bus:<index> or supply",
            field="element",
            element=text,
        )
    return kind, int(index)


class RadialTree:
    """The grid as a tree from its slack: parent, depth and feeding branch of every energized bus.

    Parameters
    ----------
    net : pandapowerNet
        Open switches and out-of-service elements are respected.

    Attributes
    ----------
    parent : dict
        Bus -> the bus feeding it (the slack buses map to ``None``).
    branch : dict
        Bus -> ``(table, index)`` of the branch feeding it (``("switch", i)`` for a bus-bus switch).
    depth : dict
        Bus -> branches from the slack.
    """

    def __init__(self, net: pandapowerNet) -> None:
        import networkx as nx
        import pandapower.topology as top

        graph = top.create_nxgraph(net, respect_switches=True)
        slack = [int(b) for b in net.ext_grid.loc[net.ext_grid["in_service"], "bus"]]
        if len(net.gen) and "slack" in net.gen:
            slack += [int(b) for b in net.gen.loc[net.gen["slack"] & net.gen["in_service"], "bus"]]
        if not slack:
            raise InputError("the network has no slack (no external grid in service)", field="ext_grid")
        graph.add_node(_ROOT)
        for bus in slack:
            graph.add_edge(_ROOT, bus, key=("root", bus))
        self.parent: dict[int, int | None] = {}
        self.branch: dict[int, tuple[str, int]] = {}
        self.depth: dict[int, int] = {}
        for u, v in nx.bfs_edges(graph, _ROOT):
            v = int(v)
            if u == _ROOT:
                self.parent[v], self.depth[v] = None, 0
                continue
            u = int(u)
            self.parent[v] = u
            self.depth[v] = self.depth[u] + 1
            key = next(iter(graph.get_edge_data(u, v)))
            self.branch[v] = (str(key[0]), int(key[1]))
        self.children: dict[int, list[int]] = {b: [] for b in self.parent}
        for child, par in self.parent.items():
            if par is not None:
                self.children[par].append(child)
        self._branch_child = {value: bus for bus, value in self.branch.items()}
        self._closed = {(str(k[0]), int(k[1])) for _, _, k in graph.edges(keys=True) if k[0] != "root"}
        self._net = net
        self._load_bus = net.load.loc[net.load["in_service"], "bus"].astype(np.int64)
        self._sgen_bus = net.sgen.loc[net.sgen["in_service"], "bus"].astype(np.int64)
        storage = net.get("storage") if hasattr(net, "get") else None
        self._storage_bus = (
            storage.loc[storage["in_service"], "bus"].astype(np.int64)
            if storage is not None and len(storage)
            else pd.Series([], dtype=np.int64)
        )

    def subtree(self, bus: int) -> list[int]:
        """Buses fed through ``bus``, itself included (empty when it is not energized)."""
        if bus not in self.parent:
            return []
        out, stack = [], [bus]
        while stack:
            b = stack.pop()
            out.append(b)
            stack.extend(self.children[b])
        return out

    def path(self, bus: int) -> list[int]:
        """Buses from the slack to ``bus``, both included (empty when it is not energized)."""
        if bus not in self.parent:
            return []
        out: list[int] = [bus]
        while (par := self.parent[out[-1]]) is not None:
            out.append(par)
        return out[::-1]

    def downstream_buses(self, element: str) -> list[int]:
        """Buses fed through ``element`` (for a bus: those below its transformer; see :meth:`loads`).

        Parameters
        ----------
        element : str
            ``line:<i>``, ``trafo:<i>``, ``bus:<i>`` or ``supply``.

        Returns
        -------
        list of int
        """
        kind, index = parse_element(element)
        if kind == "supply":
            return list(self.parent)
        if kind == "bus":
            self._check(kind, index)
            return self.subtree(self._supply_busbar(int(index)))  # type: ignore[arg-type]
        self._check(kind, index)
        child = self._branch_child.get((kind, int(index)))  # type: ignore[arg-type]
        if child is None and (kind, index) not in self._closed:
            return []  # open (switch) or out of service: it feeds nothing
        if child is None:
            return self._downstream_of_meshed(kind, int(index))  # type: ignore[arg-type]
        return self.subtree(child)

    def loads(self, element: str) -> pd.Index:
        """Loads fed through ``element``; for a bus, those sharing its path, the most shared first.

        For a line or transformer: every in-service load on a bus downstream of it. For a bus: the loads
        that share impedance with the bus's path, those below the last transformer on it (for an LV bus,
        its LV grid), ordered by how much of the bus's path from the slack they share (most first: a
        load's effect on the bus's voltage grows with the impedance their paths share: loads on the bus's
        own feeder, nearest its end first, then the other feeders). For ``supply``: all loads.

        Parameters
        ----------
        element : str
            ``line:<i>``, ``trafo:<i>``, ``bus:<i>`` or ``supply``.

        Returns
        -------
        pd.Index
            Load indices of ``net.load``.
        """
        return self._on(self._load_bus, element)

    def sgens(self, element: str) -> pd.Index:
        """Static generators fed through ``element`` (as :meth:`loads`; for export-side constraints)."""
        return self._on(self._sgen_bus, element)

    def storages(self, element: str) -> pd.Index:
        """Storage units fed through ``element`` (as :meth:`loads`)."""
        return self._on(self._storage_bus, element)

    def _on(self, buses_of: pd.Series, element: str) -> pd.Index:
        buses = self.downstream_buses(element)
        chosen = buses_of[buses_of.isin(buses)]
        kind, index = parse_element(element)
        if kind != "bus" or chosen.empty:
            return pd.Index(chosen.index)
        shared = self._shared_depth(int(index))  # type: ignore[arg-type]
        order = np.array([shared(int(b)) for b in chosen.to_numpy()])
        return pd.Index(chosen.index[np.argsort(-order, kind="stable")])

    def _shared_depth(self, bus: int):  # noqa: ANN202
        on_path = {b: d for d, b in enumerate(self.path(bus))}

        def shared(other: int) -> int:
            b: int | None = other
            while b is not None and b not in on_path:
                b = self.parent[b]
            return on_path[b] if b is not None else -1

        return shared

    def _supply_busbar(self, bus: int) -> int:
        """The busbar feeding the bus: the low-voltage side of the last transformer on its path.

        Every load below it shares that transformer's impedance with the bus (and more, the nearer its
        path runs to the bus's); the slack bus when no transformer is on the path.
        """
        path = self.path(bus)
        if not path:
            return bus  # not energized: its subtree is empty
        head = path[0]
        for b in path[1:]:
            if self.branch[b][0] == "trafo":
                head = b
        return head

    def _downstream_of_meshed(self, kind: str, index: int) -> list[int]:
        """A closed branch off the tree (in a ring): the subtree of its end farther from the slack."""
        row = self._net[kind].loc[index]
        ends = (
            (int(row["from_bus"]), int(row["to_bus"]))
            if kind == "line"
            else (
                int(row["hv_bus"]),
                int(row["lv_bus"]),
            )
        )
        live = [b for b in ends if b in self.depth]
        if len(live) < 2:
            return []
        return self.subtree(max(live, key=lambda b: self.depth[b]))

    def _check(self, kind: str, index: int | None) -> None:
        if index not in self._net[kind].index:
            name = f"{kind}:{index}"
            raise InputError(f"{name}: no such {kind} in the network", field="element", element=name)


def downstream_loads(net: pandapowerNet, element: str, tree: RadialTree | None = None) -> pd.Index:
    """Loads whose supply flows through ``element`` (for a bus: the loads sharing its path, most first).

    Parameters
    ----------
    net : pandapowerNet
        Open switches and out-of-service elements are respected.
    element : str
        ``line:<i>``, ``trafo:<i>``, ``bus:<i>`` or ``supply``.
    tree : RadialTree, optional
        A tree built once for many elements of the same topology.

    Returns
    -------
    pd.Index
        Indices of ``net.load`` (see :meth:`RadialTree.loads` for the order).

    Raises
    ------
    InputError
        For an element not written as above or not in the network.
    """
    return (tree or RadialTree(net)).loads(element)
