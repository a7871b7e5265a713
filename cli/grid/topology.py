"""``gridflow grid switch|outage|topology``: record topology changes and show the topology in force."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonOpt, PipelineGridOpt, StoreOpt, check_read_store, time_option
from cli.grid.base import grid_app

ReadStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder [env GRIDFLOW_STORE; default ./gridflow-store].",
        callback=check_read_store,
    ),
]
FromOpt = Annotated[str | None, time_option("In force from, ISO 8601 UTC (default: now).", "--from")]
ToOpt = Annotated[str | None, time_option("In force until, ISO 8601 UTC (default: open-ended).", "--to")]
WhoOpt = Annotated[str, typer.Option(help="Who orders the change (recorded).")]
WhyOpt = Annotated[str, typer.Option(help="Why (recorded).")]


def _record(kind: str, element: str, store: Path | None, as_json: bool, **kw: object) -> None:
    from cli.common import emit as _emit
    from cli.common import fail as _fail
    from gridcore.checks import store_path
    from gridcore.network.grid import load_grid
    from gridcore.network.topology import (
        ChangeLog,
        TopologyError,
        describe_topology,
        make_change,
        topology_at,
    )

    root = store_path(str(store) if store else None)
    grid = load_grid()  # the grid tables only: no fleet, no pandapower
    try:
        record = ChangeLog(root).append(make_change(grid, kind, element, **kw))
    except TopologyError as err:
        _fail(str(err))
    at = record["effective_from"]
    import pandas as pd

    in_force = ChangeLog(root).in_force(pd.Timestamp(at))
    state = describe_topology(topology_at(grid, in_force), grid).to_dict()
    _emit({"change": record, "at": at, "changes_in_force": len(in_force), **state}, as_json, "gridflow grid")


@grid_app.command("switch")
def grid_switch(
    open_: Annotated[str | None, typer.Option("--open", help="Switch id or name to open.")] = None,
    close: Annotated[str | None, typer.Option("--close", help="Switch id or name to close.")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    who: WhoOpt = "",
    why: WhyOpt = "",
    store: StoreOpt = None,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open or close a switch from a time on (versioned; islanding and meshing are reported)."""
    if (open_ is None) == (close is None):
        from cli.common import fail as _fail

        _fail("give exactly one of --open SWITCH or --close SWITCH")
    _record(
        "switch",
        open_ if open_ is not None else close,
        store,
        as_json,
        closed=close is not None,
        effective_from=start,
        effective_to=end,
        who=who,
        why=why,
    )


@grid_app.command("outage")
def grid_outage(
    line: Annotated[str | None, typer.Option(help="Line id or name out of service.")] = None,
    trafo: Annotated[str | None, typer.Option(help="Transformer id or name out of service.")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    who: WhoOpt = "",
    why: WhyOpt = "",
    store: StoreOpt = None,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a line or transformer out of service for a period (planned maintenance)."""
    if (line is None) == (trafo is None):
        from cli.common import fail as _fail

        _fail("give exactly one of --line ID or --trafo ID")
    _record(
        "line" if line is not None else "trafo",
        line if line is not None else trafo,
        store,
        as_json,
        in_service=False,
        effective_from=start,
        effective_to=end,
        who=who,
        why=why,
    )


@grid_app.command("topology")
def grid_topology(
    at: Annotated[str | None, time_option("Time, ISO 8601 UTC (default: now).")] = None,
    store: ReadStoreOpt = None,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The topology in force at a time: the changes applied, feeders, islanded and meshed buses."""
    import pandas as pd

    from cli.common import emit as _emit
    from cli.common import fail as _fail
    from gridcore.checks import store_path
    from gridcore.network.grid import load_grid
    from gridcore.network.topology import ChangeLog, describe_topology, topology_at
    from gridcore.times import to_utc

    root = store_path(str(store) if store else None)
    try:
        when = to_utc(at, "--at", naive="error") if at else pd.Timestamp.now(tz="UTC")
    except ValueError as err:
        _fail(str(err))
    grid = load_grid()
    log = ChangeLog(root)
    in_force = log.in_force(when)
    state = describe_topology(topology_at(grid, in_force), grid).to_dict()
    _emit(
        {
            "at": f"{when.tz_convert('UTC'):%Y-%m-%dT%H:%MZ}",
            "changes_in_force": in_force,
            "changes_logged": len(log.records()),
            **state,
        },
        as_json,
        "gridflow grid topology",
    )
