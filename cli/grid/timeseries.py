"""``gridflow grid timeseries``: power flow for every hour of a horizon, to the store (no algorithm here)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import GridOpt, JsonOpt, StoreOpt, time_option
from cli.grid.base import grid_app


def run_grid_timeseries(
    at: str, horizon: int, store: str, loading_limit: float, grid: str | None = None
) -> dict[str, object]:
    """Power flow for each hour from ``at``: forecast loads where stored, topology in force per hour."""
    import time

    import pandas as pd

    from gridcore.checks import parse_hour
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid_spec import DEFAULT_GRID, grid_model, resolve_grid
    from gridcore.network.timeseries import (
        Limits,
        bottlenecks,
        constraint_flags,
        hourly_injections,
        line_feeders,
        timeseries_summary,
    )
    from gridcore.network.timeseries_store import run_in_force, write_grid_timeseries
    from gridcore.network.topology import ChangeLog

    t0 = time.perf_counter()
    start = parse_hour(at)
    times = pd.date_range(start, periods=horizon, freq="1h")
    resolved = resolve_grid(grid)
    base = grid_model(resolved.spec)
    forecast = None
    try:
        from gridcore.forecast.store import read_demand_forecast

        ds = read_demand_forecast(store, start)
        if ds.attrs.get("grid", base.code) != base.code:
            raise FileNotFoundError(f"the stored demand forecast is for {ds.attrs['grid']}")
        loads = [s for s in ds["series"].values if str(s).startswith("load:")]
        point = ds["point_mw"].sel(series=loads).isel(issue_time=0).values.T
        target = pd.DatetimeIndex(ds["target_time"].values[0]).tz_localize("UTC")
        forecast = pd.DataFrame(point, index=target, columns=[s.removeprefix("load:") for s in loads])
    except FileNotFoundError:
        pass
    p, q, sgen, source = hourly_injections(base, times, forecast)
    log = ChangeLog(store)
    net0 = resolved.net
    if len(net0.storage):  # SimBench's storage units: no profiles carried (see gridcore.lookahead.report)
        net0.storage = net0.storage.iloc[0:0]
    in_force = log.in_force if resolved.spec.code == DEFAULT_GRID else (lambda _t: [])
    limits = Limits(loading_pct=loading_limit)
    result, segments = run_in_force(net0, base, in_force, times, p, q, sgen)
    flags = constraint_flags(result, net0.bus["vn_kv"], limits)
    feeders = derive_feeders(base)
    line_feeder = line_feeders(base, feeders)
    ranking, headroom = bottlenecks(result, line_feeder, limits)
    written = write_grid_timeseries(store, result, flags, {"load_source": source, "grid": base.code})
    return timeseries_summary(
        result,
        flags,
        ranking,
        headroom,
        start=times[0],
        load_source=source,
        topologies=segments,
        written=written,
        seconds=time.perf_counter() - t0,
    ).to_dict()


@grid_app.command("timeseries")
def grid_timeseries(
    at: Annotated[str, time_option("First hour, ISO 8601 UTC.")],
    horizon: Annotated[int, typer.Option(help="Hours (1-8784).", min=1, max=8784)] = 168,
    loading_limit: Annotated[float, typer.Option(help="Thermal limit [% of rating].")] = 100.0,
    grid: GridOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Power flow for every hour of the horizon: voltages, loadings and constraint flags to the store.

    Loads come from the stored demand forecast issued at --at when there is one (the profiles otherwise),
    PV from the profiles; each hour uses the topology in force (see grid outage / grid switch).
    """
    from cli.common import run as _run
    from gridcore.checks import store_path

    root = store_path(str(store) if store else None)
    _run(
        lambda: run_grid_timeseries(at, horizon, root, loading_limit, grid),
        as_json,
        "gridflow grid timeseries",
    )
