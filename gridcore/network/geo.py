"""The network as a map and as a graph: GeoJSON for web maps, node/edge tables for graph tools, a PNG.

:func:`network_geojson` turns a network (a pandapower net or the :class:`~gridcore.network.grid.GridModel`
tables) and, optionally, a power-flow result into a GeoJSON FeatureCollection (RFC 7946): buses as Points,
lines as LineStrings on the grid's own coordinates (longitude, latitude), transformers as LineStrings between
their buses (a Point where both sides share one location). Every feature carries the same properties, so a
web map can style on any of them; values that do not apply or are unknown are ``null``, never NaN, so the
collection is strict JSON. :func:`graph_tables` gives the same network as node and edge tables that
``networkx.from_pandas_edgelist`` reads; :func:`plot_map` draws a collection as a PNG colored by loading.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.cases import CASE_BASE_KV, CASE_BRANCH, bus_ids
from gridcore.network.feeders import FeederMap
from gridcore.network.grid import GridModel

if TYPE_CHECKING:
    import networkx as nx
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.powerflow import PowerFlowResult

#: Property keys of every feature, in order.
PROPERTIES = (
    "element",
    "id",
    "name",
    "feeder",
    "vn_kv",
    "vm_pu",
    "va_degree",
    "p_mw",
    "q_mvar",
    "loading_percent",
    "from_bus",
    "to_bus",
    "in_service",
    "closed",
    "violation",
)
_COORD_DIGITS = 7


def network_geojson(
    network: pandapowerNet | GridModel,
    result: PowerFlowResult | None = None,
    feeders: FeederMap | pd.Series | None = None,
) -> dict[str, object]:
    """The network as a GeoJSON FeatureCollection.

    Parameters
    ----------
    network : pandapowerNet or GridModel
        Topology and coordinates (pandapower's ``bus.geo`` / ``line.geo``, or the grid's bus ``x``, ``y``
        [deg]).
    result : PowerFlowResult, optional
        Power-flow result to attach (voltages, flows, loadings, violations).
    feeders : FeederMap or pd.Series, optional
        Feeder per bus id; a line takes the feeder of its from-bus (of its to-bus when that one is the
        busbar).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "bbox": [...], "features": [...]}``; each feature has ``id``
        (``bus/3``, ``line/12``, ``trafo/0``) and the properties of :data:`PROPERTIES`: ``vn_kv`` [kV] (the
        high-voltage side for a transformer), ``vm_pu`` [p.u.], ``va_degree`` [deg], ``p_mw`` / ``q_mvar``
        (bus: drawn at the bus; branch: into the branch at its from end) [MW, MVAr], ``loading_percent`` [%],
        ``closed`` (False for a line with an open switch), ``violation`` (``thermal``, ``voltage_low``,
        ``voltage_high``, ``unsupplied`` or null). Elements without coordinates are left out.

    Raises
    ------
    ValueError
        When no bus has coordinates.
    """
    topo = _topology(network)
    bus, branches = _attach(topo, result, _bus_feeder(feeders))
    if not bus[["x", "y"]].notna().all(axis=1).any():
        raise InputError(
            "the network has no bus coordinates (bus geodata): nothing to draw on a map", field="bus_geodata"
        )
    features: list[dict[str, object]] = []
    for b, r in bus.iterrows():
        if pd.isna(r["x"]) or pd.isna(r["y"]):
            continue
        geometry = {"type": "Point", "coordinates": _position(r["x"], r["y"])}
        features.append(_feature(f"bus/{b}", geometry, r, "bus", b))
    xy = bus[["x", "y"]]
    for r in branches.to_dict("records"):
        coords = r.pop("coords")
        if coords is None:
            ends = xy.loc[[r["from_bus"], r["to_bus"]]]
            if ends.isna().any().any():
                continue
            coords = [_position(x, y) for x, y in ends.to_numpy()]
        if coords[0] == coords[-1] and len(coords) == 2:
            geometry = {"type": "Point", "coordinates": coords[0]}
        else:
            geometry = {"type": "LineString", "coordinates": coords}
        features.append(_feature(f"{r['element']}/{r['id']}", geometry, r, r["element"], r["id"]))
    located = xy.dropna()
    bbox = [
        _round(located["x"].min()),
        _round(located["y"].min()),
        _round(located["x"].max()),
        _round(located["y"].max()),
    ]
    return {"type": "FeatureCollection", "bbox": bbox, "features": features}


def graph_tables(
    network: pandapowerNet | GridModel,
    result: PowerFlowResult | None = None,
    feeders: FeederMap | pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network as node and edge tables (networkx-compatible).

    ``networkx.from_pandas_edgelist(edges, "source", "target", edge_attr=True,
    create_using=networkx.MultiGraph)`` builds the graph (see :func:`to_networkx`).

    Parameters
    ----------
    network : pandapowerNet or GridModel
    result : PowerFlowResult, optional
    feeders : FeederMap or pd.Series, optional

    Returns
    -------
    nodes : pd.DataFrame
        Index ``bus`` (id); ``name``, ``feeder``, ``vn_kv`` [kV], ``x``, ``y`` [deg], ``in_service``,
        ``vm_pu`` [p.u.], ``va_degree`` [deg], ``p_mw`` [MW], ``q_mvar`` [MVAr], ``violation``.
    edges : pd.DataFrame
        ``source``, ``target`` (bus ids), ``element`` (``line``, ``trafo``, ``impedance``, ``switch`` for
        closed bus-bus switches), ``id``, ``name``, ``feeder``, ``in_service``, ``closed``, ``p_mw`` [MW],
        ``q_mvar`` [MVAr] (into the edge at its source), ``loading_percent`` [%], ``violation``.
    """
    topo = _topology(network)
    bus, branches = _attach(topo, result, _bus_feeder(feeders))
    nodes = bus[
        [
            "name",
            "feeder",
            "vn_kv",
            "x",
            "y",
            "in_service",
            "vm_pu",
            "va_degree",
            "p_mw",
            "q_mvar",
            "violation",
        ]
    ]
    edges = branches.drop(columns=["coords", "vn_kv", "vm_pu", "va_degree"]).rename(
        columns={"from_bus": "source", "to_bus": "target"}
    )
    switches = topo["switch"].assign(element="switch", in_service=True, closed=True)
    edges = pd.concat([edges, switches], ignore_index=True)
    columns = ["source", "target", "element", "id", "name", "feeder", "in_service", "closed", "p_mw"]
    columns += ["q_mvar", "loading_percent", "violation"]
    return nodes, edges[columns]


