"""Topology changes: versioned log, the topology in force per hour, feeders and forecast series follow."""

from __future__ import annotations

import pandas as pd
import pytest

from gridcore.forecast.demand import grid_series
from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import load_grid
from gridcore.network.topology import (
    ChangeLog,
    TopologyError,
    describe_topology,
    make_change,
    topology_at,
)


def test_outage_and_switching_follow_the_hour(tmp_path) -> None:
    grid = load_grid()
    base = derive_feeders(grid)
    log = ChangeLog(tmp_path)
    feeder = base.feeders[1]
    head = base.head_line[feeder]
    outage = log.append(
        make_change(
            grid,
            "line",
            head,
            effective_from="2016-07-01T08:00Z",
            effective_to="2016-07-01T16:00Z",
            who="planner",
            why="cable joint repair",
        )
    )
    assert outage["version"] == 1 and outage["element_name"] == grid.line.at[head, "name"]
    assert log.in_force(pd.Timestamp("2016-07-01T07:00Z")) == []
    during = topology_at(grid, log.in_force(pd.Timestamp("2016-07-01T08:00Z")))
    assert not during.line.at[head, "in_service"] and grid.line.at[head, "in_service"]  # input untouched
    state = describe_topology(during, grid)
    # the feeder's buses lose their supply path: islanded and reported, never hidden
    lost = [b for b, f in base.bus_feeder.items() if f == feeder]
    assert set(lost) <= set(state.islanded_buses) and state.islanded_load_mw > 0
    assert set(state.buses_changed_feeder) == set(lost)
    # the forecast's series follow: the feeder's load points are no longer in that feeder
    series = grid_series(during, derive_feeders(during))
    assert (series["feeder"] == feeder).sum() == 0
    assert state.fingerprint != grid.fingerprint
    # its JSON: the command's keys in order, the lists as they are
    assert state.to_dict() == {
        "fingerprint": state.fingerprint,
        "feeders": state.feeders,
        "islanded_buses": state.islanded_buses,
        "islanded_load_mw": state.islanded_load_mw,
        "meshed_buses": state.meshed_buses,
        "buses_changed_feeder": state.buses_changed_feeder,
    }
    assert list(state.to_dict()) == [
        "fingerprint",
        "feeders",
        "islanded_buses",
        "islanded_load_mw",
        "meshed_buses",
        "buses_changed_feeder",
    ]
    assert "buses_changed_feeder" not in describe_topology(during).to_dict()
    # closing an open loop switch restores supply to part of the feeder (and may mesh others)
    open_sw = grid.switch.index[~grid.switch["closed"].astype(bool)]
    restored = None
    for sw in open_sw:
        trial = topology_at(during, [make_change(grid, "switch", int(sw), closed=True)])
        if len(describe_topology(trial).islanded_buses) < len(state.islanded_buses):
            restored = int(sw)
            break
    assert restored is not None
    log.append(
        make_change(
            grid,
            "switch",
            restored,
            closed=True,
            effective_from="2016-07-01T09:00Z",
            effective_to="2016-07-01T16:00Z",
            who="control room",
            why="back-feed",
        )
    )
    at_ten = topology_at(grid, log.in_force(pd.Timestamp("2016-07-01T10:00Z")))
    assert len(describe_topology(at_ten).islanded_buses) < len(state.islanded_buses)
    after = topology_at(grid, log.in_force(pd.Timestamp("2016-07-01T16:00Z")))
    assert after.fingerprint == grid.fingerprint  # the outage ended: back to normal
    # a cancelled change is no longer in force, and the log keeps both records
    log.append(make_change(grid, "cancel", 0, cancels=outage["id"], who="planner", why="postponed"))
    assert all(r["kind"] != "line" for r in log.in_force(pd.Timestamp("2016-07-01T08:00Z")))
    assert [r["version"] for r in log.records()] == [1, 2, 3]


def test_meshing_is_reported() -> None:
    grid = load_grid()
    open_sw = grid.switch.index[~grid.switch["closed"].astype(bool)]
    closed = topology_at(grid, [make_change(grid, "switch", int(s), closed=True) for s in open_sw])
    assert len(describe_topology(closed).meshed_buses) > 0


def test_bad_changes_are_refused(tmp_path) -> None:
    grid = load_grid()
    with pytest.raises(TopologyError, match="unknown line id"):
        make_change(grid, "line", 99_999)
    with pytest.raises(TopologyError, match="no switch named"):
        make_change(grid, "switch", "nope", closed=True)
    with pytest.raises(TopologyError, match="needs the new state"):
        make_change(grid, "switch", 0)
    with pytest.raises(TopologyError, match="before it starts"):
        make_change(grid, "line", 0, effective_from="2016-07-02T00:00Z", effective_to="2016-07-01T00:00Z")
    with pytest.raises(TopologyError, match="no UTC offset"):
        make_change(grid, "line", 0, effective_from="2016-07-02T00:00")
    with pytest.raises(TopologyError, match="unknown change kind"):
        make_change(grid, "bus", 0)
    with pytest.raises(TopologyError, match="must name"):
        make_change(grid, "cancel", 0)
    with pytest.raises(TopologyError, match="no change"):
        ChangeLog(tmp_path).append(make_change(grid, "cancel", 0, cancels="abc"))
    by_name = make_change(grid, "line", str(grid.line.at[3, "name"]))
    assert by_name["element"] == 3 and by_name["in_service"] is False
    trafo = topology_at(grid, [make_change(grid, "trafo", int(t)) for t in grid.trafo.index])
    assert describe_topology(trafo).feeders == 0  # no transformer in service: nothing is fed
