"""Loads fed through a line, transformer or bus: a hand-drawn feeder pair and a SimBench LV grid.

The test network (bus numbers)::

    ext_grid - 0 =trafo0= 1 -line0- 2 -line1- 3 -line2- 4
                          |                           :  open switch on line4 (ring 4-6)
                          +--line3- 5 -line5- 6 ......+
                                    |
                                    +-line6- 7

Loads: L0 at 2, L1 at 3, L2 at 4, L3 at 5, L4 at 6, L5 at 7 (out of service: L6 at 7).
"""

from __future__ import annotations

import pandapower as pp
import pytest

from gridcore.errors import InputError
from gridcore.network.downstream import RadialTree, downstream_loads, parse_element
from gridcore.network.grid import pandapower_net


def _net(ring_closed: bool = False) -> pp.pandapowerNet:
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=20.0 if i == 0 else 0.4) for i in range(8)]
    pp.create_ext_grid(net, b[0])
    pp.create_transformer(net, b[0], b[1], std_type="0.4 MVA 20/0.4 kV")
    for f, t in [(1, 2), (2, 3), (3, 4), (1, 5), (4, 6), (5, 6), (5, 7)]:
        pp.create_line(net, b[f], b[t], length_km=0.1, std_type="NAYY 4x150 SE")
    pp.create_switch(net, b[4], 4, et="l", closed=ring_closed)
    for bus in (2, 3, 4, 5, 6, 7):
        pp.create_load(net, b[bus], p_mw=0.01)
    pp.create_load(net, b[7], p_mw=0.01, in_service=False)
    return net


def test_branches_feed_what_lies_below_them() -> None:
    net = _net()
    tree = RadialTree(net)
    assert sorted(tree.loads("trafo:0")) == [0, 1, 2, 3, 4, 5]
    assert sorted(tree.loads("line:0")) == [0, 1, 2]
    assert sorted(tree.loads("line:2")) == [2]
    assert sorted(tree.loads("line:3")) == [3, 4, 5]
    assert sorted(tree.loads("line:5")) == [4]
    assert sorted(tree.loads("supply")) == [0, 1, 2, 3, 4, 5]
    assert list(tree.loads("line:4")) == []  # its switch is open: it feeds nothing


def test_bus_gets_the_loads_sharing_its_path_most_shared_first() -> None:
    tree = RadialTree(_net())
    order = list(tree.loads("bus:4"))
    # its own feeder from the far end back to the head, then the other feeder (only the busbar shared)
    assert order[:3] == [2, 1, 0] and sorted(order[3:]) == [3, 4, 5]
    assert list(tree.loads("bus:6"))[:2] == [4, 3] and sorted(tree.loads("bus:6")) == [0, 1, 2, 3, 4, 5]
    assert sorted(tree.loads("bus:1")) == [0, 1, 2, 3, 4, 5]  # the busbar: every feeder below it
    assert sorted(tree.downstream_buses("bus:0")) == list(range(8))  # above the transformer: everything


def test_open_switch_respected_and_a_closed_ring_handled() -> None:
    closed = RadialTree(_net(ring_closed=True))
    # the ring 1-2-3-4-6-5-1 is closed: each bus hangs on its shortest path; every load stays below trafo0
    assert sorted(closed.loads("trafo:0")) == [0, 1, 2, 3, 4, 5]
    on_tree = {closed.branch[b] for b in closed.branch}
    off = [i for i in range(len(_net().line)) if ("line", i) not in on_tree]
    assert len(off) == 1  # one chord closes the ring
    assert len(closed.loads(f"line:{off[0]}")) >= 1  # the subtree of its far end


def test_out_of_service_line_disconnects() -> None:
    net = _net()
    net.line.loc[3, "in_service"] = False
    tree = RadialTree(net)
    assert sorted(tree.loads("trafo:0")) == [0, 1, 2]
    assert list(tree.loads("bus:6")) == []
    assert tree.subtree(6) == [] and tree.path(6) == []


def test_sgens_downstream() -> None:
    net = _net()
    pp.create_sgen(net, 6, p_mw=0.02)
    pp.create_sgen(net, 3, p_mw=0.02)
    tree = RadialTree(net)
    assert list(tree.sgens("line:3")) == [0]
    assert sorted(tree.sgens("trafo:0")) == [0, 1]


def test_simbench_lv_grid_transformer_feeds_every_load() -> None:
    net = pandapower_net("1-LV-rural2--2-sw")
    assert sorted(downstream_loads(net, "trafo:0")) == sorted(net.load.index)
    tree = RadialTree(net)
    # each line feeds the loads of its subtree: the sum over the lines leaving the busbar is every load
    busbar = int(net.trafo.at[0, "lv_bus"])
    heads = list(tree.children[busbar])
    assert sum(len(tree.subtree(h)) for h in heads) == len(tree.subtree(busbar)) - 1
    far = max(tree.depth, key=tree.depth.get)
    assert set(downstream_loads(net, f"bus:{far}", tree)) <= set(net.load.index)


def test_bad_elements() -> None:
    assert parse_element("supply") == ("supply", None)
    assert parse_element(" line:12 ") == ("line", 12)
    with pytest.raises(InputError, match="write line:<index>"):
        parse_element("gen:1")
    with pytest.raises(InputError, match="write line:<index>"):
        parse_element("line:x")
    with pytest.raises(InputError, match="line:99: no such line"):
        downstream_loads(_net(), "line:99")
    net = _net()
    net.ext_grid["in_service"] = False
    with pytest.raises(InputError, match="no slack"):
        RadialTree(net)
