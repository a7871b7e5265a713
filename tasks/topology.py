"""Prefect task of the topology in force at an hour: the changes applied and what they mean (no algorithm)."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from gridcore.network.grid import load_grid
from gridcore.network.topology import ChangeLog, describe_topology, topology_at
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_REPORT_S, store_task


@task(task_run_name="topology-{at:%Y%m%dT%H}Z", **store_task(TIMEOUT_REPORT_S, hour_key("at")))
def topology_in_force(store: str, at: pd.Timestamp) -> dict[str, object]:
    """The topology in force at ``at`` (UTC) from the store's change log.

    Returns :meth:`gridcore.network.topology.TopologyState.to_dict` (fingerprint, feeders, islanded and
    meshed buses, buses that changed feeder) and ``changes_in_force`` (the change ids).
    """
    grid = load_grid()
    changes = ChangeLog(store).in_force(at)
    state = describe_topology(topology_at(grid, changes), grid).to_dict()
    state["changes_in_force"] = [c["id"] for c in changes]
    get_run_logger().info(
        "topology at %s: %d change(s) in force, %s feeders, %d islanded buses",
        f"{at:%Y-%m-%dT%H:%M}Z",
        len(changes),
        state["feeders"],
        len(state["islanded_buses"]),  # type: ignore[arg-type]
    )
    return state