def to_networkx(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.MultiGraph:
    """Build the networkx MultiGraph of :func:`graph_tables`' tables (node and edge attributes kept).

    Parameters
    ----------
    nodes, edges : pd.DataFrame
        As returned by :func:`graph_tables`.

    Returns
    -------
    networkx.MultiGraph
    """
    import networkx as nx

    g = nx.from_pandas_edgelist(edges, "source", "target", edge_attr=True, create_using=nx.MultiGraph)
    g.add_nodes_from(nodes.index)
    nx.set_node_attributes(g, nodes.to_dict("index"))
    return g


def plot_map(collection: dict[str, object], path: str | Path, title: str = "") -> str:
    """Draw a network GeoJSON as a PNG: lines colored by loading, violations marked.

    Parameters
    ----------
    collection : dict
        A FeatureCollection from :func:`network_geojson`.
    path : str or Path
        PNG file to write.
    title : str

    Returns
    -------
    str
        The path written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    features = collection["features"]
    assert isinstance(features, list)
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    points = [f for f in features if f["geometry"]["type"] == "Point" and f["properties"]["element"] == "bus"]
    fig = Figure(figsize=(9, 8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    closed = [f for f in lines if f["properties"]["closed"] is not False and f["properties"]["in_service"]]
    opened = [f for f in lines if f not in closed]
    loading = np.array([_nan(f["properties"]["loading_percent"]) for f in closed])
    top = max(100.0, float(np.nanmax(loading)) if len(loading) and np.isfinite(loading).any() else 100.0)
    segments = LineCollection(
        [f["geometry"]["coordinates"] for f in closed],
        cmap="RdYlGn_r",
        norm=Normalize(0.0, top),
        linewidths=2.2,
    )
    segments.set_array(np.nan_to_num(loading))
    ax.add_collection(segments)
    fig.colorbar(segments, ax=ax, label="loading [%]", shrink=0.8)
    if opened:
        ax.add_collection(
            LineCollection(
                [f["geometry"]["coordinates"] for f in opened],
                colors="grey",
                linestyles="dotted",
                linewidths=1.2,
            )
        )
    hot = [f for f in lines if f["properties"]["violation"]]
    if hot:
        ax.add_collection(
            LineCollection(
                [f["geometry"]["coordinates"] for f in hot], colors="red", linewidths=5, alpha=0.35
            )
        )
    xy = np.array([f["geometry"]["coordinates"] for f in points]) if points else np.empty((0, 2))
    if len(xy):
        ax.scatter(xy[:, 0], xy[:, 1], s=9, color="black", zorder=3)
    bad = np.array([f["geometry"]["coordinates"] for f in points if f["properties"]["violation"]])
    if len(bad):
        ax.scatter(bad[:, 0], bad[:, 1], s=90, marker="x", color="red", linewidths=2, zorder=4)
    bbox = collection.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4 and all(v is not None for v in bbox):
        pad_x, pad_y = 0.04 * (bbox[2] - bbox[0]) or 0.01, 0.04 * (bbox[3] - bbox[1]) or 0.01
        ax.set_xlim(bbox[0] - pad_x, bbox[2] + pad_x)
        ax.set_ylim(bbox[1] - pad_y, bbox[3] + pad_y)
        mid = 0.5 * (bbox[1] + bbox[3])
        if -80 < mid < 80 and abs(bbox[0]) <= 180:
            ax.set_aspect(1.0 / math.cos(math.radians(mid)))
    legend = [
        Line2D([], [], color="red", lw=5, alpha=0.35, label="thermal violation"),
        Line2D([], [], color="red", marker="x", lw=0, markersize=8, label="voltage violation / unsupplied"),
        Line2D([], [], color="grey", ls="dotted", label="open or out of service"),
    ]
    ax.legend(handles=legend, loc="lower left", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel("longitude [deg]")
    ax.set_ylabel("latitude [deg]")
    ax.set_title(title)
    ax.grid(alpha=0.2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return str(path)


def _topology(network: pandapowerNet | GridModel) -> dict[str, pd.DataFrame]:
    """Bus, branch and bus-bus switch tables in one shape, from a GridModel or a pandapower net."""
    if isinstance(network, GridModel):
        bus = network.bus[["name", "vn_kv", "x", "y"]].assign(in_service=True)
        sw = network.switch
        line = network.line[["name", "from_bus", "to_bus", "in_service"]].assign(
            element="line", id=network.line.index.to_numpy(), coords=None
        )
        trafo = network.trafo.rename(columns={"hv_bus": "from_bus", "lv_bus": "to_bus"})[
            ["name", "from_bus", "to_bus"]
        ].assign(element="trafo", id=network.trafo.index.to_numpy(), in_service=True, coords=None)
        branches = [line, trafo]
    else:
        ids = bus_ids(network)
        coords = _bus_xy(network.bus)
        vn = network.bus[CASE_BASE_KV] if CASE_BASE_KV in network.bus else network.bus["vn_kv"]
        bus = pd.DataFrame(
            {
                "name": network.bus["name"].to_numpy(dtype=object),
                "vn_kv": vn.to_numpy(dtype=np.float64),
                "x": coords[:, 0],
                "y": coords[:, 1],
                "in_service": network.bus["in_service"].astype(bool).to_numpy(),
            },
            index=pd.Index(ids.to_numpy(), name="bus"),
        )
        sw = network.switch.assign(
            bus=ids.reindex(network.switch["bus"]).to_numpy(),
            element=np.where(
                network.switch["et"] == "b",
                ids.reindex(network.switch["element"]).to_numpy(),
                network.switch["element"],
            ),
        )
        branches = []
        for element, f, t in (
            ("line", "from_bus", "to_bus"),
            ("trafo", "hv_bus", "lv_bus"),
            ("impedance", "from_bus", "to_bus"),
        ):
            table = network[element]
            if table.empty:
                continue
            branches.append(
                pd.DataFrame(
                    {
                        "name": table["name"].to_numpy(dtype=object),
                        "from_bus": ids.loc[table[f]].to_numpy(),
                        "to_bus": ids.loc[table[t]].to_numpy(),
                        "in_service": table["in_service"].astype(bool).to_numpy(),
                        "element": element,
                        "id": table.get(CASE_BRANCH, table.index).to_numpy(),
                        "coords": _line_coords(table) if element == "line" else None,
                    },
                    index=table.index,
                )
            )
    open_lines = set(sw.loc[(sw["et"] == "l") & ~sw["closed"].astype(bool), "element"].astype(int))
    frame = pd.concat(branches, ignore_index=True) if branches else pd.DataFrame(columns=["element", "id"])
    frame["closed"] = ~((frame["element"] == "line") & frame["id"].isin(open_lines))
    if "coords" not in frame:
        frame["coords"] = None
    bb = sw[(sw["et"] == "b") & sw["closed"].astype(bool)]
    switch = pd.DataFrame(
        {
            "source": bb["bus"].astype(np.int64).to_numpy(),
            "target": bb["element"].astype(np.int64).to_numpy(),
            "id": bb.index.to_numpy(),
            "name": bb["name"].to_numpy(dtype=object) if "name" in bb else None,
        }
    )
    return {"bus": bus, "branch": frame, "switch": switch}


def _attach(
    topo: dict[str, pd.DataFrame], result: PowerFlowResult | None, bus_feeder: pd.Series | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join feeders, results and violations onto the bus and branch tables."""
    bus = topo["bus"].copy()
    branches = topo["branch"].copy()
    if bus_feeder is not None:
        bus["feeder"] = bus_feeder.reindex(bus.index).to_numpy(dtype=object)
        f_from = branches["from_bus"].map(bus_feeder)
        f_to = branches["to_bus"].map(bus_feeder)
        from_busbar = (f_from == "busbar") | f_from.isna()
        branches["feeder"] = f_from.where(~from_busbar, f_to).to_numpy(dtype=object)
    else:
        bus["feeder"] = None
        branches["feeder"] = None
    branches["vn_kv"] = bus["vn_kv"].reindex(branches["from_bus"]).to_numpy()
    for col in ("vm_pu", "va_degree", "p_mw", "q_mvar"):
        bus[col] = np.nan
        branches[col] = np.nan
    bus["violation"] = None
    branches["loading_percent"] = np.nan
    branches["violation"] = None
    if result is not None:
        res = result.buses.reindex(bus.index)
        for col in ("vm_pu", "va_degree", "p_mw", "q_mvar"):
            bus[col] = res[col].to_numpy(dtype=np.float64)
        flows = result.branches.set_index(["element", "id"])
        key = pd.MultiIndex.from_arrays([branches["element"], branches["id"]])
        flows = flows.reindex(key)
        same = flows["from_bus"].to_numpy() == branches["from_bus"].to_numpy()
        branches["p_mw"] = np.where(same, flows["p_from_mw"], flows["p_to_mw"])
        branches["q_mvar"] = np.where(same, flows["q_from_mvar"], flows["q_to_mvar"])
        branches["loading_percent"] = flows["loading_percent"].to_numpy(dtype=np.float64)
        for v in result.violations:
            if v.element == "bus":
                if v.id in bus.index:
                    bus.loc[v.id, "violation"] = v.kind
            else:
                hit = (branches["element"] == v.element) & (branches["id"] == v.id)
                branches.loc[hit, "violation"] = v.kind
    return bus, branches


def _feature(fid: str, geometry: dict[str, object], row: pd.Series | dict, element: str, eid: object) -> dict:
    """One GeoJSON feature with every key of :data:`PROPERTIES` (null where absent or not finite)."""
    props: dict[str, object] = {}
    for key in PROPERTIES:
        if key == "element":
            props[key] = element
        elif key == "id":
            props[key] = int(eid)  # type: ignore[call-overload]
        else:
            props[key] = _clean(row.get(key))
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


def _clean(value: object) -> object:
    """A JSON-safe scalar: numpy scalars to Python, NaN/inf to None, floats rounded to 6 decimals."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 6) if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    return None if pd.isna(value) else str(value)  # type: ignore[arg-type]


def _bus_feeder(feeders: FeederMap | pd.Series | None) -> pd.Series | None:
    if feeders is None:
        return None
    return feeders.bus_feeder if isinstance(feeders, FeederMap) else feeders


def _bus_xy(bus: pd.DataFrame) -> np.ndarray:
    """Bus coordinates from pandapower's ``geo`` column (GeoJSON Points), NaN where absent."""
    out = np.full((len(bus), 2), np.nan)
    if "geo" not in bus:
        return out
    for i, g in enumerate(bus["geo"].to_numpy()):
        point = _geojson(g)
        if point and point.get("type") == "Point":
            out[i] = point["coordinates"][:2]
    return out


def _line_coords(line: pd.DataFrame) -> list[list[list[float]] | None]:
    """A line's own course from pandapower's ``geo`` column (LineString), None where absent."""
    out: list[list[list[float]] | None] = []
    for g in line["geo"].to_numpy() if "geo" in line else [None] * len(line):
        shape = _geojson(g)
        ok = shape and shape.get("type") == "LineString" and len(shape.get("coordinates", [])) >= 2
        out.append([_position(*c[:2]) for c in shape["coordinates"]] if ok else None)
    return out


def _geojson(value: object) -> dict | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _position(x: float, y: float) -> list[float]:
    return [_round(x), _round(y)]


def _round(v: float) -> float:
    return round(float(v), _COORD_DIGITS)


def _nan(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]
