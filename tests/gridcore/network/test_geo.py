"""The network map (GeoJSON), the graph tables and the PNG, on the default grid with its real coordinates."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from gridcore.network.cases import read_case
from gridcore.network.feeders import BUSBAR, derive_feeders
from gridcore.network.geo import PROPERTIES, graph_tables, network_geojson, plot_map, to_networkx
from gridcore.network.grid import load_grid, pandapower_net
from gridcore.network.powerflow import run_powerflow, set_loads_at

AT = "2016-07-01T14:00Z"
CASE9 = Path(__file__).parents[2] / "data" / "power_flow" / "matpower_case9" / "case9.m"


def _strict(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise ValueError(f"non-JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def solved():
    grid = load_grid(
        demand="simbench"
    )  # the references were measured on SimBench's published profiles, not the weather-driven world
    net = pandapower_net()
    set_loads_at(net, grid, AT)
    result = run_powerflow(net, loading_limit_pct=5.0)  # a low limit, so that some lines violate it
    return grid, net, result, derive_feeders(grid)


def test_geojson_has_buses_and_lines_on_the_grids_coordinates(solved) -> None:
    grid, net, result, feeders = solved
    collection = _strict(json.dumps(network_geojson(net, result, feeders), allow_nan=False))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    kinds = Counter((f["geometry"]["type"], f["properties"]["element"]) for f in features)
    # 117 buses, 121 lines; the two transformers have both sides at the substation: Points
    assert kinds == {("Point", "bus"): 117, ("LineString", "line"): 121, ("Point", "trafo"): 2}
    assert all(tuple(f["properties"]) == PROPERTIES for f in features)
    bus = {f["properties"]["id"]: f for f in features if f["properties"]["element"] == "bus"}
    assert bus[4]["geometry"]["coordinates"] == [grid.bus.at[4, "x"], grid.bus.at[4, "y"]]  # lon, lat [deg]
    lines = {f["properties"]["id"]: f for f in features if f["properties"]["element"] == "line"}
    f, t = grid.line.at[3, "from_bus"], grid.line.at[3, "to_bus"]
    assert lines[3]["geometry"]["coordinates"] == [
        bus[f]["geometry"]["coordinates"],
        bus[t]["geometry"]["coordinates"],
    ]
    loading = result.branches.set_index(["element", "id"])["loading_percent"]
    assert all(
        p["loading_percent"] == pytest.approx(loading[("line", i)], abs=1e-6)
        for i, p in ((i, f["properties"]) for i, f in lines.items())
    )
    assert bus[4]["properties"]["vm_pu"] == pytest.approx(result.buses.at[4, "vm_pu"], abs=1e-6)
    assert bus[4]["properties"]["feeder"] == feeders.bus_feeder[4] == "MV2.101 Line 1"
    assert bus[2]["properties"]["feeder"] == BUSBAR and bus[0]["properties"]["feeder"] is None  # HV side
    assert lines[0]["properties"]["feeder"] == "MV2.101 Line 1"  # the head line leaves the busbar
    # the open ring points (8 load-break switches) are drawn, marked open
    assert sum(f["properties"]["closed"] is False for f in lines.values()) == 8
    flagged = sorted(i for i, f in lines.items() if f["properties"]["violation"] == "thermal")
    assert flagged == sorted(v.id for v in result.violations if v.kind == "thermal") and len(flagged) == 5
    bbox = collection["bbox"]
    assert bbox[0] == grid.bus["x"].min() and bbox[3] == grid.bus["y"].max()


def test_grid_tables_give_the_same_map_as_the_pandapower_net(solved) -> None:
    grid, net, result, feeders = solved
    assert network_geojson(grid, result, feeders) == network_geojson(net, result, feeders)
    bare = network_geojson(grid)
    assert all(
        f["properties"]["vm_pu"] is None and f["properties"]["feeder"] is None for f in bare["features"]
    )


def test_unsolved_bus_is_null_not_nan(solved) -> None:
    _, net, _, feeders = solved
    cut = copy.deepcopy(net)
    cut.line.loc[cut.line["to_bus"].eq(10) | cut.line["from_bus"].eq(10), "in_service"] = False
    result = run_powerflow(cut)
    props = {
        f["properties"]["id"]: f["properties"]
        for f in network_geojson(cut, result, feeders)["features"]
        if f["properties"]["element"] == "bus"
    }
    assert props[10]["vm_pu"] is None and props[10]["violation"] == "unsupplied"
    _strict(json.dumps(network_geojson(cut, result, feeders), allow_nan=False))


def test_graph_tables_build_a_networkx_graph(solved) -> None:
    grid, net, result, feeders = solved
    nodes, edges = graph_tables(net, result, feeders)
    assert len(nodes) == 117 and nodes.index.name == "bus"
    assert edges["element"].value_counts().to_dict() == {"line": 121, "trafo": 2, "switch": 2}
    g = to_networkx(nodes, edges)
    assert isinstance(g, nx.MultiGraph) and g.number_of_nodes() == 117 and g.number_of_edges() == 125
    assert g.nodes[4]["feeder"] == "MV2.101 Line 1" and g.nodes[4]["x"] == grid.bus.at[4, "x"]
    closed = nx.MultiGraph((u, v, d) for u, v, d in g.edges(data=True) if d["closed"] and d["in_service"])
    assert nx.is_connected(closed)  # every bus is supplied through closed elements
    plain = nx.from_pandas_edgelist(edges, "source", "target", edge_attr=["loading_percent"])
    assert plain.number_of_nodes() == 117


def test_case_without_coordinates_cannot_be_mapped() -> None:
    net = read_case(CASE9)
    with pytest.raises(ValueError, match="no bus coordinates"):
        network_geojson(net)
    nodes, edges = graph_tables(net)  # the graph needs no coordinates
    assert len(nodes) == 9 and len(edges) == 9 and nodes["x"].isna().all()


def test_geodata_forms_and_elements_without_coordinates(tmp_path) -> None:
    """pandapower stores geodata as GeoJSON strings or dicts; a line may carry its own course."""
    net = read_case(CASE9)
    net.bus["geo"] = [json.dumps({"type": "Point", "coordinates": [float(i), 0.5 * i]}) for i in range(1, 10)]
    net.bus.at[5, "geo"] = {"type": "Point", "coordinates": [5.0, 2.5]}  # a dict, not a string
    net.bus.at[9, "geo"] = "not json"  # bus 9 has no usable coordinates
    course = [[4.0, 2.0], [4.5, 3.0], [5.0, 2.5]]
    net.line["geo"] = None
    net.line.loc[net.line["case_branch"] == 2, "geo"] = json.dumps(
        {"type": "LineString", "coordinates": course}
    )
    result = run_powerflow(net, voltage_bands={"EHV": (0.999, 1.1)})
    collection = network_geojson(net, result)
    ids = {(f["properties"]["element"], f["properties"]["id"]) for f in collection["features"]}
    assert ("bus", 9) not in ids and ("bus", 5) in ids
    assert ("line", 8) not in ids and ("line", 9) not in ids  # both end at bus 9
    line2 = next(f for f in collection["features"] if f["id"] == "line/2")
    assert line2["geometry"]["coordinates"] == course
    assert collection["bbox"] == [1.0, 0.5, 8.0, 4.0]
    png = plot_map(collection, tmp_path / "case9.png")
    assert Path(png).stat().st_size > 10_000


def test_png_map(solved, tmp_path) -> None:
    _, net, result, feeders = solved
    path = plot_map(network_geojson(net, result, feeders), tmp_path / "map.png", "test")
    data = (tmp_path / "map.png").read_bytes()
    assert path.endswith("map.png") and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_cli_grid_map_writes_strict_geojson_and_png(tmp_path) -> None:
    from cli.main import app

    out, png = tmp_path / "map.geojson", tmp_path / "map.png"
    res = CliRunner().invoke(app, ["grid", "map", "--at", AT, "--out", str(out), "--png", str(png), "--json"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout)
    assert figures["features"] == 240 and figures["linestrings"] == 121 and figures["converged"] is True
    collection = _strict(out.read_text())
    lines = [f for f in collection["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == 121 and all("loading_percent" in f["properties"] for f in lines)
    top = max(f["properties"]["loading_percent"] for f in lines)
    assert np.isclose(top, figures["max_loading_percent"], atol=1e-3)
    assert png.read_bytes()[:4] == b"\x89PNG"
    res = CliRunner().invoke(app, ["grid", "map", "--at", "2016-07-01T14:00", "--out", str(out)])
    assert res.exit_code == 1 and "no UTC offset" in res.stderr
