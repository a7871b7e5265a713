"""Feeders derived from the topology: the buses fed through each outgoing line of the substation busbar.

A feeder is named after its outgoing line (the line leaving the MV busbar). Its buses are those reached
from the line's far end through closed switches and in-service lines without passing the busbar. A bus
reached from two outgoing lines (a closed ring) belongs to the first and is reported as meshed; buses on
the busbar itself form the pseudo-feeder ``busbar``. Nothing here is hard-coded to one grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandas as pd

from gridcore.network.grid import GridModel

#: Feeder id for elements connected to the substation busbar itself.
BUSBAR = "busbar"


@dataclass(frozen=True)
class FeederMap:
    """Bus -> feeder assignment.

    Attributes
    ----------
    bus_feeder : pd.Series
        Feeder id per bus id; buses not fed from the busbar (HV side, islands) are absent.
    feeders : list of str
        Feeder ids, sorted, ``busbar`` first when present.
    head_line : dict of str to int
        Outgoing line id of each feeder.
    meshed_buses : list of int
        Buses reachable from more than one feeder (closed rings).
    islanded_buses : list of int
        Buses on the busbar's voltage level with no path to the busbar.
    """

    bus_feeder: pd.Series
    feeders: list[str]
    head_line: dict[str, int]
    meshed_buses: list[int]
    islanded_buses: list[int]


def closed_graph(grid: GridModel) -> nx.MultiGraph:
    """The graph of buses joined by in-service lines and closed bus-bus switches (no transformers).

    A line with an open switch at either end is open. Edges carry ``kind`` (``line``/``switch``) and ``id``.

    Parameters
    ----------
    grid : GridModel

    Returns
    -------
    nx.MultiGraph
    """
    g = nx.MultiGraph()
    g.add_nodes_from(grid.bus.index)
    sw = grid.switch
    open_lines = set(sw.loc[(sw["et"] == "l") & ~sw["closed"].astype(bool), "element"])
    lines = grid.line[grid.line["in_service"].astype(bool) & ~grid.line.index.isin(open_lines)]
    g.add_edges_from(
        (int(f), int(t), {"kind": "line", "id": int(i)})
        for i, f, t in zip(lines.index, lines["from_bus"], lines["to_bus"], strict=True)
    )
    bb = sw[(sw["et"] == "b") & sw["closed"].astype(bool)]
    g.add_edges_from(
        (int(b), int(e), {"kind": "switch", "id": int(i)})
        for i, b, e in zip(bb.index, bb["bus"], bb["element"], strict=True)
    )
    return g


def derive_feeders(grid: GridModel) -> FeederMap:
    """Derive feeders from the topology in force.

    Parameters
    ----------
    grid : GridModel

    Returns
    -------
    FeederMap
    """
    g = closed_graph(grid)
    busbar: set[int] = set()
    trafos = grid.trafo
    if "in_service" in trafos.columns:
        trafos = trafos[trafos["in_service"].astype(bool)]
    for lv in trafos["lv_bus"].astype(int):
        busbar |= {lv} | {n for n in nx.node_connected_component(_switch_only(g), lv)}
    assignment: dict[int, str] = {b: BUSBAR for b in busbar}
    meshed: set[int] = set()
    head_line: dict[str, int] = {}
    outgoing = sorted(
        (d["id"], u if v in busbar else v)
        for u, v, d in g.edges(data=True)
        if d["kind"] == "line" and ((u in busbar) ^ (v in busbar))
    )
    inner = g.subgraph([n for n in g.nodes if n not in busbar])
    for line_id, far in outgoing:
        name = str(grid.line.at[line_id, "name"])
        head_line[name] = line_id
        for b in nx.node_connected_component(inner, far):
            if b in assignment and assignment[b] != name:
                meshed.add(b)
                continue
            assignment.setdefault(b, name)
    vn = grid.bus["vn_kv"]
    mv_level = set(vn.loc[list(busbar)].unique()) if busbar else set()
    islanded = sorted(int(b) for b in grid.bus.index[vn.isin(mv_level)] if b not in assignment)
    bus_feeder = pd.Series(assignment, name="feeder").sort_index()
    bus_feeder.index.name = "bus"
    feeders = sorted(set(bus_feeder), key=lambda f: (f != BUSBAR, f))
    return FeederMap(bus_feeder, feeders, head_line, sorted(meshed), islanded)


def _switch_only(g: nx.MultiGraph) -> nx.Graph:
    """Subgraph of closed bus-bus switches (busbar couplers)."""
    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    h.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d["kind"] == "switch")
    return h
