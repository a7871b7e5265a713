"""Feeders derived from the topology, checked against SimBench's own feeder labels."""

from __future__ import annotations

import dataclasses

import pandas as pd

from gridcore.network.feeders import BUSBAR, derive_feeders
from gridcore.network.grid import pandapower_net


def test_every_mv_bus_and_load_gets_a_feeder(system) -> None:
    fm = system.feeders
    mv = system.grid.bus.index[system.grid.bus["vn_kv"] == 20.0]
    assert set(mv) <= set(fm.bus_feeder.index)
    assert system.grid.load["bus"].map(fm.bus_feeder).notna().all()
    assert fm.meshed_buses == [] and fm.islanded_buses == []
    # the semi-urban grid has 9 outgoing MV lines, one feeder each, plus the busbar
    assert len(fm.feeders) == 10 and fm.feeders[0] == BUSBAR


def test_feeders_match_simbench_measurement_subnets(system) -> None:
    """SimBench tags its feeder measurements with the feeder (``MV2.101_Feeder3``): one-to-one with ours."""
    net = pandapower_net(system.grid.code)
    m = net.measurement[
        (net.measurement["element_type"] == "line") & net.measurement["subnet"].str.contains("_Feeder")
    ]
    lines = net.line.loc[m["element"]]
    f_from = lines["from_bus"].map(system.feeders.bus_feeder)
    ours = f_from.where(f_from != BUSBAR, lines["to_bus"].map(system.feeders.bus_feeder)).to_numpy()
    pairs = pd.DataFrame({"simbench": m["subnet"].to_numpy(), "ours": ours})
    assert pairs["ours"].notna().all()
    assert (pairs.groupby("ours")["simbench"].nunique() == 1).all()
    assert (pairs.groupby("simbench")["ours"].nunique() == 1).all()


def test_opening_a_line_moves_its_downstream_buses(system) -> None:
    grid = system.grid
    fm = system.feeders
    feeder = fm.feeders[1]
    buses = fm.bus_feeder.index[fm.bus_feeder == feeder]
    head = fm.head_line[feeder]
    # open the line right after the feeder head: the buses beyond it leave the feeder
    second = grid.line.index[(grid.line["from_bus"] == grid.line.at[head, "to_bus"])][0]
    line = grid.line.copy()
    line.loc[second, "in_service"] = False
    changed = derive_feeders(dataclasses.replace(grid, line=line))
    still = changed.bus_feeder.index[changed.bus_feeder == feeder]
    assert len(still) < len(buses)
    assert set(still) < set(buses)
    assert changed.islanded_buses  # nothing else feeds them in the radial operating state


def test_closing_a_ring_switch_is_reported_as_meshed(system) -> None:
    grid = system.grid
    switch = grid.switch.copy()
    open_line_switches = switch.index[(switch["et"] == "l") & ~switch["closed"].astype(bool)]
    switch.loc[open_line_switches, "closed"] = True
    changed = derive_feeders(dataclasses.replace(grid, switch=switch))
    assert changed.meshed_buses
